/**
 * The wakePaperOrders activity against PostgreSQL and the real paper venue with many open orders,
 * its Temporal client a fake that counts the signals in flight: the orders a move fills get their
 * venue event (the path Binance's user data stream takes too), orders it cannot fill are not even
 * matched, pages and concurrency are bounded, finished workflows skipped, and a retry resumes from
 * the last heartbeat.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrderWakeActivities, type MovedPrice } from '../../activities/market-data/refresh-activities.js';
import type { Sql } from '../../lib/db.js';
import type { VenueOrderEvent } from '../../domain/venue-events.js';
import { createPaperExchange } from '../../venues/paper/exchange.js';
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
/** The paper venue's view of the market: before the move, then the move. */
const market = new Map<string, string>([
  [A, '105'],
  [B, '7.5'],
  [QUIET, '1'],
]);

let sql: Sql;
const paperFor = (accountId: string) =>
  createPaperExchange({
    sql,
    accountId,
    prices: async (symbol) => (market.has(symbol) ? { price: market.get(symbol)!, asOf: new Date() } : null),
    feeBps: '10',
    slippageBps: '5',
    startingCash: '100000',
    staleAfterMs: 120_000,
  });

beforeAll(async () => {
  sql = testSql();
  await deleteOrders();
  // 900 resting buys on A and 334 on B that the move fills: 1234 to wake, in three pages of 500.
  await placeOrders(A, 900, '102');
  await placeOrders(B, 334, '7.3');
  // None of these may be woken: out of reach of the move, finished, on Binance, or on a quiet symbol.
  await placeOrders(A, 5, '90');
  await insertOrders(A, 5, { status: 'FILLED', rank: 9 });
  await insertOrders(A, 5, { status: 'NEW', rank: 2, venue: 'binance' });
  await insertOrders(QUIET, 5, { status: 'NEW', rank: 2 });
  market.set(A, '101.5');
  market.set(B, '7.25');
}, 120_000);
afterAll(async () => {
  // Other files refresh the symbols of open orders: leave none of these behind.
  await deleteOrders();
  await sql.end({ timeout: 2 });
});

async function deleteOrders() {
  await sql`DELETE FROM orders WHERE symbol IN ${sql([A, B, QUIET])}`;
  await sql`DELETE FROM paper_trades WHERE client_order_id IN (SELECT client_order_id FROM paper_orders WHERE symbol IN ${sql([A, B, QUIET])})`;
  await sql`DELETE FROM paper_orders WHERE symbol IN ${sql([A, B, QUIET])}`;
}

async function insertOrders(symbol: string, n: number, o: { status: string; rank: number; venue?: string; price?: string }): Promise<string[]> {
  const rows = await sql<{ client_order_id: string }[]>`INSERT INTO orders (id, account_id, venue, symbol, side, type, quantity, price, status, status_rank, client_order_id, workflow_id)
    SELECT id, ${ACCOUNT}, ${o.venue ?? 'paper'}, ${symbol}, 'BUY', 'LIMIT', 0.001, ${o.price ?? '1'}, ${o.status}, ${o.rank}, 'dt-' || id, 'order-' || id
    FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, ${n})) g RETURNING client_order_id`;
  return rows.map((r) => r.client_order_id);
}

/** Our order rows (NEW) and the same orders resting on the paper venue. */
async function placeOrders(symbol: string, n: number, limit: string) {
  const paper = paperFor(ACCOUNT);
  for (const clientOrderId of await insertOrders(symbol, n, { status: 'NEW', rank: 2, price: limit })) {
    const placed = await paper.placeOrder({ clientOrderId, symbol, side: 'BUY', type: 'LIMIT', quantity: '0.001', price: limit, timeInForce: 'GTC' });
    expect(placed.status).toBe('NEW');
  }
}

