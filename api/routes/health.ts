/** GET /health: 200 when Temporal and PostgreSQL both answer, 503 naming the part that does not. */
import { Hono } from 'hono';
import type { Client } from '@temporalio/client';
import type { Sql } from '../../lib/db.js';

export interface HealthOptions {
  sql: Sql;
  temporal: Client;
  /** How long each probe may take (default 2000 ms). */
  timeoutMs?: number;
}

type Probe = { ok: true } | { ok: false; reason: string };

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<Probe> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * @example app.route('/health', healthRoutes({ sql, temporal }))
 */
export function healthRoutes({ sql, temporal, timeoutMs = 2000 }: HealthOptions) {
  return new Hono().get('/', async (c) => {
    const [pg, tp] = await Promise.all([
      probe(() => sql`SELECT 1`, timeoutMs),
      probe(() => temporal.connection.workflowService.getSystemInfo({}), timeoutMs),
    ]);
    const ok = pg.ok && tp.ok;
    const reasons: Record<string, string> = {};
    if (!pg.ok) reasons.postgres = pg.reason;
    if (!tp.ok) reasons.temporal = tp.reason;
    return c.json(
      {
        status: ok ? 'ok' : 'degraded',
        temporal: tp.ok ? 'ok' : 'down',
        postgres: pg.ok ? 'ok' : 'down',
        ...(ok ? {} : { reasons }),
      },
      ok ? 200 : 503,
    );
  });
}
