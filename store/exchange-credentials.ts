/**
 * The exchange credentials repository. It stores and returns sealed values only: sealing and
 * opening happen in store/sealed-credentials.ts, opening only inside activities.
 */
import type { Queryable, Sql } from '../lib/db.js';
import type { Venue } from '../domain/exchange.js';

export type CredentialVenue = Extract<Venue, 'binance'>;

export interface SealedCredentialsRow {
  api_key_sealed: string;
  api_secret_sealed: string;
  api_key_last4: string;
}

/** A stored pair with its version (a new one at every save). */
export interface VersionedCredentialsRow extends SealedCredentialsRow {
  version: string;
}

/**
 * Stores the account's pair under a new version. The pair it replaces is kept (sealed) while
 * orders it placed are still open, so they stay trackable; versions no open order uses are dropped.
 */
export async function saveCredentials(sql: Sql, accountId: string, venue: CredentialVenue, row: SealedCredentialsRow): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`INSERT INTO exchange_credentials_retired (version, account_id, venue, api_key_sealed, api_secret_sealed, api_key_last4)
      SELECT c.version, c.account_id, c.venue, c.api_key_sealed, c.api_secret_sealed, c.api_key_last4 FROM exchange_credentials c
      WHERE c.account_id = ${accountId} AND c.venue = ${venue}
        AND EXISTS (SELECT 1 FROM orders o WHERE o.credentials_version = c.version AND o.status_rank < 9)
      ON CONFLICT (version) DO NOTHING`;
    await tx`INSERT INTO exchange_credentials (account_id, venue, api_key_sealed, api_secret_sealed, api_key_last4)
      VALUES (${accountId}, ${venue}, ${row.api_key_sealed}, ${row.api_secret_sealed}, ${row.api_key_last4})
      ON CONFLICT (account_id, venue) DO UPDATE SET api_key_sealed = EXCLUDED.api_key_sealed,
        api_secret_sealed = EXCLUDED.api_secret_sealed, api_key_last4 = EXCLUDED.api_key_last4,
        version = gen_random_uuid(), updated_at = clock_timestamp()`;
    await tx`DELETE FROM exchange_credentials_retired r WHERE r.account_id = ${accountId} AND r.venue = ${venue}
      AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.credentials_version = r.version AND o.status_rank < 9)`;
  });
}

export async function findCredentials(sql: Queryable, accountId: string, venue: CredentialVenue): Promise<VersionedCredentialsRow | undefined> {
  const [row] = await sql<VersionedCredentialsRow[]>`SELECT api_key_sealed, api_secret_sealed, api_key_last4, version FROM exchange_credentials
    WHERE account_id = ${accountId} AND venue = ${venue}`;
  return row;
}

/** A version of the account's pair: the current one, or one kept for the open orders it placed. */
export async function findCredentialsVersion(sql: Queryable, accountId: string, venue: CredentialVenue, version: string): Promise<VersionedCredentialsRow | undefined> {
  const [row] = await sql<VersionedCredentialsRow[]>`
    SELECT api_key_sealed, api_secret_sealed, api_key_last4, version FROM exchange_credentials WHERE account_id = ${accountId} AND venue = ${venue} AND version = ${version}
    UNION ALL
    SELECT api_key_sealed, api_secret_sealed, api_key_last4, version FROM exchange_credentials_retired WHERE account_id = ${accountId} AND venue = ${venue} AND version = ${version}
    LIMIT 1`;
  return row;
}

/** The last four characters of the stored key, or undefined when the account stored none. */
export async function credentialsLast4(sql: Queryable, accountId: string, venue: CredentialVenue): Promise<string | undefined> {
  const [row] = await sql<{ api_key_last4: string }[]>`SELECT api_key_last4 FROM exchange_credentials WHERE account_id = ${accountId} AND venue = ${venue}`;
  return row?.api_key_last4;
}

/** The version of the stored pair (none sealed read), or undefined when the account stored none. */
export async function credentialsVersion(sql: Queryable, accountId: string, venue: CredentialVenue): Promise<string | undefined> {
  const [row] = await sql<{ version: string }[]>`SELECT version FROM exchange_credentials WHERE account_id = ${accountId} AND venue = ${venue}`;
  return row?.version;
}

/** Forgets every version of the pair. True when a current pair was deleted. */
export async function deleteCredentials(sql: Queryable, accountId: string, venue: CredentialVenue): Promise<boolean> {
  await sql`DELETE FROM exchange_credentials_retired WHERE account_id = ${accountId} AND venue = ${venue}`;
  const rows = await sql`DELETE FROM exchange_credentials WHERE account_id = ${accountId} AND venue = ${venue} RETURNING 1`;
  return rows.length > 0;
}
