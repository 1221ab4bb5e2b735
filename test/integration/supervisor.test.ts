import type { ChildProcess } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../lib/embedded/postgres.js';
import { isAlive } from '../../lib/embedded/process.js';
import { createLogger } from '../../lib/logger.js';
import { freePort } from '../helpers/ports.js';
import { npmStart, npmStartEnv } from '../helpers/npm-start.js';
import { waitFor } from '../helpers/wait.js';

// `npm start` as a user runs it: its own data dir and ports, the same Temporal CLI as the tests.
const { env, ports, dataDir, api } = await npmStartEnv('supervisor', { LOG_LEVEL: 'info' });
let running: ChildProcess | undefined;
afterAll(() => {
  if (running?.pid && isAlive(running.pid)) running.kill('SIGKILL');
});

async function start(): Promise<{ child: ChildProcess; output: () => string }> {
  const started = await npmStart(env);
  running = started.child;
  return started;
}

async function stop(child: ChildProcess): Promise<number> {
  const started = Date.now();
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await gone;
  return Date.now() - started;
}

function pidsOf(output: string): number[] {
  // Every part the supervisor started logs its pid through its own process listing below.
  return [...output.matchAll(/"pid":(\d+)/g)].map((m) => Number(m[1]));
}

describe('npm start', () => {
  it('prints one ready banner, serves /health and the Temporal UI, stops everything on SIGINT, and keeps the data and the secrets', async () => {
    const first = await start();
    const banner = first.output();
    expect(banner.match(/Durable Trader is ready/g)).toHaveLength(1);
    expect(banner).toContain(`Temporal UI  http://localhost:${ports.TEMPORAL_UI_PORT}`);
    expect(banner).toMatch(/PostgreSQL {3}postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/durable_trader \(embedded\)/);
    expect(await (await fetch(`${api}/health`)).json()).toEqual({ status: 'ok', temporal: 'ok', postgres: 'ok' });
    expect((await fetch(`http://localhost:${ports.TEMPORAL_UI_PORT}/`)).status).toBe(200);
    // Where the metrics live: the API's on its port, the worker's (with the Temporal Core's) on WORKER_METRICS_PORT.
    const workerMetrics = `http://127.0.0.1:${ports.WORKER_METRICS_PORT}`;
    expect(banner).toContain(`API          ${api}   (health: ${api}/health, docs: ${api}/docs, metrics: ${api}/metrics)`);
    expect(banner).toContain(`Worker       ${workerMetrics}/metrics`);
    expect((await fetch(`${api}/metrics`)).status).toBe(200);
    expect(await waitFor(async () => (await fetch(`${workerMetrics}/ready`)).status, (status) => status === 200, { timeoutMs: 10_000, what: "the worker's /ready" })).toBe(200);
    expect(await (await fetch(`${workerMetrics}/metrics`)).text()).toMatch(/^durable_trader_core_metrics_up 1$/m);

    // Zero configuration: the supervisor generated the token and encryption keys, kept only for its owner.
    expect(banner).toMatch(/generated local secrets/);
    expect(statSync(path.join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(banner).toContain(`Codec server http://localhost:${ports.PORT}/codec`);
    // The dev server tells its Web UI where to decode payloads (--ui-codec-endpoint).
    const uiSettings = (await (await fetch(`http://localhost:${ports.TEMPORAL_UI_PORT}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
    expect(uiSettings.Codec.Endpoint).toBe(`http://localhost:${ports.PORT}/codec`);
    expect((await fetch(`${api}/v1/orders`)).status).toBe(401);
    const registered = await fetch(`${api}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'supervisor@durable-trader.test', password: 'correct horse battery staple' }),
    });
    expect(registered.status).toBe(201);
    const { token } = (await registered.json()) as { token: string };
    const authorization = `Bearer ${token}`;

    const order = await fetch(`${api}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ symbol: 'ZZTOPUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: '1', venue: 'paper' }),
    });
    expect(order.status).toBe(202);
    const { id } = (await order.json()) as { id: string };

    const children = pidsOf(banner);
    expect(children.length).toBeGreaterThanOrEqual(4);
    const ms = await stop(first.child);
    expect(ms).toBeLessThan(15_000);
    for (const pid of children) expect(isAlive(pid), `pid ${pid} still running`).toBe(false);
    await expect(fetch(`${api}/health`)).rejects.toThrow();

    const second = await start();
    expect(second.output()).toContain('database schema is current');
    expect(second.output()).not.toMatch(/generated local secrets/);
    // The same secrets: the first run's token is still accepted.
    const again = await fetch(`${api}/v1/orders/${id}`, { headers: { authorization } });
    expect(again.status).toBe(200);
    await stop(second.child);
  }, 300_000);

  it('keeps shutting down cleanly when its stdout and stderr are closed (`npm start | tee log`, then Ctrl-C)', async () => {
    const { child, output } = await start();
    const parts = pidsOf(output());
    expect(parts.length).toBeGreaterThanOrEqual(4);
    // The reader of the pipes goes away first, as tee does on Ctrl-C: every later write is an EPIPE.
    child.stdout!.destroy();
    child.stderr!.destroy();
    const code = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    child.kill('SIGINT');
    expect(await code).toBe(0);
    for (const pid of parts) expect(isAlive(pid), `pid ${pid} still running`).toBe(false);
  }, 300_000);

  it('starts after a supervisor that was killed: stops the parts it left running, and a supervisor.pid naming another process does not block it', async () => {
    const first = await start();
    const parts = pidsOf(first.output());
    const killed = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    await killed;
    // The dev server and PostgreSQL run in their own process groups: they outlive a killed supervisor.
    expect(parts.some((pid) => isAlive(pid))).toBe(true);
    // The kernel has since given the supervisor's pid to another process (this one: not `npm start`).
    writeFileSync(path.join(dataDir, 'supervisor.pid'), String(process.pid));

    const second = await start();
    expect(second.output()).toMatch(/stopped a Temporal dev server left running by an earlier run/);
    for (const pid of parts) expect(isAlive(pid), `pid ${pid} of the killed run still running`).toBe(false);
    expect((await fetch(`${api}/health/ready`)).status).toBe(200);
    await stop(second.child);
  }, 300_000);

  it("runs on DATABASE_URL's PostgreSQL instead of its own, and warns when that server allows fewer connections than the shape opens", async () => {
    // A server we do not run, sized below what one worker and one API may open (13 + 12) plus tools.
    const pg = await startEmbeddedPostgres({ dir: path.join(dataDir, 'external-pg'), port: await freePort(), maxConnections: 40, log: createLogger('external-pg', { level: 'warn' }) });
    try {
      const external = await npmStart({ ...env, DATABASE_URL: pg.url });
      running = external.child;
      const out = external.output();
      expect(out).toContain('PostgreSQL allows 40 connections (max_connections), but under load this shape opens up to 25 (1 worker × 13 + 1 API × 12');
      expect(out).toContain('Set max_connections to at least 45');
      expect(out).not.toMatch(/starting embedded PostgreSQL/);
      expect(out).toMatch(/PostgreSQL {3}postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/durable_trader\n/);
      expect(await (await fetch(`${api}/health`)).json()).toEqual({ status: 'ok', temporal: 'ok', postgres: 'ok' });
      await stop(external.child);
    } finally {
      await pg.stop();
    }
  }, 300_000);
});
