/**
 * The wakePaperOrders activity against PostgreSQL with many open orders, its Temporal client a
 * fake that counts the signals in flight: bounded pages, bounded concurrency, finished orders
 * skipped, and a retry resuming from the last heartbeat.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrderWakeActivities, type MovedPrice } from '../../activities/market-data/refresh-activities.js';
import type { Sql } from '../../lib/db.js';
import { orderClients } from '../../workflows/clients.js';
import { testSql } from '../helpers/env.js';

const ACCOUNT = '00000000-0000-0000-0000-000000000001';
const A = 'PWAKEAUSDT';
const B = 'PWAKEBUSDT';
const QUIET = 'PWAKEQUSDT';
const MOVED: MovedPrice[] = [
  { symbol: A, price: '101.5' },
  { symbol: B, price: '7.25' },
];

let sql: Sql;
beforeAll(async () => {
  sql = testSql();
  await deleteOrders();
  // 900 open paper orders on A, 334 on B: 1234 to wake, in three pages of 500.
  await insertOrders(A, 900, { status: 'NEW', rank: 2 });
  await insertOrders(B, 334, { status: 'PARTIALLY_FILLED', rank: 3 });
  // None of these may be woken: finished, on Binance, or on a symbol that did not move.
  await insertOrders(A, 5, { status: 'FILLED', rank: 9 });
  await insertOrders(A, 5, { status: 'NEW', rank: 2, venue: 'binance' });
  await insertOrders(QUIET, 5, { status: 'NEW', rank: 2 });
});
afterAll(async () => {
  // Other files refresh the symbols of open orders: leave none of these behind.
  await deleteOrders();
  await sql.end({ timeout: 2 });
});

function deleteOrders() {
  return sql`DELETE FROM orders WHERE symbol IN ${sql([A, B, QUIET])}`;
}

async function insertOrders(symbol: string, n: number, o: { status: string; rank: number; venue?: string }) {
  await sql`INSERT INTO orders (id, account_id, venue, symbol, side, type, quantity, price, status, status_rank, client_order_id, workflow_id)
    SELECT id, ${ACCOUNT}, ${o.venue ?? 'paper'}, ${symbol}, 'BUY', 'LIMIT', 1, 1, ${o.status}, ${o.rank}, 'dt-' || id, 'order-' || id
    FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, ${n})) g`;
}

/** Workflow ids of the orders that should be woken, in key order. */
async function wakeable(): Promise<string[]> {
  const rows = await sql<{ workflow_id: string }[]>`SELECT workflow_id FROM orders
    WHERE venue = 'paper' AND status IN ('NEW', 'PARTIALLY_FILLED') AND symbol IN ${sql([A, B])} ORDER BY id`;
  return rows.map((r) => r.workflow_id);
}

/** A Temporal client whose signals take a moment, recording what they carried and how many overlapped. */
function fakeTemporal(finished: ReadonlySet<string> = new Set()) {
  const signals: Array<{ workflowId: string; name: string; arg: MovedPrice }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    workflow: {
      getHandle: (workflowId: string) => ({
        async signal(def: { name: string }, arg: MovedPrice) {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((r) => setTimeout(r, 1));
          inFlight -= 1;
          if (finished.has(workflowId)) throw new WorkflowNotFoundError('workflow execution already completed', workflowId, undefined);
          signals.push({ workflowId, name: def.name, arg });
        },
      }),
    },
  } as unknown as Pick<Client, 'workflow'>;
  return { client, signals, maxInFlight: () => maxInFlight };
}

describe('wakePaperOrders', () => {
  it('signals every open paper order of the moved symbols once, with its price, reading 500 at a time with at most 16 signals in flight', async () => {
    const temporal = fakeTemporal();
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const { wakePaperOrders } = createOrderWakeActivities({ sql, orders: orderClients(temporal.client) });
    const result = await env.run(wakePaperOrders, { moved: MOVED });
    const expected = await wakeable();
    expect(expected).toHaveLength(1234);
    expect(result).toEqual({ woken: 1234 });
    expect(temporal.signals.map((s) => s.workflowId).sort()).toEqual([...expected].sort());
    expect(new Set(temporal.signals.map((s) => s.name))).toEqual(new Set(['priceMoved']));
    for (const s of temporal.signals) expect(s.arg).toEqual(MOVED.find((m) => m.symbol === s.arg.symbol));
    expect(temporal.maxInFlight()).toBe(16);
    // One heartbeat per page: 500, 500, 234.
    expect(beats).toEqual([
      { afterId: expected[499]!.slice('order-'.length), woken: 500 },
      { afterId: expected[999]!.slice('order-'.length), woken: 1000 },
      { afterId: expected[1233]!.slice('order-'.length), woken: 1234 },
    ]);
  });

  it('skips orders whose workflow has finished, counting them as not woken', async () => {
    const expected = await wakeable();
    const finished = new Set(expected.filter((_, i) => i % 100 === 0));
    const temporal = fakeTemporal(finished);
    const { wakePaperOrders } = createOrderWakeActivities({ sql, orders: orderClients(temporal.client), pageSize: 200, concurrency: 4 });
    const result = await new MockActivityEnvironment().run(wakePaperOrders, { moved: MOVED });
    expect(result).toEqual({ woken: 1234 - finished.size });
    expect(temporal.signals.some((s) => finished.has(s.workflowId))).toBe(false);
    expect(temporal.maxInFlight()).toBe(4);
  });

  it('resumes a retried call after the last page its heartbeat recorded', async () => {
    const expected = await wakeable();
    const afterId = expected[499]!.slice('order-'.length);
    const temporal = fakeTemporal();
    const { wakePaperOrders } = createOrderWakeActivities({ sql, orders: orderClients(temporal.client) });
    const result = await new MockActivityEnvironment({ heartbeatDetails: { afterId, woken: 500 } }).run(wakePaperOrders, { moved: MOVED });
    expect(result).toEqual({ woken: 1234 });
    expect(temporal.signals.map((s) => s.workflowId).sort()).toEqual(expected.slice(500).sort());
  });

  it('signals nothing when no price moved', async () => {
    const temporal = fakeTemporal();
    const { wakePaperOrders } = createOrderWakeActivities({ sql, orders: orderClients(temporal.client) });
    expect(await new MockActivityEnvironment().run(wakePaperOrders, { moved: [] })).toEqual({ woken: 0 });
    expect(temporal.signals).toEqual([]);
  });
});
