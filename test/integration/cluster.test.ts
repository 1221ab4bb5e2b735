/**
 * `npm run cluster` as a user runs it: the Temporal server itself on the embedded PostgreSQL, its
 * Web UI, two workers and two APIs, from nothing but the project (the Go tools build on first use).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isAlive } from '../../lib/embedded/process.js';
import { TEMPORAL_SERVER_MAX_CONNECTIONS } from '../../lib/embedded/temporal-server.js';
import { TIMER_DYNAMIC_CONFIG } from '../../lib/embedded/temporal-timers.js';
import { npmStart, npmStartEnv } from '../helpers/npm-start.js';
import { waitFor } from '../helpers/wait.js';

const { env, ports, dataDir, api } = await npmStartEnv('cluster', { LOG_LEVEL: 'info' });
let running: ChildProcess | undefined;
afterAll(() => {
  if (running?.pid && isAlive(running.pid)) running.kill('SIGKILL');
});

const json = { 'content-type': 'application/json' };

describe('npm run cluster', () => {
  it('runs two APIs and two workers on the Temporal server over PostgreSQL, and stops everything on SIGINT', { timeout: 300_000 }, async () => {
    const { child, output } = await npmStart(env, ['--cluster']);
    running = child;
    const banner = output();
    const secondApi = `http://127.0.0.1:${ports.PORT + 1}`;
    expect(banner).toContain(`Temporal     127.0.0.1:${ports.TEMPORAL_PORT} (Temporal server v1.29.1 on PostgreSQL`);
    for (const url of [api, secondApi]) expect(await (await fetch(`${url}/health`)).json(), url).toEqual({ status: 'ok', temporal: 'ok', postgres: 'ok' });
    // Each worker serves its own readiness, on its own port.
    for (const port of [ports.WORKER_METRICS_PORT, ports.WORKER_METRICS_PORT + 2]) {
      expect(await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).status, (s) => s === 200, { timeoutMs: 15_000, what: `worker /ready on ${port}` })).toBe(200);
    }
    expect((await fetch(`http://localhost:${ports.TEMPORAL_UI_PORT}/`)).status).toBe(200);

    // Sign up on one API, order on the other, read it back on the first: one database, one Temporal.
    const registered = await fetch(`${api}/v1/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'cluster@durable-trader.test', password: 'correct horse battery staple' }) });
    expect(registered.status).toBe(201);
    const authorization = `Bearer ${((await registered.json()) as { token: string }).token}`;
    const order = await fetch(`${secondApi}/v1/orders`, {
      method: 'POST',
      headers: { ...json, authorization, 'idempotency-key': 'cluster-1' },
      body: JSON.stringify({ symbol: 'ZZTOPUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: '1', venue: 'paper' }),
    });
    expect(order.status).toBe(202);
    const { id, workflowId } = (await order.json()) as { id: string; workflowId: string };
    const status = await waitFor(
      async () => ((await (await fetch(`${api}/v1/orders/${id}`, { headers: { authorization } })).json()) as { status: string }).status,
      (s) => s !== 'RECEIVED' && s !== 'PENDING_NEW',
      { timeoutMs: 30_000, what: 'a worker taking the order past intake' },
    );
    expect(['NEW', 'REJECTED']).toContain(status);

    // The history is in Temporal's own database on the embedded PostgreSQL, not in a SQLite file.
    const password = readFileSync(path.join(dataDir, 'cluster', 'postgres', 'postgres.password'), 'utf8').trim();
    const temporalDb = postgres({ host: '127.0.0.1', port: ports.EMBEDDED_PG_PORT, user: 'postgres', password, database: 'temporal', max: 1, onnotice: () => {} });
    try {
      const [row] = await temporalDb<{ n: number }[]>`SELECT count(*)::int AS n FROM current_executions WHERE workflow_id = ${workflowId}`;
      expect(row?.n).toBe(1);
      // Room for all four Temporal services' pools plus every worker's and API's connections at once:
      // PostgreSQL's default 100 refused a loaded cluster with "too many clients".
      const [setting] = await temporalDb<{ max_connections: string }[]>`SHOW max_connections`;
      expect(Number(setting?.max_connections)).toBeGreaterThanOrEqual(TEMPORAL_SERVER_MAX_CONNECTIONS + 2 * (10 + 3) + 2 * (10 + 2));
    } finally {
      await temporalDb.end({ timeout: 2 });
    }
    // The timer settings the dev server gets too (test/integration/timer-queue.test.ts shows why).
    const dynamic = parse(readFileSync(path.join(dataDir, 'cluster', 'temporal', 'config', 'dynamicconfig.yaml'), 'utf8')) as Record<string, Array<{ value: unknown }>>;
    for (const [key, value] of Object.entries(TIMER_DYNAMIC_CONFIG)) expect(dynamic[key]?.[0]?.value, key).toBe(value);

    const children = [...banner.matchAll(/"pid":(\d+)/g)].map((m) => Number(m[1]));
    // PostgreSQL, the Temporal server, two workers, two APIs.
    expect(children.length).toBeGreaterThanOrEqual(6);
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await gone;
    for (const pid of children) expect(isAlive(pid), `pid ${pid} still running`).toBe(false);
  });
});
