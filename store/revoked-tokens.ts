/** Signed-out tokens, by their `jti`, until they would have expired. */
import type { Sql } from '../lib/db.js';

export async function revokeToken(sql: Sql, jti: string, expiresAt: Date): Promise<void> {
  await sql`INSERT INTO revoked_tokens (jti, expires_at) VALUES (${jti}, ${expiresAt}) ON CONFLICT DO NOTHING`;
  // Kept an hour past expiry: verification allows clock skew, and the clocks of API and database differ.
  await sql`DELETE FROM revoked_tokens WHERE expires_at < now() - interval '1 hour'`;
}

export async function isRevoked(sql: Sql, jti: string): Promise<boolean> {
  const [row] = await sql`SELECT 1 FROM revoked_tokens WHERE jti = ${jti}`;
  return row !== undefined;
}
