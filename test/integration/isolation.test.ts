/**
 * Two accounts on one engine: each sees only its own orders, trades, positions, credentials and
 * idempotency keys. Another account's id answers exactly like an id that does not exist (404), never
 * 403, and a refused cancel changes nothing. Schedules, which serve everyone, are for operators.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { enforceContract, expectContractKept } from '../helpers/openapi-contract.js';

const SYMBOL = 'ISOUSDT';
let e: TestEngine;
let alice: string;
let bob: string;
let aliceOrder: string;

beforeAll(async () => {
  e = await startEngine();
  await enforceContract(e.app);
  await e.setPrice(SYMBOL, '100');
  alice = await e.newAccount();
  bob = await e.newAccount();
  // A LIMIT far below the market rests open: it must still be open after bob's cancel.
  const placed = await e.callAs(alice, 'POST', '/v1/orders', { symbol: SYMBOL, side: 'BUY', type: 'LIMIT', quantity: '1', price: '1', venue: 'paper' }, { 'Idempotency-Key': 'shared-key' });
  expect(placed.status).toBe(202);
  aliceOrder = placed.body.id;
  await waitOpen(aliceOrder);
});
afterAll(async () => {
  await e.callAs(alice, 'DELETE', `/v1/orders/${aliceOrder}`);
  await e.stop();
});

expectContractKept();

async function waitOpen(id: string) {
  for (let i = 0; i < 100; i++) {
    if ((await e.callAs(alice, 'GET', `/v1/orders/${id}`)).body.status === 'NEW') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`order ${id} never opened`);
}

describe("another account's ids answer 404, exactly like ids that do not exist", () => {
  const routes: Array<[string, (id: string) => string]> = [
    ['GET', (id) => `/v1/orders/${id}`],
    ['DELETE', (id) => `/v1/orders/${id}`],
  ];
  for (const [method, path] of routes) {
    it(`${method} /v1/orders/:id`, async () => {
      const theirs = await e.callAs(bob, method, path(aliceOrder));
      const missing = await e.callAs(bob, method, path(randomUUID()));
      expect(theirs.status).toBe(404);
      expect(missing.status).toBe(404);
      expect(theirs.body.error.code).toBe(missing.body.error.code);
      expect(JSON.stringify(theirs.body)).not.toContain(SYMBOL);
    });
  }

  it("leaves the order open after another account's cancel was refused", async () => {
    await e.callAs(bob, 'DELETE', `/v1/orders/${aliceOrder}`);
    expect((await e.callAs(alice, 'GET', `/v1/orders/${aliceOrder}`)).body.status).toBe('NEW');
  });
});

describe('lists show only the caller', () => {
  it("GET /v1/orders lists only the caller's orders", async () => {
    const mine = await e.callAs(alice, 'GET', '/v1/orders');
    const theirs = await e.callAs(bob, 'GET', '/v1/orders');
    expect(mine.body.data.map((o: { id: string }) => o.id)).toContain(aliceOrder);
    expect(theirs.body.data).toEqual([]);
  });

  it("GET /v1/trades, /v1/positions and /v1/portfolio/history show nothing of another account's trades", async () => {
    const trade = await e.callAs(alice, 'POST', '/v1/trades', { symbol: 'ISOA', side: 'BUY', quantity: '3', price: '10', executedAt: '2024-05-01T00:00:00Z' });
    expect(trade.status).toBe(201);
    expect((await e.callAs(alice, 'GET', '/v1/trades')).body.data.map((t: { tradeId: string }) => t.tradeId)).toContain(trade.body.id);
    expect((await e.callAs(bob, 'GET', '/v1/trades')).body.data).toEqual([]);
    const positions = await e.callAs(bob, 'GET', '/v1/positions');
    expect(positions.status).toBe(200);
    expect(positions.body.filter((p: { symbol: string }) => p.symbol === 'ISOA')).toEqual([]);
    const history = await e.callAs(bob, 'GET', '/v1/portfolio/history');
    expect(history.status).toBe(200);
    expect(history.body.data.filter((point: { trades: string }) => point.trades !== '0')).toEqual([]);
  });

  it("GET /v1/exchange-credentials/binance tells nothing of another account's pair", async () => {
    expect((await e.callAs(alice, 'PUT', '/v1/exchange-credentials/binance', { apiKey: 'alice-key-0001', apiSecret: 'alice-secret-0001' })).status).toBe(204);
    expect((await e.callAs(bob, 'GET', '/v1/exchange-credentials/binance')).body).toEqual({ configured: false, apiKeyLast4: null });
    expect((await e.callAs(alice, 'GET', '/v1/exchange-credentials/binance')).body).toEqual({ configured: true, apiKeyLast4: '0001' });
    expect((await e.callAs(alice, 'DELETE', '/v1/exchange-credentials/binance')).status).toBe(204);
  });

  it("GET /v1/watchlist shows only the caller's symbols", async () => {
    await e.sql`INSERT INTO watchlists (account_id, symbol, position) VALUES (${alice}, 'ISOW', 0)`;
    expect((await e.callAs(alice, 'GET', '/v1/watchlist')).body).toEqual({ symbols: ['ISOW'] });
    expect((await e.callAs(bob, 'GET', '/v1/watchlist')).body).toEqual({ symbols: [] });
  });
});

describe('idempotency keys belong to their account', () => {
  it("gives another account a new order for the same Idempotency-Key, never the first account's", async () => {
    const res = await e.callAs(bob, 'POST', '/v1/orders', { symbol: SYMBOL, side: 'BUY', type: 'LIMIT', quantity: '2', price: '1', venue: 'paper' }, { 'Idempotency-Key': 'shared-key' });
    expect(res.status).toBe(202);
    expect(res.body.id).not.toBe(aliceOrder);
    await e.callAs(bob, 'DELETE', `/v1/orders/${res.body.id}`);
  });
});

describe('schedules', () => {
  it('lets any account read a schedule but only operators pause or resume it', async () => {
    const read = await e.callAs(bob, 'GET', '/v1/schedules/price-refresh');
    expect([200, 404]).toContain(read.status);
    for (const action of ['pause', 'resume']) {
      const res = await e.callAs(bob, 'POST', `/v1/schedules/price-refresh/${action}`);
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(/operators/);
    }
  });
});
