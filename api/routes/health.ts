/**
 * The probes. GET /health: 200 when Temporal and PostgreSQL both answer, 503 naming the part that
 * does not. GET /health/live: the process serves (liveness: restart it when this fails).
 * GET /health/ready: Temporal and PostgreSQL answer and every migration is applied (readiness:
 * send no traffic while it is 503); "degraded" (still 200) while every price provider fails.
 */
import { createRoute } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { Sql } from '../../lib/db.js';
import { errors, json, noAuth, noQuery } from '../openapi/responses.js';
import { createRouter } from '../router.js';
import { healthSchema, liveSchema, readinessSchema } from '../schemas/system.js';
import { readMigrations } from '../../store/migrate.js';
import { isFailing, providerStatuses } from '../../store/price-providers.js';

export interface HealthOptions {
  sql: Sql;
  temporal: Client;
  /** How long each probe may take (default 2000 ms). */
  timeoutMs?: number;
}

type Probe<T = unknown> = { ok: true; value: T } | { ok: false; reason: string };

async function probe<T>(check: () => Promise<T>, timeoutMs: number): Promise<Probe<T>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      check(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** One cheap call, given up (not retried in the background) once the probe's time is out. */
function temporalAnswers(temporal: Client, timeoutMs: number) {
  return temporal.connection.withDeadline(Date.now() + timeoutMs, () => temporal.connection.workflowService.getSystemInfo({}));
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

const live = createRoute({
  method: 'get',
  path: '/live',
  tags: ['system'],
  operationId: 'getLiveness',
  summary: 'Whether the process serves (liveness probe)',
  description: 'Answers 200 while the process serves HTTP; it asks no dependency, so a database outage never restarts the API.',
  security: noAuth,
  request: { query: noQuery },
  responses: {
    ...errors({}),
    200: json('The process serves', liveSchema, { status: 'ok' }),
  },
});

const ready = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['system'],
  operationId: 'getReadiness',
  summary: 'Whether the API can serve requests (readiness probe)',
  description:
    'Ready when Temporal and PostgreSQL answer and every file in migrations/ is recorded in schema_migrations. ' +
    'While the last call of every price provider failed it is still ready (orders with a price, lists and cancels work) but says `degraded`, with the reason.',
  security: noAuth,
  request: { query: noQuery },
  responses: {
    ...errors({}),
    200: json('Ready; `degraded` names what users will notice', readinessSchema, {
      status: 'degraded',
      temporal: 'ok',
      postgres: 'ok',
      migrations: 'ok',
      prices: 'failing',
      reasons: { prices: 'every price provider is failing: binance: fetch failed (since 2026-01-05T10:00:00.000Z); set OFFLINE=1 for local stand-ins' },
    }),
    // For load balancers and Kubernetes: a status report, not the error shape.
    503: json('Not ready; reasons names why', readinessSchema, {
      status: 'unavailable',
      temporal: 'ok',
      postgres: 'ok',
      migrations: 'pending',
      prices: 'ok',
      reasons: { migrations: 'not applied: 022_price_provider_status; run `npm run migrate`' },
    }),
  },
});

/** Versions not yet recorded, named as their files are. */
async function pendingMigrations(sql: Sql, expected: () => Promise<{ version: number; name: string }[]>): Promise<string[]> {
  const files = await expected();
  const rows = await sql<{ version: number }[]>`SELECT version FROM schema_migrations`.catch((err: { code?: string }) => {
    // No table yet: nothing was ever applied.
    if (err.code === '42P01') return [];
    throw err;
  });
  const applied = new Set(rows.map((r) => r.version));
  return files.filter((f) => !applied.has(f.version)).map((f) => `${String(f.version).padStart(3, '0')}_${f.name}`);
}

/** Why prices are failing, or nothing while any provider's last call succeeded (or none was asked yet). */
async function pricesFailing(sql: Sql): Promise<string | undefined> {
  const statuses = await providerStatuses(sql);
  if (statuses.length === 0 || !statuses.every(isFailing)) return undefined;
  const each = statuses.map((s) => `${s.provider}: ${s.lastError ?? 'failed'} (since ${s.failedAt?.toISOString()})`).join('; ');
  return `every price provider is failing: ${each}; check the network, or set OFFLINE=1 for local stand-ins`;
}

/**
 * @example app.route('/health', healthRoutes({ sql, temporal }))
 */
export function healthRoutes({ sql, temporal, timeoutMs = 2000 }: HealthOptions) {
  // The files do not change while the process runs: read them once (again after a failed read).
  let files: Promise<{ version: number; name: string }[]> | undefined;
  const expected = () =>
    (files ??= readMigrations().catch((err: unknown) => {
      files = undefined;
      throw err;
    }));
  return createRouter()
    .openapi(live, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(ready, async (c) => {
      const [pg, tp] = await Promise.all([
        probe(() => sql`SELECT 1`, timeoutMs),
        probe(() => temporalAnswers(temporal, timeoutMs), timeoutMs),
      ]);
      const [pending, prices] = pg.ok
        ? await Promise.all([probe(() => pendingMigrations(sql, expected), timeoutMs), probe(() => pricesFailing(sql), timeoutMs)])
        : [undefined, undefined];
      const reasons: { temporal?: string; postgres?: string; migrations?: string; prices?: string } = {};
      if (!tp.ok) reasons.temporal = tp.reason;
      if (!pg.ok) reasons.postgres = pg.reason;
      let migrations: 'ok' | 'pending' | 'unknown' = 'unknown';
      if (pending?.ok) {
        migrations = pending.value.length ? 'pending' : 'ok';
        if (pending.value.length) reasons.migrations = `not applied: ${pending.value.join(', ')}; run \`npm run migrate\` (or restart \`npm start\`)`;
      } else if (pending) reasons.migrations = pending.reason;
      let priceState: 'ok' | 'failing' | 'unknown' = 'unknown';
      if (prices?.ok) {
        priceState = prices.value === undefined ? 'ok' : 'failing';
        if (prices.value !== undefined) reasons.prices = prices.value;
      } else if (prices) reasons.prices = prices.reason;
      const body = {
        temporal: tp.ok ? ('ok' as const) : ('down' as const),
        postgres: pg.ok ? ('ok' as const) : ('down' as const),
        migrations,
        prices: priceState,
        ...(Object.keys(reasons).length ? { reasons } : {}),
      };
      if (!tp.ok || !pg.ok || migrations !== 'ok') return c.json({ status: 'unavailable' as const, ...body }, 503);
      // Failing prices do not take the API out of rotation: every instance would fail alike, and
      // what needs no new price (lists, cancels, priced orders) still works.
      return c.json({ status: priceState === 'failing' ? ('degraded' as const) : ('ok' as const), ...body }, 200);
    })
    .openapi(health, async (c) => {
    const [pg, tp] = await Promise.all([
      probe(() => sql`SELECT 1`, timeoutMs),
      probe(() => temporalAnswers(temporal, timeoutMs), timeoutMs),
    ]);
    const ok = pg.ok && tp.ok;
    const reasons: { postgres?: string; temporal?: string } = {};
    if (!pg.ok) reasons.postgres = pg.reason;
    if (!tp.ok) reasons.temporal = tp.reason;
    const status = { temporal: tp.ok ? ('ok' as const) : ('down' as const), postgres: pg.ok ? ('ok' as const) : ('down' as const) };
    return ok ? c.json({ status: 'ok' as const, ...status }, 200) : c.json({ status: 'degraded' as const, ...status, reasons }, 503);
  });
}
