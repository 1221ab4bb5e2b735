/**
 * Exchange credentials at rest: each field sealed with the CREDENTIALS_KEYS box, bound to its
 * account, venue and field as associated data, so a sealed value copied onto another row or into
 * the other column does not open. The API seals; only activities open, right before signing.
 */
import type { SealedCredentialsRow, CredentialVenue } from './exchange-credentials.js';
import type { SecretBox } from '../lib/security/secret-box.js';

export interface ExchangeCredentials {
  apiKey: string;
  apiSecret: string;
}

/** Stored credentials that do not open (key id not configured, or altered). Names no value. */
export class CredentialsUnreadableError extends Error {
  override name = 'CredentialsUnreadableError';
}

const aad = (accountId: string, venue: CredentialVenue, field: 'api_key' | 'api_secret') => `exchange-credentials/${accountId}/${venue}/${field}`;

/**
 * @example await saveCredentials(sql, accountId, 'binance', sealCredentials(box, accountId, 'binance', body));
 */
export function sealCredentials(box: SecretBox, accountId: string, venue: CredentialVenue, c: ExchangeCredentials): SealedCredentialsRow {
  return {
    api_key_sealed: box.seal(c.apiKey, aad(accountId, venue, 'api_key')),
    api_secret_sealed: box.seal(c.apiSecret, aad(accountId, venue, 'api_secret')),
    api_key_last4: c.apiKey.slice(-4),
  };
}

/**
 * @example const { apiKey, apiSecret } = openCredentials(box, accountId, 'binance', row);
 */
export function openCredentials(box: SecretBox, accountId: string, venue: CredentialVenue, row: SealedCredentialsRow): ExchangeCredentials {
  try {
    return {
      apiKey: box.open(row.api_key_sealed, aad(accountId, venue, 'api_key')),
      apiSecret: box.open(row.api_secret_sealed, aad(accountId, venue, 'api_secret')),
    };
  } catch (err) {
    // The box's message names the key id at most; its cause stays here.
    throw new CredentialsUnreadableError(`stored ${venue} credentials cannot be opened: ${(err as Error).message}`);
  }
}
