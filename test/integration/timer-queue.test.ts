/**
 * A busy second of the timer queue is not mistaken for a stuck reader. With the 100 ms read-ahead
 * (lib/embedded/temporal-timers.ts) a second with many timers due takes several loads, and at the
 * server's default of 3 the queue handed such seconds to a second reader that yields to the first:
 * in a bench run a 250 ms debounce fired 30 s late. Two dev servers take the same burst of
 * workflow timeouts: one as the stack runs it, one with the server's default, which shows the
 * burst is dense enough to trip the guard.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startTemporalDevServer, type DevServer } from '../../lib/embedded/temporal-dev-server.js';
import { createLogger } from '../../lib/logger.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const WORKFLOWS = 600;
/** The first timeout is due this long after the first start, when every start is done even on a slow machine. */
const FIRST_DUE_AFTER_MS = 10_000;
/** Then one every 5 ms for 3 s: every 100 ms read of the queue finds some, as on a busy engine. */
const DUE_EVERY_MS = 5;
const STUCK_ACTIONS = /^queue_actions\{operation="TimerQueueProcessor",queue_action="reader_stuck"[^}]*\} (\d+)/m;

const servers: DevServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

/** Starts `WORKFLOWS` workflows nobody runs, timing out over 3 s; resolves with the server's reader-stuck actions and the latest timeout's delay. */
async function burstOfTimeouts(dynamicConfig: Record<string, number> = {}): Promise<{ stuckActions: number; latestTimeoutLateMs: number }> {
  const metricsPort = await freePort();
  const server = await startTemporalDevServer({
    binary: inject('temporalBinary'),
    port: await freePort(),
    uiPort: await freePort(),
    metricsPort,
    dynamicConfig,
    log: createLogger('timer-queue-test', { level: 'warn' }),
  });
  servers.push(server);
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    const taskQueue = `nobody-polls-${randomUUID()}`;
    const firstDue = Date.now() + FIRST_DUE_AFTER_MS;
    const dueAt = new Map(Array.from({ length: WORKFLOWS }, (_, i) => [`timeout-${i}`, firstDue + i * DUE_EVERY_MS]));
    const ids = [...dueAt.keys()];
    for (let i = 0; i < ids.length; i += 50) {
      await Promise.all(
        ids.slice(i, i + 50).map((workflowId) => client.workflow.start('neverRuns', { workflowId, taskQueue, workflowRunTimeout: Math.max(1000, dueAt.get(workflowId)! - Date.now()) })),
      );
    }
    const closed = await waitFor(
      async () => (await client.workflow.count(`ExecutionStatus = 'TimedOut'`)).count,
      (n) => n === WORKFLOWS,
      { what: `${WORKFLOWS} workflows timed out`, timeoutMs: 90_000, everyMs: 500 },
    );
    expect(closed).toBe(WORKFLOWS);
    let latestTimeoutLateMs = 0;
    for await (const w of client.workflow.list({ query: `ExecutionStatus = 'TimedOut'` })) {
      latestTimeoutLateMs = Math.max(latestTimeoutLateMs, w.closeTime!.getTime() - Math.max(dueAt.get(w.workflowId)!, w.startTime.getTime() + 1000));
    }
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return { stuckActions: Number(STUCK_ACTIONS.exec(metrics)?.[1] ?? 0), latestTimeoutLateMs };
  } finally {
    await connection.close();
  }
}

describe('timer queue', () => {
  it('keeps a busy second with its first reader, so its timers fire on time', { timeout: 240_000 }, async () => {
    const control = await burstOfTimeouts({ 'history.queueReaderStuckCriticalAttempts': 3 });
    expect(control.stuckActions, 'the server default calls the burst a stuck reader').toBeGreaterThan(0);

    const ours = await burstOfTimeouts();
    expect(ours.stuckActions, `control: ${JSON.stringify(control)}`).toBe(0);
    expect(ours.latestTimeoutLateMs, `control: ${JSON.stringify(control)}`).toBeLessThan(2000);
  });
});
