/**
 * What one filled paper MARKET order costs the stores, the inputs of the capacity arithmetic in
 * bench/README.md ("Capacity on paper"): app-database transactions and rows (pg_stat_database
 * deltas over orders placed one at a time, their portfolio recalculations included) and the
 * order's Temporal history (events, protobuf bytes). The bounds keep it from growing unnoticed.
 */
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorkflowId } from '../../domain/orders.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';

const ORDERS = 10;
const SYMBOL = 'FPBTCUSDT';
let e: TestEngine;
beforeAll(async () => {
  e = await startEngine({ PORTFOLIO_DEBOUNCE: '50ms' });
});
afterAll(() => e.stop());

async function dbStats() {
  await e.sql`SELECT pg_stat_force_next_flush()`;
  const [row] = await e.sql<{ xact: string; ins: string; upd: string }[]>`SELECT xact_commit::text AS xact, tup_inserted::text AS ins, tup_updated::text AS upd
    FROM pg_stat_database WHERE datname = current_database()`;
  return { xact: Number(row!.xact), ins: Number(row!.ins), upd: Number(row!.upd) };
}

const settle = () => new Promise((r) => setTimeout(r, 400));

describe('the footprint of one filled paper MARKET order', () => {
  it('stays within its bounds of history and database writes', { timeout: 120_000 }, async () => {
    await e.setPrice(SYMBOL, '50000');
    const place = async () => {
      const res = await e.call('POST', '/v1/orders', { symbol: SYMBOL, side: 'BUY', type: 'MARKET', quantity: '0.001', venue: 'paper' });
      expect(res.status).toBe(202);
      await e.waitForStatus(res.body.id, ['FILLED']);
      await settle(); // the portfolio recalculation this fill causes
      return res.body.id as string;
    };
    await place(); // the account's portfolio workflow and rows exist before counting
    const before = await dbStats();
    const ids: string[] = [];
    for (let i = 0; i < ORDERS; i++) ids.push(await place());
    const after = await dbStats();
    let events = 0;
    let bytes = 0;
    for (const id of ids) {
      const history = await e.temporal.workflow.getHandle(orderWorkflowId(id)).fetchHistory();
      events += history.events?.length ?? 0;
      bytes += proto.temporal.api.history.v1.History.encode(history).finish().length;
    }
    const per = (n: number) => Math.round((n / ORDERS) * 10) / 10;
    const footprint = {
      transactionsPerOrder: per(after.xact - before.xact),
      rowsInsertedPerOrder: per(after.ins - before.ins),
      rowsUpdatedPerOrder: per(after.upd - before.upd),
      historyEventsPerOrder: per(events),
      historyBytesPerOrder: per(bytes),
    };
    console.log(`order footprint: ${JSON.stringify(footprint)}`);
    // orderLifecycleV3: 19 events, no patch markers; the old type's 26 would fail here.
    expect(footprint.historyEventsPerOrder).toBeLessThanOrEqual(21);
    expect(footprint.historyBytesPerOrder).toBeLessThanOrEqual(8_192);
    // Reads are transactions too (each autocommit SELECT): a generous bound that still catches a loop.
    expect(footprint.transactionsPerOrder).toBeLessThanOrEqual(80);
    expect(footprint.rowsInsertedPerOrder).toBeLessThanOrEqual(25);
  });
});
