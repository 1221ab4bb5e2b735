/**
 * Input that must not get past validation, and the shape of every failure: malformed decimals and
 * JSON, unknown fields, oversized bodies, too many orders. Each refused request stores nothing and
 * starts no workflow; each error is `{"error": {...}}` with a request id and no stack trace.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { errorSchema } from '../../api/openapi/registry.js';
import * as documented from '../../api/openapi/responses.js';
import { createLogger } from '../../lib/logger.js';
import { startEngine, type Reply, type TestEngine } from '../helpers/engine.js';
import { testConfig } from '../helpers/env.js';
import { serveApp, type Served } from '../helpers/http.js';

let e: TestEngine;
let account: string;
let served: Served;
beforeAll(async () => {
  e = await startEngine();
  await e.setPrice('VALUSDT', '100');
  account = await e.newAccount();
  served = await serveApp(e.app);
});
afterAll(async () => {
  await served.close();
  await e.stop();
});

const stored = async () => {
  const [row] = await e.sql<{ orders: string; trades: string }[]>`SELECT
    (SELECT count(*) FROM orders WHERE account_id = ${account})::text AS orders,
    (SELECT count(*) FROM trades WHERE account_id = ${account})::text AS trades`;
  return row;
};

/** An error answer as the API promises it: the one shape, a request id, nothing of a stack. */
function expectErrorShape(res: Reply, status: number, code?: string) {
  expect(res.status).toBe(status);
  expect(errorSchema.safeParse(res.body).success, JSON.stringify(res.body)).toBe(true);
  if (code) expect(res.body.error.code).toBe(code);
  expect(res.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
  expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
}

const BAD_DECIMALS: unknown[] = ['1e400', 'NaN', 'Infinity', '-0.5', '+1', '0', '0.0', '1'.repeat(41), '0.' + '1'.repeat(19), '0x10', ' 1', '1 ', '1,5', '', 1, 0.5, null, true, ['1'], { v: '1' }];

describe('decimals', () => {
  for (const bad of BAD_DECIMALS) {
    it(`refuses quantity ${JSON.stringify(bad)} of an order with 422 and stores nothing`, async () => {
      const before = await stored();
      const res = await e.callAs(account, 'POST', '/v1/orders', { symbol: 'VALUSDT', side: 'BUY', type: 'LIMIT', quantity: bad, price: '1', venue: 'paper' });
      expectErrorShape(res, 422, 'invalid_request');
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain('quantity');
      expect(await stored()).toEqual(before);
    });
  }

  for (const bad of ['1e400', 'NaN', '-0.5', '0', '0x10', ' 5', 100]) {
    it(`refuses price ${JSON.stringify(bad)} of a trade with 422 and stores nothing`, async () => {
      const before = await stored();
      const res = await e.callAs(account, 'POST', '/v1/trades', { symbol: 'VALA', side: 'BUY', quantity: '1', price: bad });
      expectErrorShape(res, 422, 'invalid_request');
      expect(await stored()).toEqual(before);
    });
  }

  it('accepts the same request with plain decimal strings (the refusals above are about the decimals)', async () => {
    const res = await e.callAs(account, 'POST', '/v1/orders', { symbol: 'VALUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.5', price: '1', venue: 'paper' });
    expect(res.status).toBe(202);
    await e.callAs(account, 'DELETE', `/v1/orders/${res.body.id}`);
  });
});

describe('malformed and unexpected bodies', () => {
  it('refuses malformed JSON with 400 invalid_json and stores nothing', async () => {
    const before = await stored();
    for (const body of ['{"symbol": "VALUSDT",', "{'symbol': 'VALUSDT'}", 'null x', '\u0000']) {
      expectErrorShape(await e.callAs(account, 'POST', '/v1/orders', body), 400, 'invalid_json');
    }
    expect(await stored()).toEqual(before);
  });

  it('refuses unknown fields with 422 naming them, in bodies and query strings, and stores nothing', async () => {
    const before = await stored();
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/v1/orders', { symbol: 'VALUSDT', side: 'BUY', type: 'MARKET', quantity: '1', venue: 'paper', leverage: '10' }],
      ['POST', '/v1/trades', { symbol: 'VALA', side: 'BUY', quantity: '1', price: '1', accountId: randomUUID() }],
      ['PUT', '/v1/exchange-credentials/binance', { apiKey: 'key-12345678', apiSecret: 'secret-12345678', venue: 'binance' }],
      ['PUT', '/v1/portfolio/settings', { method: 'fifo', force: true }],
      ['PUT', '/v1/watchlist', { symbols: [], extra: 1 }],
      ['GET', '/v1/orders?limit=5&account=x', undefined],
    ];
    for (const [method, path, body] of cases) {
      const res = await e.callAs(account, method, path, body);
      expectErrorShape(res, 422, 'invalid_request');
      expect(res.body.error.message, `${method} ${path}`).toMatch(/Unrecognized key|unrecognized/i);
    }
    expect(await stored()).toEqual(before);
  });

  it('refuses a 3 MB body with 413 over real HTTP, with the error shape', async () => {
    const huge = JSON.stringify({ symbol: 'VALUSDT', side: 'BUY', type: 'MARKET', quantity: '1', pad: 'x'.repeat(3 * 1024 * 1024) });
    const res = await fetch(`${served.url}/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${e.account.token}` }, body: huge });
    const body = await res.json();
    expectErrorShape({ status: res.status, body, headers: res.headers }, 413, 'payload_too_large');
  });
});

