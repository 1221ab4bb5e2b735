/**
 * The reconcileOrders workflow on Binance (the faithful fake, over HTTP): a resting order whose
 * workflow was terminated gets its tracking back under the same workflow id, and an order placed
 * on the account outside the engine is listed as EXTERNAL. The accounts trade with the
 * single-user pair (BINANCE_API_KEY), as accounts without a stored pair do.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBinanceExchange } from '../../venues/binance/exchange.js';
import type { reconcileOrders, ReconcileOrdersResult } from '../../workflows/reconcile-orders.js';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';

const KEY = 'reconcile-key';
const SECRET = 'reconcile-secret-never-logged';

let fake: BinanceFake;
let e: TestEngine;
beforeAll(async () => {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
  e = await startEngine({ BINANCE_BASE_URL: fake.url, BINANCE_WS_API_URL: fake.wsApiUrl, BINANCE_API_KEY: KEY, BINANCE_API_SECRET: SECRET, BINANCE_TIMEOUT: '2s' });
  await e.setPrice('ETHUSDT', fake.price('ETHUSDT'));
});
afterAll(async () => {
  await e.stop();
  await fake.close();
});

function reconcile(accountIds: string[]): Promise<ReconcileOrdersResult> {
  return e.temporal.workflow.execute<typeof reconcileOrders>('reconcileOrders', {
    workflowId: `reconcile-test-${randomUUID()}`,
    taskQueue: e.config.taskQueues.orders,
    args: [{ graceMs: 0, accountIds }],
  });
}

function waitForStatus(accountId: string, id: string, statuses: string[]) {
  return waitFor(
    async () => (await e.callAs(accountId, 'GET', `/v1/orders/${id}`)).body,
    (o) => statuses.includes(o?.status),
    { timeoutMs: 30_000, what: `order ${id} to reach ${statuses.join('|')}` },
  );
}

/** A whole-dollar price 100 below the market: rests, never fills while the price stands. */
const belowMarket = () => (BigInt(Math.round(Number(fake.price('ETHUSDT')))) - 100n).toString();

describe('reconcileOrders on Binance', () => {
  it('restarts the tracking of a resting order whose workflow was terminated, and the restarted run carries out a cancel', async () => {
    const account = await e.newAccount();
    const res = await e.callAs(account, 'POST', '/v1/orders', { venue: 'binance', symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.5', price: belowMarket(), timeInForce: 'GTC' });
    expect(res.status).toBe(202);
    const open = await waitForStatus(account, res.body.id, ['NEW']);
    const handle = e.temporal.workflow.getHandle(`order-${open.id}`);
    const lostRun = (await handle.describe()).runId;
    await handle.terminate('test: tracking lost');

    const result = await reconcile([account]);

    expect(result.binance).toMatchObject({ accounts: 1, restarted: [{ orderId: open.id, status: 'NEW', was: 'TERMINATED' }], external: 0, failures: [] });
    const now = await handle.describe();
    expect([now.status.name, now.runId === lostRun]).toEqual(['RUNNING', false]);
    const canceled = await e.callAs(account, 'DELETE', `/v1/orders/${open.id}`);
    expect([canceled.status, canceled.body.status]).toEqual([200, 'CANCELED']);
    const onVenue = fake.orders().filter((o) => o.clientOrderId === open.clientOrderId);
    expect(onVenue.map((o) => o.status)).toEqual(['CANCELED']);
  });

  it('lists an order placed on the account outside the engine as EXTERNAL', async () => {
    const account = await e.newAccount();
    // The account has an order of ours, so it trades with the single-user pair and is reconciled.
    const ours = await e.callAs(account, 'POST', '/v1/orders', { venue: 'binance', symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.1', price: belowMarket(), timeInForce: 'GTC' });
    await waitForStatus(account, ours.body.id, ['NEW']);
    const clientOrderId = `web_${randomUUID().slice(0, 12)}`;
    const placed = await createBinanceExchange({ baseUrl: fake.url, apiKey: KEY, apiSecret: SECRET }).placeOrder({ symbol: 'ETHUSDT', side: 'SELL', type: 'LIMIT', quantity: '0.2', price: '9000', timeInForce: 'GTC', clientOrderId });

    const result = await reconcile([account]);

    expect(result.binance).toMatchObject({ accounts: 1, restarted: [], failures: [] });
    const listed = (await e.callAs(account, 'GET', '/v1/orders/external?venue=binance')).body.data;
    expect(listed).toContainEqual(expect.objectContaining({ origin: 'EXTERNAL', venue: 'binance', clientOrderId, exchangeOrderId: placed.exchangeOrderId, side: 'SELL', open: true }));
    expect(listed.map((o: { clientOrderId: string }) => o.clientOrderId)).not.toContain(`dt-${ours.body.id.replace(/-/g, '')}`);
    await e.callAs(account, 'DELETE', `/v1/orders/${ours.body.id}`);
  });
});
