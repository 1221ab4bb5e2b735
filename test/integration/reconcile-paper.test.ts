/**
 * The reconcileOrders workflow on the paper venue, against the real dev server, a real worker and
 * PostgreSQL: a terminated order workflow is restarted under the same workflow id, a running one
 * is left alone, and a venue order we never placed is listed as EXTERNAL. Each test trades in an
 * account of its own and reconciles only that account, since every test file shares the database.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaperExchange } from '../../venues/paper/exchange.js';
import { createPriceLookup } from '../../store/prices.js';
import type { Exchange } from '../../domain/exchange.js';
import type { reconcileOrders, ReconcileOrdersResult } from '../../workflows/reconcile-orders.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { recordHistory } from '../helpers/histories.js';
import { waitFor } from '../helpers/wait.js';

// This file's symbol, so its prices move no other file's orders.
const SYMBOL = 'RCPBTCUSDT';
const MARKET = '50000';

let e: TestEngine;
beforeAll(async () => {
  e = await startEngine();
  await e.setPrice(SYMBOL, MARKET);
});
afterAll(() => e.stop());

function reconcile(accountIds: string[], graceMs = 0, workflowId = `reconcile-test-${randomUUID()}`): Promise<ReconcileOrdersResult> {
  return e.temporal.workflow.execute<typeof reconcileOrders>('reconcileOrders', {
    workflowId,
    taskQueue: e.config.taskQueues.orders,
    args: [{ graceMs, accountIds }],
  });
}

/** A resting paper LIMIT buy of the account, once it is NEW on the venue. */
async function restingBuy(accountId: string): Promise<{ id: string; clientOrderId: string }> {
  const res = await e.callAs(accountId, 'POST', '/v1/orders', { symbol: SYMBOL, side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '40000', venue: 'paper' });
  expect(res.status).toBe(202);
  const order = await waitForStatus(accountId, res.body.id, ['NEW']);
  return { id: order.id, clientOrderId: order.clientOrderId };
}

function waitForStatus(accountId: string, id: string, statuses: string[], timeoutMs = 30_000) {
  return waitFor(
    async () => (await e.callAs(accountId, 'GET', `/v1/orders/${id}`)).body,
    (o) => statuses.includes(o?.status),
    { timeoutMs, what: `order ${id} to reach ${statuses.join('|')}` },
  );
}

function paperVenueOf(accountId: string): Exchange {
  return createPaperExchange({
    sql: e.sql,
    accountId,
    prices: createPriceLookup({ sql: e.sql }),
    feeBps: e.config.PAPER_FEE_BPS,
    slippageBps: e.config.PAPER_SLIPPAGE_BPS,
    startingCash: e.config.PAPER_STARTING_CASH,
    staleAfterMs: e.config.PRICE_STALE_AFTER,
  });
}