/** Workflow ids of the orders the move fills, in key order. */
async function wakeable(): Promise<string[]> {
  const rows = await sql<{ workflow_id: string }[]>`SELECT workflow_id FROM orders
    WHERE venue = 'paper' AND status IN ('NEW', 'PARTIALLY_FILLED') AND symbol IN ${sql([A, B])} AND NOT (symbol = ${A} AND price = 90) ORDER BY id`;
  return rows.map((r) => r.workflow_id);
}

/** A Temporal client whose signals take a moment, recording what they carried and how many overlapped. */
function fakeTemporal(finished: ReadonlySet<string> = new Set()) {
  const signals: Array<{ workflowId: string; name: string; arg: VenueOrderEvent }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    workflow: {
      getHandle: (workflowId: string) => ({
        async signal(def: { name: string }, arg: VenueOrderEvent) {
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
  it('fills the paper orders a move reaches and sends each its venue event, reading 500 at a time with at most 16 in flight', async () => {
    const temporal = fakeTemporal();
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const { wakePaperOrders } = createOrderWakeActivities({ sql, orders: orderClients(temporal.client), paperFor });
    const result = await env.run(wakePaperOrders, { moved: MOVED });
    const expected = await wakeable();
    expect(expected).toHaveLength(1234);
    expect(result).toEqual({ woken: 1234 });
    expect(temporal.signals.map((s) => s.workflowId).sort()).toEqual([...expected].sort());
    expect(new Set(temporal.signals.map((s) => s.name))).toEqual(new Set(['venueEvent']));
    for (const { arg } of temporal.signals) {
      if (arg.kind !== 'update') throw new Error(`expected an update, got ${JSON.stringify(arg)}`);
      // A resting limit order fills at its own price, in one trade, which the event carries.
      expect(arg).toMatchObject({ venue: 'paper', status: 'FILLED', executedQty: '0.001' });
      expect(arg.trade?.tradeId).toMatch(/^paper-\d+$/);
      expect(arg.trade?.qty).toBe('0.001');
    }
    const unreached = await sql<{ status: string }[]>`SELECT status FROM paper_orders WHERE symbol = ${A} AND price = 90`;
    expect(unreached.map((r) => r.status)).toEqual(['NEW', 'NEW', 'NEW', 'NEW', 'NEW']);
    // Matching one account's orders is serialised by the venue, so the lanes rarely all signal at once.
    expect(temporal.maxInFlight()).toBeLessThanOrEqual(16);
    expect(temporal.maxInFlight()).toBeGreaterThan(1);
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
    const { wakePaperOrders } = createOrderWakeActivities({ sql, orders: orderClients(temporal.client), paperFor, pageSize: 200, concurrency: 4 });
    const result = await new MockActivityEnvironment().run(wakePaperOrders, { moved: MOVED });
    expect(result).toEqual({ woken: 1234 - finished.size });
    expect(temporal.signals.some((s) => finished.has(s.workflowId))).toBe(false);
    expect(temporal.maxInFlight()).toBeLessThanOrEqual(4);
  });

  it('resumes a retried call after the last page its heartbeat recorded', async () => {
    const expected = await wakeable();
    const afterId = expected[499]!.slice('order-'.length);
    const temporal = fakeTemporal();
    const { wakePaperOrders } = createOrderWakeActivities({ sql, orders: orderClients(temporal.client), paperFor });
    const result = await new MockActivityEnvironment({ heartbeatDetails: { afterId, woken: 500 } }).run(wakePaperOrders, { moved: MOVED });
    expect(result).toEqual({ woken: 1234 });
    expect(temporal.signals.map((s) => s.workflowId).sort()).toEqual(expected.slice(500).sort());
  });

  it('signals nothing when no price moved', async () => {
    const temporal = fakeTemporal();
    const { wakePaperOrders } = createOrderWakeActivities({ sql, orders: orderClients(temporal.client), paperFor });
    expect(await new MockActivityEnvironment().run(wakePaperOrders, { moved: [] })).toEqual({ woken: 0 });
    expect(temporal.signals).toEqual([]);
  });
});
