/**
 * The exchange credentials repository. It stores and returns sealed values only: sealing and
 * opening happen in activities/exchange/credentials.ts, opening only inside activities.
 */
import type { Queryable } from '../../lib/db.js';
import type { Venue } from '../../workflows/definitions.js';

export type CredentialVenue = Extract<Venue, 'binance'>;

export interface SealedCredentialsRow {
  api_key_sealed: string;
  api_secret_sealed: string;
  api_key_last4: string;
}

export async function saveCredentials(sql: Queryable, accountId: string, venue: CredentialVenue, row: SealedCredentialsRow): Promise<void> {
  await sql`INSERT INTO exchange_credentials (account_id, venue, api_key_sealed, api_secret_sealed, api_key_last4)
    VALUES (${accountId}, ${venue}, ${row.api_key_sealed}, ${row.api_secret_sealed}, ${row.api_key_last4})
    ON CONFLICT (account_id, venue) DO UPDATE SET api_key_sealed = EXCLUDED.api_key_sealed,
      api_secret_sealed = EXCLUDED.api_secret_sealed, api_key_last4 = EXCLUDED.api_key_last4, updated_at = clock_timestamp()`;
}

export async function findCredentials(sql: Queryable, accountId: string, venue: CredentialVenue): Promise<SealedCredentialsRow | undefined> {
  const [row] = await sql<SealedCredentialsRow[]>`SELECT api_key_sealed, api_secret_sealed, api_key_last4 FROM exchange_credentials
    WHERE account_id = ${accountId} AND venue = ${venue}`;
  return row;
}

/** The last four characters of the stored key, or undefined when the account stored none. */
export async function credentialsLast4(sql: Queryable, accountId: string, venue: CredentialVenue): Promise<string | undefined> {
  const [row] = await sql<{ api_key_last4: string }[]>`SELECT api_key_last4 FROM exchange_credentials WHERE account_id = ${accountId} AND venue = ${venue}`;
  return row?.api_key_last4;
}

/** True when a row was deleted. */
export async function deleteCredentials(sql: Queryable, accountId: string, venue: CredentialVenue): Promise<boolean> {
  const rows = await sql`DELETE FROM exchange_credentials WHERE account_id = ${accountId} AND venue = ${venue} RETURNING 1`;
  return rows.length > 0;
}
