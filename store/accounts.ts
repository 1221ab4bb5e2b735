/**
 * The accounts repository: who can sign in. Emails are stored lower-cased; a row without a
 * password hash cannot sign in.
 */
import type { Queryable } from '../lib/db.js';

export interface AccountRow {
  id: string;
  email: string | null;
  password_hash: string | null;
  created_at: Date;
}

/** Inserts the account; undefined when the email is taken (the unique index decides, so two racing sign-ups cannot both win). */
export async function createAccount(sql: Queryable, a: { id: string; email: string; passwordHash: string }): Promise<AccountRow | undefined> {
  const [row] = await sql<AccountRow[]>`INSERT INTO accounts (id, email, password_hash) VALUES (${a.id}, ${a.email}, ${a.passwordHash})
    ON CONFLICT DO NOTHING RETURNING id, email, password_hash, created_at`;
  return row;
}

export async function findAccountByEmail(sql: Queryable, email: string): Promise<AccountRow | undefined> {
  const [row] = await sql<AccountRow[]>`SELECT id, email, password_hash, created_at FROM accounts WHERE lower(email) = ${email.toLowerCase()}`;
  return row;
}

export async function findAccount(sql: Queryable, id: string): Promise<AccountRow | undefined> {
  const [row] = await sql<AccountRow[]>`SELECT id, email, password_hash, created_at FROM accounts WHERE id = ${id}`;
  return row;
}

/** After a login whose hash used older scrypt parameters. */
export async function updatePasswordHash(sql: Queryable, id: string, passwordHash: string): Promise<void> {
  await sql`UPDATE accounts SET password_hash = ${passwordHash}, updated_at = now() WHERE id = ${id}`;
}
