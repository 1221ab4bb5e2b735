import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { recordHistory } from '../helpers/histories.js';
import { waitFor } from '../helpers/wait.js';

const KEY = 'lc-key';
const SECRET = 'lc-secret';
let fake: BinanceFake;
let e: TestEngine;
beforeAll(async () => {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
  e = await startEngine({ BINANCE_BASE_URL: fake.url, BINANCE_API_KEY: KEY, BINANCE_API_SECRET: SECRET, ORDER_POLLS_PER_RUN: '3', ORDER_POLL_MAX_INTERVAL: '500ms', ORDER_SAFETY_POLL_INTERVAL: '500ms' });
  await e.setPrice('LCUSDT', '100');
  await e.setPrice('BNBUSDT', fake.price('BNBUSDT'));
});
afterAll(async () => {
  await e.stop();
  await fake.close();
});

const post = (body: Record<string, unknown>) => e.call('POST', '/v1/orders', body);

describe('every order type reaches its terminal state on the paper venue', () => {
  // Price 100 → each order rests, then the market moves to `to`, which fills or triggers it.
  const cases: Array<[string, Record<string, string>, string]> = [
    ['MARKET', { side: 'BUY', type: 'MARKET' }, '100'],
    ['LIMIT', { side: 'BUY', type: 'LIMIT', price: '95' }, '94'],
    ['STOP_LOSS', { side: 'SELL', type: 'STOP_LOSS', stopPrice: '90' }, '89'],
    ['STOP_LOSS_LIMIT', { side: 'SELL', type: 'STOP_LOSS_LIMIT', stopPrice: '90', price: '88' }, '89'],
    ['TAKE_PROFIT', { side: 'SELL', type: 'TAKE_PROFIT', stopPrice: '110' }, '111'],
    ['TAKE_PROFIT_LIMIT', { side: 'SELL', type: 'TAKE_PROFIT_LIMIT', stopPrice: '110', price: '109' }, '111'],
  ];
  for (const [name, fields, to] of cases) {
    it(`fills a ${name} order`, async () => {
      await e.setPrice('LCUSDT', '100');
      if (fields.side === 'SELL') {
        const buy = await post({ symbol: 'LCUSDT', side: 'BUY', type: 'MARKET', quantity: '1', venue: 'paper' });
        await e.waitForStatus(buy.body.id, ['FILLED']);
      }
      const res = await post({ symbol: 'LCUSDT', quantity: '1', venue: 'paper', ...fields });
      expect(res.status).toBe(202);
      if (name !== 'MARKET') await e.waitForStatus(res.body.id, ['NEW']);
      await e.setPrice('LCUSDT', to);
      const order = await e.waitForStatus(res.body.id, ['FILLED']);
      expect(order.executedQty).toBe('1');
      expect(order.fills).toHaveLength(1);
    });
  }

  it('expires an IOC LIMIT order that cannot fill at once', async () => {
    await e.setPrice('LCUSDT', '100');
    const res = await post({ symbol: 'LCUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: '90', timeInForce: 'IOC', venue: 'paper' });
    const order = await e.waitForStatus(res.body.id, ['EXPIRED']);
    expect(order.fills).toHaveLength(0);
  });
});

describe('every order type reaches its terminal state on Binance', () => {
  const px = () => fake.price('BNBUSDT');
  const at = (delta: number) => (Number(px()) + delta).toFixed(2);
  const cases: Array<[string, () => Record<string, string>, (start: string) => string]> = [
    ['MARKET', () => ({ side: 'BUY', type: 'MARKET' }), (s) => s],
    ['LIMIT', () => ({ side: 'BUY', type: 'LIMIT', price: at(-5), timeInForce: 'GTC' }), (s) => (Number(s) - 6).toFixed(2)],
    ['STOP_LOSS', () => ({ side: 'SELL', type: 'STOP_LOSS', stopPrice: at(-5) }), (s) => (Number(s) - 6).toFixed(2)],
    ['STOP_LOSS_LIMIT', () => ({ side: 'SELL', type: 'STOP_LOSS_LIMIT', stopPrice: at(-5), price: at(-7), timeInForce: 'GTC' }), (s) => (Number(s) - 6).toFixed(2)],
    ['TAKE_PROFIT', () => ({ side: 'SELL', type: 'TAKE_PROFIT', stopPrice: at(5) }), (s) => (Number(s) + 6).toFixed(2)],
    ['TAKE_PROFIT_LIMIT', () => ({ side: 'SELL', type: 'TAKE_PROFIT_LIMIT', stopPrice: at(5), price: at(4), timeInForce: 'GTC' }), (s) => (Number(s) + 6).toFixed(2)],
  ];
  for (const [name, fields, move] of cases) {
    it(`fills a ${name} order`, async () => {
      const start = px();
      const res = await post({ symbol: 'BNBUSDT', quantity: '0.1', venue: 'binance', ...fields() });
      expect(res.status).toBe(202);
      if (name !== 'MARKET') await e.waitForStatus(res.body.id, ['NEW']);
      fake.setPrice('BNBUSDT', move(start));
      const order = await e.waitForStatus(res.body.id, ['FILLED']);
      expect(order.executedQty).toBe('0.1');
      fake.setPrice('BNBUSDT', start);
    });
  }
});

describe('a long-open order', () => {
  it('continues as new instead of growing one history, and still fills and can be tracked', async () => {
    await e.setPrice('LCUSDT', '100');
    const res = await post({ symbol: 'LCUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: '50', venue: 'paper' });
    await e.waitForStatus(res.body.id, ['NEW']);
    const handle = e.temporal.workflow.getHandle(`order-${res.body.id}`);
    // 3 polls per run at ≤ 500 ms: a few seconds give several runs.
    const latest = await waitFor(() => handle.describe(), (d) => d.runId !== res.body.runId, { timeoutMs: 20_000, what: 'a continue-as-new' });
    expect(latest.status.name).toBe('RUNNING');
    const first = await e.temporal.workflow.getHandle(`order-${res.body.id}`, res.body.runId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    // Each run holds its start plus at most 3 polls (~11 events each), however long the order stays open.
    expect(first.historyLength).toBeLessThan(100);
    await e.setPrice('LCUSDT', '49');
    const order = await e.waitForStatus(res.body.id, ['FILLED']);
    expect(order.events.map((ev: { status: string }) => ev.status)).toEqual(['RECEIVED', 'PENDING_NEW', 'NEW', 'FILLED']);
    await recordHistory(e.temporal, `order-${res.body.id}`, 'paper-limit-continued-as-new-filled');
  });

  it('accepts a cancel after continuing as new', async () => {
    await e.setPrice('LCUSDT', '100');
    const res = await post({ symbol: 'LCUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: '40', venue: 'paper' });
    await e.waitForStatus(res.body.id, ['NEW']);
    const handle = e.temporal.workflow.getHandle(`order-${res.body.id}`);
    await waitFor(() => handle.describe(), (d) => d.runId !== res.body.runId, { timeoutMs: 20_000, what: 'a continue-as-new' });
    const cancel = await e.call('DELETE', `/v1/orders/${res.body.id}`);
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('CANCELED');
  });
});