describe('reconcileOrders on the paper venue', () => {
  it('restarts the tracking of a resting order whose workflow was terminated, under the same workflow id, and the order then fills', async () => {
    const account = await e.newAccount();
    const { id, clientOrderId } = await restingBuy(account);
    const handle = e.temporal.workflow.getHandle(`order-${id}`);
    const lostRun = (await handle.describe()).runId;
    await handle.terminate('test: tracking lost');

    const reconcileId = `reconcile-test-${randomUUID()}`;
    const result = await reconcile([account], 0, reconcileId);
    await recordHistory(e.temporal, reconcileId, 'reconcile-orders-restarted-one');

    expect(result.paper).toMatchObject({ accounts: 1, restarted: [{ orderId: id, status: 'NEW', was: 'TERMINATED' }], external: 0, failures: [] });
    const now = await handle.describe();
    expect([now.status.name, now.runId === lostRun]).toEqual(['RUNNING', false]);
    await e.setPrice(SYMBOL, '39000');
    const filled = await waitForStatus(account, id, ['FILLED']);
    await e.setPrice(SYMBOL, MARKET);
    expect(filled.fills.map((f: { price: string }) => f.price)).toEqual(['40000']);
    const onVenue = await e.sql`SELECT 1 FROM paper_orders WHERE client_order_id = ${clientOrderId}`;
    expect(onVenue).toHaveLength(1);
    await recordHistory(e.temporal, `order-${id}`, 'paper-reconciler-restarted-filled');
  });

  it('leaves a running order workflow alone', async () => {
    const account = await e.newAccount();
    const { id } = await restingBuy(account);
    const before = await e.temporal.workflow.getHandle(`order-${id}`).describe();

    const result = await reconcile([account]);

    expect(result.paper).toMatchObject({ accounts: 1, restarted: [], external: 0, failures: [] });
    const after = await e.temporal.workflow.getHandle(`order-${id}`).describe();
    expect([after.status.name, after.runId]).toEqual(['RUNNING', before.runId]);
    expect((await e.callAs(account, 'DELETE', `/v1/orders/${id}`)).body.status).toBe('CANCELED');
  });

  it('leaves an order younger than the grace period alone even when its workflow is gone', async () => {
    const account = await e.newAccount();
    const { id } = await restingBuy(account);
    await e.temporal.workflow.getHandle(`order-${id}`).terminate('test: tracking lost');

    const result = await reconcile([account], 600_000);

    expect(result.paper.restarted).toEqual([]);
    expect((await e.temporal.workflow.getHandle(`order-${id}`).describe()).status.name).toBe('TERMINATED');
    // Leave nothing lost behind for later files: track it again and cancel it.
    await reconcile([account]);
    expect((await e.callAs(account, 'DELETE', `/v1/orders/${id}`)).body.status).toBe('CANCELED');
  });

  it('lists an order placed on the paper venue with a client id we never issued in GET /v1/orders/external', async () => {
    const account = await e.newAccount();
    const clientOrderId = `manual-${randomUUID().slice(0, 8)}`;
    const placed = await paperVenueOf(account).placeOrder({ symbol: SYMBOL, side: 'BUY', type: 'LIMIT', quantity: '0.02', price: '30000', timeInForce: 'GTC', clientOrderId });

    const reconcileId = `reconcile-test-${randomUUID()}`;
    const result = await reconcile([account], 0, reconcileId);
    await recordHistory(e.temporal, reconcileId, 'reconcile-orders-external-one');

    expect(result.paper).toMatchObject({ accounts: 1, restarted: [], external: 1, failures: [] });
    const listed = await e.callAs(account, 'GET', '/v1/orders/external');
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      data: [
        expect.objectContaining({ origin: 'EXTERNAL', venue: 'paper', symbol: SYMBOL, side: 'BUY', type: 'LIMIT', price: '30000', quantity: '0.02', status: 'NEW', open: true, clientOrderId, exchangeOrderId: placed.exchangeOrderId, closedAt: null }),
      ],
      nextCursor: null,
    });
  });

  it('shows another account none of the external orders it found', async () => {
    const account = await e.newAccount();
    await paperVenueOf(account).placeOrder({ symbol: SYMBOL, side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '30000', timeInForce: 'GTC', clientOrderId: `manual-${randomUUID().slice(0, 8)}` });
    await reconcile([account]);
    const other = await e.newAccount();
    expect((await e.callAs(other, 'GET', '/v1/orders/external')).body).toEqual({ data: [], nextCursor: null });
  });

  it('marks an external order closed once the venue no longer lists it open', async () => {
    const account = await e.newAccount();
    const venue = paperVenueOf(account);
    const clientOrderId = `manual-${randomUUID().slice(0, 8)}`;
    await venue.placeOrder({ symbol: SYMBOL, side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '30000', timeInForce: 'GTC', clientOrderId });
    await reconcile([account]);
    await venue.cancelOrder({ symbol: SYMBOL, clientOrderId });

    await reconcile([account]);

    const [row] = (await e.callAs(account, 'GET', '/v1/orders/external')).body.data;
    expect(row).toMatchObject({ clientOrderId, open: false, closedAt: expect.any(String) });
  });
});
