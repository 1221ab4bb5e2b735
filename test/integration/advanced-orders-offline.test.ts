/**
 * Every advanced kind in offline `npm start`, as a new user tries it on a fresh machine: the whole
 * stack on embedded defaults, with the local stand-ins for Binance and Yahoo, both venues. Each
 * kind is placed through the API and followed to an outcome.
 */
import type { ChildProcess } from 'node:child_process';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../lib/embedded/process.js';
import { npmStart, npmStartEnv } from '../helpers/npm-start.js';
import { waitFor } from '../helpers/wait.js';

const { env, api } = await npmStartEnv('advanced-offline', { OFFLINE: '1', LOG_LEVEL: 'warn' });
let child: ChildProcess | undefined;
let authorization = '';

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${api}${path}`, { method, headers: { 'content-type': 'application/json', authorization }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const get = (path: string) => call('GET', path).then((r) => r.body);
const until = (path: string, ok: (b: any) => boolean, what: string, timeoutMs = 30_000) => waitFor(() => get(path), ok, { timeoutMs, what });
const price = (p: Decimal, factor: number) => p.times(factor).toDecimalPlaces(2).toFixed(2);

beforeAll(async () => {
  child = (await npmStart(env)).child;
  const registered = await fetch(`${api}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'advanced@durable-trader.test', password: 'correct horse battery staple' }),
  });
  authorization = `Bearer ${((await registered.json()) as { token: string }).token}`;
}, 180_000);

afterAll(async () => {
  if (child?.pid && isAlive(child.pid)) {
    const gone = new Promise((r) => child!.once('exit', r));
    child.kill('SIGINT');
    await gone;
  }
});

describe.each(['paper', 'binance'] as const)('advanced orders in offline npm start (%s)', (venue) => {
  let last: Decimal;
  beforeAll(async () => {
    const buy = await call('POST', '/v1/orders', { venue, symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    expect(buy.status).toBe(202);
    const filled = await until(`/v1/orders/${buy.body.id}`, (o) => ['FILLED', 'REJECTED'].includes(o.status), 'the market buy');
    expect(filled.status).toBe('FILLED');
    last = new Decimal(filled.cumulativeQuoteQty).div(filled.executedQty);
  }, 60_000);

  it('OCO: both legs rest on the venue; a cancel ends the pair', async () => {
    const res = await call('POST', '/v1/order-lists', { type: 'OCO', venue, symbol: 'BTCUSDT', side: 'SELL', quantity: '0.004', takeProfit: { price: price(last, 1.5) }, stopLoss: { stopPrice: price(last, 0.5) } });
    expect(res.status).toBe(202);
    await until(`/v1/order-lists/${res.body.id}`, (l) => l.legs.length === 2 && l.legs.every((o: any) => o.status === 'NEW'), 'both legs NEW');
    await call('DELETE', `/v1/order-lists/${res.body.id}`);
    const done = await until(`/v1/order-lists/${res.body.id}`, (l) => l.status === 'CANCELED' && l.legs.every((o: any) => o.status !== 'NEW'), 'the OCO cancelled');
    expect(done.legs.map((o: any) => o.status)).not.toContain('FILLED');
  });

  it('bracket: a marketable entry fills, then its pair protects the fill', async () => {
    const res = await call('POST', '/v1/order-lists', {
      type: 'BRACKET',
      venue,
      symbol: 'BTCUSDT',
      side: 'BUY',
      quantity: '0.002',
      entry: { price: price(last, 1.02) },
      takeProfit: { price: price(last, 2) },
      stopLoss: { stopPrice: price(last, 0.5) },
    });
    expect(res.status).toBe(202);
    const protectedList = await until(`/v1/order-lists/${res.body.id}`, (l) => l.legs.length === 3 && l.legs.filter((o: any) => o.parent.role !== 'entry').every((o: any) => o.status === 'NEW'), 'the pair NEW', 60_000);
    expect(protectedList.legs.find((o: any) => o.parent.role === 'entry').status).toBe('FILLED');
    await call('DELETE', `/v1/order-lists/${res.body.id}`);
    await until(`/v1/order-lists/${res.body.id}`, (l) => l.status === 'CANCELED', 'the pair cancelled');
  });

  it('trailing stop and good-till-date rest, then the date cancels the order', async () => {
    const trailing = await call('POST', '/v1/orders', { venue, symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.001', trailingDelta: 2000 });
    expect(trailing.status).toBe(202);
    expect((await until(`/v1/orders/${trailing.body.id}`, (o) => o.status !== 'RECEIVED' && o.status !== 'PENDING_NEW', 'the trailing stop placed')).status).toBe('NEW');
    await call('DELETE', `/v1/orders/${trailing.body.id}`);
    const gtd = await call('POST', '/v1/orders', { venue, symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: price(last, 0.5), expireAt: new Date(Date.now() + 4000).toISOString() });
    expect(gtd.status).toBe(202);
    const ended = await until(`/v1/orders/${gtd.body.id}`, (o) => ['CANCELED', 'FILLED', 'REJECTED'].includes(o.status), 'the good-till-date to pass');
    expect(ended.status).toBe('CANCELED');
    expect(ended.events.map((e: any) => e.cause)).toContain('good-till-date reached');
  });

  it('TWAP: two slices over a few seconds, each placed once and filled', async () => {
    const res = await call('POST', '/v1/twap-orders', { venue, symbol: 'BTCUSDT', side: 'BUY', quantity: '0.002', slices: 2, durationSeconds: 4 });
    expect(res.status).toBe(202);
    const done = await until(`/v1/twap-orders/${res.body.id}`, (t) => ['COMPLETED', 'CANCELED', 'REJECTED'].includes(t.status), 'the TWAP to complete', 60_000);
    expect(done.status).toBe('COMPLETED');
    expect(done.filledQty).toBe('0.002');
    expect(done.sliceList.map((x: any) => x.status)).toEqual(["FILLED", "FILLED"]);
  });

  it('price alert: made, listed, and cancelled; a DCA plan on its schedule, paused and deleted', async () => {
    const alert = await call('POST', '/v1/alerts', { symbol: 'BTCUSDT', condition: 'ABOVE', threshold: price(last, 10) });
    expect(alert.status).toBe(201);
    expect((await get('/v1/alerts')).data.map((a: any) => a.id)).toContain(alert.body.id);
    expect((await call('DELETE', `/v1/alerts/${alert.body.id}`)).status).toBe(200);
    const plan = await call('POST', '/v1/dca-plans', { venue, symbol: 'BTCUSDT', quoteAmount: '50', interval: '1d' });
    expect(plan.status).toBe(201);
    expect((await get(`/v1/dca-plans/${plan.body.id}`)).nextRunAt).toEqual(expect.any(String));
    expect((await call('POST', `/v1/dca-plans/${plan.body.id}/pause`)).status).toBe(200);
    expect((await call('DELETE', `/v1/dca-plans/${plan.body.id}`)).status).toBe(200);
  });
});
