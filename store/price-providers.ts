/** The last outcome of each market-data provider (written by the price refresh, read by readiness). */
import type { Sql } from '../lib/db.js';

export interface ProviderStatus {
  provider: string;
  okAt: Date | null;
  failedAt: Date | null;
  lastError: string | null;
}

/**
 * Records one provider call: a success clears nothing but moves `ok_at`; a failure keeps its error.
 * @example await recordProviderOutcome(sql, 'binance', err); // or without err after a success
 */
export async function recordProviderOutcome(sql: Sql, provider: string, error?: Error): Promise<void> {
  if (error === undefined) {
    await sql`INSERT INTO price_provider_status (provider, ok_at) VALUES (${provider}, now())
      ON CONFLICT (provider) DO UPDATE SET ok_at = now()`;
  } else {
    await sql`INSERT INTO price_provider_status (provider, failed_at, last_error) VALUES (${provider}, now(), ${error.message})
      ON CONFLICT (provider) DO UPDATE SET failed_at = now(), last_error = EXCLUDED.last_error`;
  }
}

/** @example const failing = (await providerStatuses(sql)).filter(isFailing); */
export async function providerStatuses(sql: Sql): Promise<ProviderStatus[]> {
  const rows = await sql<{ provider: string; ok_at: Date | null; failed_at: Date | null; last_error: string | null }[]>`
    SELECT provider, ok_at, failed_at, last_error FROM price_provider_status ORDER BY provider`;
  return rows.map((r) => ({ provider: r.provider, okAt: r.ok_at, failedAt: r.failed_at, lastError: r.last_error }));
}

/** Its last call failed. */
export function isFailing(s: ProviderStatus): boolean {
  return s.failedAt !== null && (s.okAt === null || s.failedAt > s.okAt);
}
