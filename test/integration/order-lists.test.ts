/**
 * OCO and bracket orders through /v1/order-lists, on paper (the paper venue's OCO; the bracket run
 * by the workflow) and on Binance (orderList/oco and orderList/otoco on the fake): the legs are
 * ordinary orders linked to their list, one leg's fill ends the other, the pair never appears
 * when the entry is cancelled, and a trailing stop shows where it would trigger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { recordHistory } from '../helpers/histories.js';
import { waitFor } from '../helpers/wait.js';

const TERMINAL_LIST = ['ALL_DONE', 'CANCELED', 'REJECTED'];

async function listWhen(e: TestEngine, id: string, ok: (l: any) => boolean, what: string, timeoutMs = 20_000): Promise<any> {
  return waitFor(async () => (await e.call('GET', `/v1/order-lists/${id}`)).body, ok, { timeoutMs, what });
}

const leg = (l: any, role: string) => l.legs.find((o: any) => o.parent?.role === role);

describe('order lists on paper', () => {
  let e: TestEngine;
  beforeAll(async () => {
    e = await startEngine();
    await e.setPrice('ETHUSDT', '2000');
  });
  afterAll(async () => e?.stop());

  it('refuses lists that break a rule with a 422 naming it', async () => {
    const bad = [
      [{ type: 'BRACKET', symbol: 'ETHUSDT', side: 'BUY', quantity: '1', entry: { price: '1900' }, takeProfit: { price: '1800' }, stopLoss: { stopPrice: '1700' } }, 'takeProfit.price'],
      [{ type: 'BRACKET', symbol: 'ETHUSDT', side: 'BUY', quantity: '1', entry: { price: '1900' }, takeProfit: { price: '2100' }, stopLoss: { stopPrice: '1950' } }, 'stopLoss.stopPrice'],
      [{ type: 'OCO', symbol: 'ETHUSDT', side: 'SELL', quantity: '1', takeProfit: { price: '2100' }, stopLoss: { stopPrice: '1900', trailingDelta: 5 } }, 'stopLoss.trailingDelta'],
      [{ type: 'OCO', symbol: 'ETHUSDT', side: 'SELL', quantity: '1', takeProfit: { price: '2100' }, stopLoss: {} }, 'stopLoss'],
      [{ type: 'OCO', symbol: 'ETHUSDT', side: 'SELL', quantity: '1', takeProfit: { price: '1990' }, stopLoss: { stopPrice: '1900' } }, 'takeProfit.price'],
      [{ type: 'OCO', symbol: 'ETHUSDT', side: 'SELL', quantity: '1', entry: { price: '1' }, takeProfit: { price: '2100' }, stopLoss: { stopPrice: '1900' } }, 'entry'],
    ] as const;
    for (const [body, path] of bad) {
      const res = await e.call('POST', '/v1/order-lists', { ...body, venue: 'paper' });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    expect((await e.call('GET', '/v1/order-lists')).body.data).toEqual([]);
  });

  it('OCO: the take-profit fills, the stop-loss expires with it, and the list is ALL_DONE', async () => {
    // Own the ETH first: a paper market buy.
    const buy = await e.call('POST', '/v1/orders', { venue: 'paper', symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: '2' });
    await e.waitForStatus(buy.body.id, ['FILLED']);
    const res = await e.call('POST', '/v1/order-lists', { type: 'OCO', venue: 'paper', symbol: 'ETHUSDT', side: 'SELL', quantity: '1', takeProfit: { price: '2100' }, stopLoss: { stopPrice: '1900' } });
    expect(res.status).toBe(202);
    const working = await listWhen(e, res.body.id, (l) => l.status === 'WORKING' && l.legs.length === 2 && l.legs.every((o: any) => o.status === 'NEW'), 'both legs NEW');
    expect(leg(working, 'take-profit')).toMatchObject({ type: 'LIMIT_MAKER', side: 'SELL', price: '2100', parent: { kind: 'order-list', id: res.body.id, self: `/v1/order-lists/${res.body.id}` } });
    expect(leg(working, 'stop-loss')).toMatchObject({ type: 'STOP_LOSS', side: 'SELL', stopPrice: '1900' });
    await e.setPrice('ETHUSDT', '2150');
    const done = await listWhen(e, res.body.id, (l) => TERMINAL_LIST.includes(l.status), 'the list to end');
    expect(done.status).toBe('ALL_DONE');
    expect(leg(done, 'take-profit').status).toBe('FILLED');
    expect(leg(done, 'stop-loss').status).toBe('EXPIRED');
    await e.setPrice('ETHUSDT', '1800');
    // The stop that expired never fills later.
    const later = (await e.call('GET', `/v1/orders/${leg(done, 'stop-loss').id}`)).body;
    expect(later.status).toBe('EXPIRED');
    expect(later.fills).toEqual([]);
    await recordHistory(e.temporal, `order-list-${res.body.id}`, 'order-list-paper-oco');
    await e.setPrice('ETHUSDT', '2000');
  });

  it('BRACKET (emulated): the entry fills, then the pair protects what filled; the stop fires and the take-profit expires', async () => {
    const res = await e.call('POST', '/v1/order-lists', { type: 'BRACKET', venue: 'paper', symbol: 'ETHUSDT', side: 'BUY', quantity: '1', entry: { price: '1950' }, takeProfit: { price: '2200' }, stopLoss: { stopPrice: '1800' } });
    expect(res.status).toBe(202);
    const entryOnly = await listWhen(e, res.body.id, (l) => l.legs.length === 1 && leg(l, 'entry')?.status === 'NEW', 'the entry NEW');
    expect(entryOnly.status).toBe('WORKING');
    await e.setPrice('ETHUSDT', '1940');
    const pair = await listWhen(e, res.body.id, (l) => l.legs.length === 3 && l.legs.filter((o: any) => o.parent.role !== 'entry').every((o: any) => o.status === 'NEW'), 'the pair NEW');
    expect(leg(pair, 'entry').status).toBe('FILLED');
    expect(leg(pair, 'take-profit')).toMatchObject({ side: 'SELL', quantity: '1', price: '2200' });
    expect(leg(pair, 'stop-loss')).toMatchObject({ side: 'SELL', quantity: '1', stopPrice: '1800' });
    await e.setPrice('ETHUSDT', '1790');
    const done = await listWhen(e, res.body.id, (l) => TERMINAL_LIST.includes(l.status), 'the bracket to end');
    expect(done.status).toBe('ALL_DONE');
    expect(leg(done, 'stop-loss').status).toBe('FILLED');
    expect(leg(done, 'take-profit').status).toBe('EXPIRED');
    await recordHistory(e.temporal, `order-list-${res.body.id}`, 'order-list-paper-bracket');
    await recordHistory(e.temporal, `order-${leg(done, 'entry').id}`, 'paper-bracket-entry-filled');
    await e.setPrice('ETHUSDT', '2000');
  });

  it('BRACKET cancelled before its entry fills: the entry is cancelled and the pair never appears', async () => {
    const res = await e.call('POST', '/v1/order-lists', { type: 'BRACKET', venue: 'paper', symbol: 'ETHUSDT', side: 'BUY', quantity: '1', entry: { price: '1500' }, takeProfit: { price: '2200' }, stopLoss: { stopPrice: '1400' } });
    await listWhen(e, res.body.id, (l) => leg(l, 'entry')?.status === 'NEW', 'the entry NEW');
    const cancel = await e.call('DELETE', `/v1/order-lists/${res.body.id}`, { reason: 'changed my mind' });
    expect([200, 202]).toContain(cancel.status);
    const done = await listWhen(e, res.body.id, (l) => TERMINAL_LIST.includes(l.status), 'the bracket to end');
    expect(done.status).toBe('CANCELED');
    expect(done.legs.map((o: any) => [o.parent.role, o.status])).toEqual([['entry', 'CANCELED']]);
    expect((await e.call('DELETE', `/v1/order-lists/${res.body.id}`)).status).toBe(409);
  });

  it('BRACKET (emulated) whose entry fills as the price gaps through the stop: REJECTED, saying the position is unprotected', async () => {
    const res = await e.call('POST', '/v1/order-lists', { type: 'BRACKET', venue: 'paper', symbol: 'ETHUSDT', side: 'BUY', quantity: '1', entry: { price: '1950' }, takeProfit: { price: '2200' }, stopLoss: { stopPrice: '1900' } });
    await listWhen(e, res.body.id, (l) => leg(l, 'entry')?.status === 'NEW', 'the entry NEW');
    await e.setPrice('ETHUSDT', '1850');
    const done = await listWhen(e, res.body.id, (l) => TERMINAL_LIST.includes(l.status), 'the bracket to end');
    expect(done.status).toBe('REJECTED');
    expect(done.rejectReason).toMatch(/entry filled 1, but the protective pair was refused: .*unprotected/);
    expect(done.legs.map((o: any) => [o.parent.role, o.status])).toEqual([['entry', 'FILLED']]);
    // Sell what it bought, so the later tests start flat.
    const sell = await e.call('POST', '/v1/orders', { venue: 'paper', symbol: 'ETHUSDT', side: 'SELL', type: 'MARKET', quantity: '1' });
    await e.waitForStatus(sell.body.id, ['FILLED']);
    await e.setPrice('ETHUSDT', '2000');
  });

  it('trailing stop: the trigger follows the price up, the details show it, and a retrace of the delta fires it', async () => {
    const buy = await e.call('POST', '/v1/orders', { venue: 'paper', symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: '1' });
    await e.waitForStatus(buy.body.id, ['FILLED']);
    const bad = await e.call('POST', '/v1/orders', { venue: 'paper', symbol: 'ETHUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '1', trailingDelta: 3000 });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toContain('trailingDelta');
    const res = await e.call('POST', '/v1/orders', { venue: 'paper', symbol: 'ETHUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '1', trailingDelta: 500 });
    expect(res.status).toBe(202);
    const open = await e.waitForStatus(res.body.id, ['NEW']);
    expect(open).toMatchObject({ trailingDelta: 500, stopPrice: null });
    const details = () => e.temporal.workflow.getHandle(`order-${res.body.id}`).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    await e.setPrice('ETHUSDT', '2200');
    // 5% under the best price seen, 2200.
    await waitFor(details, (m) => /trailing stop 500 bps · trigger price 2090\b/.test(m.currentDetails ?? ''), { timeoutMs: 10_000, what: 'the details to show the trigger at 2090' });
    await e.setPrice('ETHUSDT', '2100');
    expect((await e.call('GET', `/v1/orders/${res.body.id}`)).body.status).toBe('NEW');
    await e.setPrice('ETHUSDT', '2080');
    const filled = await e.waitForStatus(res.body.id, ['FILLED']);
    expect(filled.fills).toHaveLength(1);
    await recordHistory(e.temporal, `order-${res.body.id}`, 'paper-trailing-stop-filled');
    await e.setPrice('ETHUSDT', '2000');
  });

  it('the same Idempotency-Key gives the same list, never a second one; another body under it is a 422', async () => {
    const body = { type: 'BRACKET', venue: 'paper', symbol: 'ETHUSDT', side: 'BUY', quantity: '1', entry: { price: '1500' }, takeProfit: { price: '2200' }, stopLoss: { stopPrice: '1400' } };
    const first = await e.call('POST', '/v1/order-lists', body, { 'Idempotency-Key': 'bracket-key-1' });
    const again = await e.call('POST', '/v1/order-lists', body, { 'Idempotency-Key': 'bracket-key-1' });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    const other = await e.call('POST', '/v1/order-lists', { ...body, quantity: '2' }, { 'Idempotency-Key': 'bracket-key-1' });
    expect(other.status).toBe(422);
    const l = await listWhen(e, first.body.id, (x) => leg(x, 'entry')?.status === 'NEW', 'the entry NEW');
    expect(l.legs).toHaveLength(1);
    await e.call('DELETE', `/v1/order-lists/${first.body.id}`);
  });

  it("another account's list answers 404", async () => {
    const res = await e.call('POST', '/v1/order-lists', { type: 'BRACKET', venue: 'paper', symbol: 'ETHUSDT', side: 'BUY', quantity: '1', entry: { price: '1500' }, takeProfit: { price: '2200' }, stopLoss: { stopPrice: '1400' } });
    const other = await e.newAccount();
    expect((await e.callAs(other, 'GET', `/v1/order-lists/${res.body.id}`)).status).toBe(404);
    expect((await e.callAs(other, 'DELETE', `/v1/order-lists/${res.body.id}`)).status).toBe(404);
    expect((await e.callAs(other, 'GET', '/v1/order-lists')).body.data).toEqual([]);
    await e.call('DELETE', `/v1/order-lists/${res.body.id}`);
  });
});

describe('order lists on Binance (native)', () => {
  const KEY = 'lists-key';
  const SECRET = 'lists-secret-never-logged';
  let fake: BinanceFake;
  let e: TestEngine;
  beforeAll(async () => {
    fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
    e = await startEngine(
      { BINANCE_BASE_URL: fake.url, BINANCE_WS_API_URL: fake.wsApiUrl, BINANCE_API_KEY: KEY, BINANCE_API_SECRET: SECRET, BINANCE_TIMEOUT: '2s' },
      { streamTuning: { livenessMs: 1500, backoffMs: { initial: 200, max: 1000 }, outageCheckMs: 1000, refreshMs: 1000 } },
    );
    await e.setPrice('ETHUSDT', fake.price('ETHUSDT'));
  });
  afterAll(async () => {
    await e?.stop();
    await fake?.close();
  });

  const px = (delta: number) => String(Math.round(Number(fake.price('ETHUSDT'))) + delta);

  it('OCO: one list on the venue; when the stop fires the take-profit expires there, and both legs end in our records', async () => {
    const res = await e.call('POST', '/v1/order-lists', { type: 'OCO', venue: 'binance', symbol: 'ETHUSDT', side: 'SELL', quantity: '1', takeProfit: { price: px(100) }, stopLoss: { stopPrice: px(-100) } });
    expect(res.status).toBe(202);
    const working = await listWhen(e, res.body.id, (l) => l.legs.length === 2 && l.legs.every((o: any) => o.status === 'NEW'), 'both legs NEW');
    expect(working.exchangeListId).not.toBeNull();
    expect(fake.requests().filter((r) => r.method === 'POST' && r.path === '/api/v3/orderList/oco')).toHaveLength(1);
    fake.setPrice('ETHUSDT', px(-150));
    const done = await listWhen(e, res.body.id, (l) => TERMINAL_LIST.includes(l.status), 'the list to end');
    expect(done.status).toBe('ALL_DONE');
    expect(leg(done, 'stop-loss').status).toBe('FILLED');
    expect(leg(done, 'take-profit').status).toBe('EXPIRED');
    const venueLegs = fake.orders().filter((o) => o.orderListId === Number(done.exchangeListId));
    expect(venueLegs.filter((o) => o.status === 'FILLED')).toHaveLength(1);
    await recordHistory(e.temporal, `order-list-${res.body.id}`, 'order-list-binance-oco');
    await recordHistory(e.temporal, `order-${leg(done, 'stop-loss').id}`, 'binance-oco-leg-filled');
  });

  it('BRACKET: an OTOCO; once the entry fills, the pair the venue placed is tracked, and the take-profit closes it', async () => {
    fake.setPrice('ETHUSDT', '2000');
    await e.setPrice('ETHUSDT', '2000');
    const res = await e.call('POST', '/v1/order-lists', { type: 'BRACKET', venue: 'binance', symbol: 'ETHUSDT', side: 'BUY', quantity: '1', entry: { price: '1950' }, takeProfit: { price: '2100' }, stopLoss: { stopPrice: '1850', trailingDelta: 200 } });
    expect(res.status).toBe(202);
    await listWhen(e, res.body.id, (l) => leg(l, 'entry')?.status === 'NEW', 'the entry NEW');
    expect(fake.requests().filter((r) => r.method === 'POST' && r.path === '/api/v3/orderList/otoco')).toHaveLength(1);
    fake.setPrice('ETHUSDT', '1940');
    const pair = await listWhen(e, res.body.id, (l) => l.legs.length === 3 && l.legs.filter((o: any) => o.parent.role !== 'entry').every((o: any) => o.status === 'NEW'), 'the pair NEW', 30_000);
    expect(leg(pair, 'stop-loss')).toMatchObject({ side: 'SELL', trailingDelta: 200 });
    fake.setPrice('ETHUSDT', '2150');
    const done = await listWhen(e, res.body.id, (l) => TERMINAL_LIST.includes(l.status), 'the bracket to end', 30_000);
    expect(done.status).toBe('ALL_DONE');
    expect(leg(done, 'take-profit').status).toBe('FILLED');
    expect(leg(done, 'stop-loss').status).toBe('EXPIRED');
    await recordHistory(e.temporal, `order-list-${res.body.id}`, 'order-list-binance-bracket');
  });

  it('trailing stop: placed with its trailingDelta on the venue, which fires it on a retrace', async () => {
    fake.setPrice('ETHUSDT', '2000');
    const res = await e.call('POST', '/v1/orders', { venue: 'binance', symbol: 'ETHUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '1', trailingDelta: 500 });
    expect(res.status).toBe(202);
    const open = await e.waitForStatus(res.body.id, ['NEW']);
    expect(fake.orders().find((o) => String(o.clientOrderId) === open.clientOrderId)).toMatchObject({ trailingDelta: 500 });
    fake.setPrice('ETHUSDT', '2200');
    await e.setPrice('ETHUSDT', '2200');
    // Binance keeps its trigger to itself: the details show the engine's estimate from its prices.
    const details = () => e.temporal.workflow.getHandle(`order-${res.body.id}`).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    await waitFor(details, (m) => /trigger price 2090 \(estimated from our prices/.test(m.currentDetails ?? ''), { timeoutMs: 10_000, what: 'the details to show the estimated trigger 2090' });
    fake.setPrice('ETHUSDT', '2100');
    expect((await e.call('GET', `/v1/orders/${res.body.id}`)).body.status).toBe('NEW');
    fake.setPrice('ETHUSDT', '2080');
    const filled = await e.waitForStatus(res.body.id, ['FILLED'], 15_000);
    expect(filled.trailingDelta).toBe(500);
  });

  it('price alert with a Binance conditional order: fires once on the move and places its order on the venue once', async () => {
    fake.setPrice('ETHUSDT', '2000');
    await e.setPrice('ETHUSDT', '2000');
    const created = await e.call('POST', '/v1/alerts', { symbol: 'ETHUSDT', condition: 'ABOVE', threshold: '2050', order: { venue: 'binance', symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: '0.5' } });
    expect(created.status).toBe(201);
    fake.setPrice('ETHUSDT', '2060');
    await e.setPrice('ETHUSDT', '2060');
    await e.setPrice('ETHUSDT', '2070');
    const fired = await waitFor(async () => (await e.call('GET', `/v1/alerts/${created.body.id}`)).body, (a) => a.order?.status === 'FILLED', { timeoutMs: 20_000, what: 'the conditional order to fill' });
    expect(fired).toMatchObject({ status: 'FIRED', firedPrice: '2060' });
    const order = (await e.call('GET', `/v1/orders/${fired.order.id}`)).body;
    expect(order).toMatchObject({ venue: 'binance', status: 'FILLED', parent: { kind: 'alert', id: created.body.id } });
    expect(fake.orders().filter((o) => String(o.clientOrderId) === order.clientOrderId)).toHaveLength(1);
    fake.setPrice('ETHUSDT', '2000');
    await e.setPrice('ETHUSDT', '2000');
  });

  it('BRACKET cancelled as its entry fills: the entry cannot be cancelled, so the pair the venue places is', async () => {
    fake.setPrice('ETHUSDT', '2000');
    const res = await e.call('POST', '/v1/order-lists', { type: 'BRACKET', venue: 'binance', symbol: 'ETHUSDT', side: 'BUY', quantity: '1', entry: { price: '1950' }, takeProfit: { price: '2200' }, stopLoss: { stopPrice: '1800' } });
    await listWhen(e, res.body.id, (l) => leg(l, 'entry')?.status === 'NEW', 'the entry NEW');
    fake.setPrice('ETHUSDT', '1940');
    await e.call('DELETE', `/v1/order-lists/${res.body.id}`, { reason: 'racing the fill' });
    const done = await listWhen(e, res.body.id, (l) => TERMINAL_LIST.includes(l.status), 'the bracket to end', 30_000);
    expect(done.status).toBe('CANCELED');
    expect(leg(done, 'entry').status).toBe('FILLED');
    expect([leg(done, 'take-profit')?.status, leg(done, 'stop-loss')?.status]).toEqual(['CANCELED', 'CANCELED']);
    fake.setPrice('ETHUSDT', '2000');
  });

  it('BRACKET cancelled before its entry fills: the whole list is cancelled on the venue and the pair never appears', async () => {
    fake.setPrice('ETHUSDT', '2000');
    const res = await e.call('POST', '/v1/order-lists', { type: 'BRACKET', venue: 'binance', symbol: 'ETHUSDT', side: 'BUY', quantity: '1', entry: { price: '1500' }, takeProfit: { price: '2200' }, stopLoss: { stopPrice: '1400' } });
    await listWhen(e, res.body.id, (l) => leg(l, 'entry')?.status === 'NEW', 'the entry NEW');
    await e.call('DELETE', `/v1/order-lists/${res.body.id}`);
    const done = await listWhen(e, res.body.id, (l) => TERMINAL_LIST.includes(l.status), 'the bracket to end');
    expect(done.status).toBe('CANCELED');
    expect(done.legs).toHaveLength(1);
    const venueLegs = fake.orders().filter((o) => String(o.orderListId) === String(done.exchangeListId));
    expect(venueLegs.length).toBeGreaterThan(0);
    expect(venueLegs.every((o) => ['CANCELED', 'EXPIRED'].includes(String(o.status)))).toBe(true);
  });
});
