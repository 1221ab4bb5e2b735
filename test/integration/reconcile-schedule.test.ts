/**
 * The `reconcile-orders` Temporal Schedule as `npm run worker` leaves it: the worker process
 * (workers/main.ts, run as a child like the supervisor runs it) creates it at start-up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { priceRefreshScheduleId, reconcileScheduleId } from '../../workflows/schedules.js';
import { testClient, testConfig } from '../helpers/env.js';
import { TEST_CREDENTIALS_KEYS, TEST_JWT_SECRET, TEST_PAYLOAD_KEYS } from '../helpers/keys.js';

const prefix = `t${randomUUID().slice(0, 8)}-`;
// A day: the schedule is not due while this file runs, so no run reconciles other files' accounts.
const config = testConfig({ TASK_QUEUE_PREFIX: prefix, RECONCILE_INTERVAL: '24h' });
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
  const client = await testClient(config);
  for (const id of [priceRefreshScheduleId(config), reconcileScheduleId(config)]) await client.schedule.getHandle(id).delete().catch(() => {});
  await client.connection.close();
});

/** Starts workers/main.ts and resolves once it reports ready (or rejects with its output if it exits). */
function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  // Metrics on any free ports: other workers may run on this machine.
  const started = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], { env: { ...process.env, WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  started.stdout?.on('data', (d) => (output += d));
  started.stderr?.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    started.on('message', (m: { type?: string }) => m.type === 'ready' && resolve(started));
    started.once('exit', (code) => reject(new Error(`workers/main.ts exited with ${code}: ${output}`)));
  });
}

describe('the worker start-up', () => {
  it('creates the reconcile-orders schedule: reconcileOrders on the orders queue every RECONCILE_INTERVAL, overlap SKIP', { timeout: 120_000 }, async () => {
    child = await startWorkerProcess({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      DATABASE_URL: inject('databaseUrl'),
      TASK_QUEUE_PREFIX: prefix,
      RECONCILE_INTERVAL: '24h',
      LOG_LEVEL: 'warn',
      BINANCE_BASE_URL: 'http://127.0.0.1:9',
      YAHOO_BASE_URL: 'http://127.0.0.1:9',
      JWT_SECRET: TEST_JWT_SECRET,
      PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
      CREDENTIALS_KEYS: TEST_CREDENTIALS_KEYS,
    });
    const client = await testClient(config);
    try {
      const d = await client.schedule.getHandle(reconcileScheduleId(config)).describe();
      expect(d.scheduleId).toBe(`${prefix}reconcile-orders`);
      expect(d.spec.intervals?.map((i) => i.every)).toEqual([86_400_000]);
      expect(d.policies.overlap).toBe('SKIP');
      expect(d.action).toMatchObject({ workflowType: 'reconcileOrders', taskQueue: `${prefix}orders`, args: [{ graceMs: 30_000 }] });
    } finally {
      await client.connection.close();
    }
  });
});
