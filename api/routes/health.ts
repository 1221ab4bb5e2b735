/** GET /health: 200 when Temporal and PostgreSQL both answer, 503 naming the part that does not. */
import { createRoute } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { Sql } from '../../lib/db.js';
import { errors, json, noAuth, noQuery } from '../openapi/responses.js';
import { createRouter } from '../router.js';
import { healthSchema } from '../schemas/system.js';

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

const health = createRoute({
  method: 'get',
  path: '/',
  tags: ['system'],
  operationId: 'getHealth',
  summary: 'Whether Temporal and PostgreSQL answer',
  security: noAuth,
  request: { query: noQuery },
  responses: {
    ...errors({}),
    200: json('Both answer', healthSchema, { status: 'ok', temporal: 'ok', postgres: 'ok' }),
    // For load balancers: a status report, not the error shape.
    503: json('A part is down; reasons names it', healthSchema, { status: 'degraded', temporal: 'ok', postgres: 'down', reasons: { postgres: 'no answer within 2000 ms' } }),
  },
});

/**
 * @example app.route('/health', healthRoutes({ sql, temporal }))
 */
export function healthRoutes({ sql, temporal, timeoutMs = 2000 }: HealthOptions) {
  return createRouter().openapi(health, async (c) => {
    const [pg, tp] = await Promise.all([
      probe(() => sql`SELECT 1`, timeoutMs),
      probe(() => temporal.connection.workflowService.getSystemInfo({}), timeoutMs),
    ]);
    const ok = pg.ok && tp.ok;
    const reasons: { postgres?: string; temporal?: string } = {};
    if (!pg.ok) reasons.postgres = pg.reason;
    if (!tp.ok) reasons.temporal = tp.reason;
    const status = { temporal: tp.ok ? ('ok' as const) : ('down' as const), postgres: pg.ok ? ('ok' as const) : ('down' as const) };
    return ok ? c.json({ status: 'ok' as const, ...status }, 200) : c.json({ status: 'degraded' as const, ...status, reasons }, 503);
  });
}