describe('errors and request ids', () => {
  it('gives every error the one shape and an X-Request-Id: 400, 401, 403, 404, 409, 413, 422', async () => {
    expectErrorShape(await e.call('POST', '/v1/orders', '{'), 400);
    expectErrorShape(await e.request('GET', '/v1/orders'), 401);
    expectErrorShape(await e.callAs(account, 'POST', '/v1/schedules/price-refresh/pause'), 403);
    expectErrorShape(await e.call('GET', '/v1/nothing-here'), 404, 'not_found');
    expectErrorShape(await e.request('GET', '/nothing-here'), 404, 'not_found');
    expectErrorShape(await e.call('GET', `/v1/orders/${randomUUID()}`), 404, 'order_not_found');
    const account2 = await e.registerUser();
    expectErrorShape(await e.request('POST', '/v1/auth/register', { body: { email: account2.email, password: 'another long password' } }), 409, 'email_taken');
    expectErrorShape(await e.call('POST', '/v1/orders', JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) })), 413);
    expectErrorShape(await e.call('POST', '/v1/orders', {}), 422);
  });

  it("keeps the caller's X-Request-Id and writes it into every log line about the request", async () => {
    const requestId = `req-${randomUUID()}`;
    const from = e.apiLogLines.length;
    const res = await e.call('GET', `/v1/orders/${randomUUID()}`, undefined, { 'x-request-id': requestId });
    expect(res.headers.get('x-request-id')).toBe(requestId);
    const lines = e.apiLogLines.slice(from);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toContain(`"requestId":"${requestId}"`);
  });

  it('gives each request its own id when the caller sends none', async () => {
    const [a, b] = await Promise.all([e.call('GET', '/v1/me'), e.call('GET', '/v1/me')]);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('answers as the OpenAPI document says, for the routes of this issue', async () => {
    const signed = await e.request('POST', '/v1/auth/register', { body: { email: `doc-${randomUUID()}@durable-trader.test`, password: 'correct horse battery staple' } });
    documented.signedInResponse.parse(signed.body);
    documented.meResponse.parse((await e.request('GET', '/v1/me', { token: signed.body.token })).body);
    documented.credentialStatusResponse.parse((await e.request('GET', '/v1/exchange-credentials/binance', { token: signed.body.token })).body);
    const order = await e.call('POST', '/v1/orders', { symbol: 'VALUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: '1', venue: 'paper' });
    documented.orderAcceptedResponse.parse(order.body);
    documented.orderDetailResponse.parse((await e.call('GET', `/v1/orders/${order.body.id}`)).body);
    documented.orderListResponse.parse((await e.call('GET', '/v1/orders?limit=2')).body);
    await e.call('DELETE', `/v1/orders/${order.body.id}`);
  });
});

describe('order submissions per account', () => {
  it('answers 429 with Retry-After past ORDER_RATE_LIMIT, starts no workflow for it, and limits each account on its own', async () => {
    const app = createApp({ config: testConfig({ TASK_QUEUE_PREFIX: e.config.TASK_QUEUE_PREFIX, ORDER_RATE_LIMIT: '2/1m' }), sql: e.sql, temporal: e.temporal, log: createLogger('test', { level: 'error' }), tokens: e.tokens });
    const busy = await e.newAccount();
    const calm = await e.newAccount();
    const tokenOf = async (id: string) => e.tokens.sign({ sub: id, email: (await e.sql<{ email: string }[]>`SELECT email FROM accounts WHERE id = ${id}`)[0]!.email });
    const [busyToken, calmToken] = [await tokenOf(busy), await tokenOf(calm)];
    const submit = (token: string) =>
      app.request('/v1/orders', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ symbol: 'VALUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: '1', venue: 'paper' }) });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await submit(busyToken)).status);
    expect(statuses).toEqual([202, 202, 429]);
    const limited = await submit(busyToken);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    const [count] = await e.sql<{ n: string }[]>`SELECT count(*)::text AS n FROM orders WHERE account_id = ${busy}`;
    expect(count?.n).toBe('2');
    expect((await submit(calmToken)).status).toBe(202);
    for (const [id, token] of [[busy, busyToken], [calm, calmToken]] as const) {
      for (const o of await e.sql<{ id: string }[]>`SELECT id FROM orders WHERE account_id = ${id}`) {
        await app.request(`/v1/orders/${o.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
      }
    }
  });
});
