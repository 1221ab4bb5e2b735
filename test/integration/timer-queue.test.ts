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
/** Timer tasks the queue's second reader loaded: what a stuck call costs. */
const SECOND_READER_LOADS = /^task_latency_load_count\{[^}]*queue_reader_id="1"[^}]*\} (\d+)/gm;

let running: DevServer | undefined;
afterAll(async () => {
  await running?.stop();
});

interface Burst {
  stuckActions: number;
  secondReaderLoads: number;
  latestTimeoutLateMs: number;
}

/** Starts `WORKFLOWS` workflows nobody runs, timing out over 3 s, on a server of its own (stopped after); resolves with what the server's timer queue did. */
async function burstOfTimeouts(dynamicConfig: Record<string, number> = {}): Promise<Burst> {
  const metricsPort = await freePort();
  const server = await startTemporalDevServer({
    binary: inject('temporalBinary'),
    port: await freePort(),
    uiPort: await freePort(),
    metricsPort,
    dynamicConfig,
    log: createLogger('timer-queue-test', { level: 'warn' }),
  });
  running = server;
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    const taskQueue = `nobody-polls-${randomUUID()}`;
    const firstDue = Date.now() + FIRST_DUE_AFTER_MS;
    const timeoutMs = new Map<string, number>();
    for (let first = 0; first < WORKFLOWS; first += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, WORKFLOWS - first) }, (_, k) => {
          const i = first + k;
          const workflowId = `timeout-${i}`;
          const workflowRunTimeout = Math.max(1000, firstDue + i * DUE_EVERY_MS - Date.now());
          timeoutMs.set(workflowId, workflowRunTimeout);
          return client.workflow.start('neverRuns', { workflowId, taskQueue, workflowRunTimeout });
        }),
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
      // From the server's own start time: a start that queued behind the others is not a late timer.
      latestTimeoutLateMs = Math.max(latestTimeoutLateMs, w.closeTime!.getTime() - w.startTime.getTime() - timeoutMs.get(w.workflowId)!);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return {
      stuckActions: Number(STUCK_ACTIONS.exec(metrics)?.[1] ?? 0),
      secondReaderLoads: [...metrics.matchAll(SECOND_READER_LOADS)].reduce((sum, m) => sum + Number(m[1]), 0),
      latestTimeoutLateMs,
    };
  } finally {
    await connection.close();
    await server.stop();
    running = undefined;
  }
}

describe('timer queue', () => {
  it('keeps a busy second with its first reader', { timeout: 240_000 }, async () => {
    const control = await burstOfTimeouts({ 'history.queueReaderStuckCriticalAttempts': 3 });
    expect(control.stuckActions, `the server default calls the burst a stuck reader: ${JSON.stringify(control)}`).toBeGreaterThan(0);

    const ours = await burstOfTimeouts();
    const seen = `ours: ${JSON.stringify(ours)}; control: ${JSON.stringify(control)}`;
    expect(ours.stuckActions, seen).toBe(0);
    expect(ours.secondReaderLoads, seen).toBe(0);
    expect(ours.latestTimeoutLateMs, seen).toBeLessThan(2000);
  });
});
