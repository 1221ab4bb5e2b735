/**
 * Input that must not get past validation, and the shape of every failure: malformed decimals and
 * JSON, unknown fields, oversized bodies, bodies that are not JSON or repeat a key, repeated and
 * unknown query parameters, too many orders. Each refused request stores nothing and starts no
 * workflow; each error is `{"error": {...}}` with a request id and no stack trace; every answer
 * is the one the OpenAPI document describes.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createLogger } from '../../lib/logger.js';
import { startEngine, type Reply, type TestEngine } from '../helpers/engine.js';
import { testConfig } from '../helpers/env.js';
import { serveApp, type Served } from '../helpers/http.js';
import { enforceContract, expectContractKept, type Contract } from '../helpers/openapi-contract.js';

let e: TestEngine;
let account: string;
let served: Served;
let contract: Contract;
beforeAll(async () => {
  e = await startEngine();
  contract = await enforceContract(e.app);
  await e.setPrice('VALUSDT', '100');
  account = await e.newAccount();
  served = await serveApp(e.app);
});
expectContractKept();
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
  expect(contract.check({ $ref: '#/components/schemas/Error' }, res.body), JSON.stringify(res.body)).toEqual([]);
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

});

describe('what the document describes', () => {
  it("answers sign-up, the account, credentials and an order's life as the OpenAPI document says", async () => {
    const signed = await e.request('POST', '/v1/auth/register', { body: { email: `doc-${randomUUID()}@durable-trader.test`, password: 'correct horse battery staple' } });
    expect(signed.status).toBe(201);
    expect((await e.request('GET', '/v1/me', { token: signed.body.token })).status).toBe(200);
    expect((await e.request('GET', '/v1/exchange-credentials/binance', { token: signed.body.token })).status).toBe(200);
    const order = await e.call('POST', '/v1/orders', { symbol: 'VALUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: '1', venue: 'paper' });
    expect(order.status).toBe(202);
    expect((await e.call('GET', `/v1/orders/${order.body.id}`)).status).toBe(200);
    expect((await e.call('GET', '/v1/orders?limit=2')).status).toBe(200);
    expect([200, 202]).toContain((await e.call('DELETE', `/v1/orders/${order.body.id}`)).status);
    // Every answer above went through the contract check (expectContractKept).
  });
});

/** The operations that take a body, with a path to call each at (and what it needs to get that far). */
function bodyOperations() {
  const concrete = (template: string) => template.replace('{id}', randomUUID()).replace('{venue}', 'binance').replace('{name}', 'price-refresh');
  return Object.entries(contract.document.paths).flatMap(([template, ops]) =>
    Object.entries(ops)
      .filter(([, op]) => (op as { requestBody?: unknown }).requestBody)
      .map(([method, op]) => ({ method: method.toUpperCase(), template, path: concrete(template), responses: Object.keys(op.responses) })),
  );
}
/** The engine account (an operator) for the routes behind a token, and the codec's namespace. */
const operatorHeaders = () => ({ authorization: `Bearer ${e.account.token}`, 'x-namespace': e.config.TEMPORAL_NAMESPACE });

describe('bodies that are not one JSON object', () => {
  it('answers 413 on every route that takes a body, as the document says', async () => {
    const operations = bodyOperations();
    expect(operations.length).toBeGreaterThan(10);
    for (const o of operations) {
      expect(o.responses, `${o.method} ${o.template}`).toContain('413');
      const res = await e.app.request(o.path, { method: o.method, headers: { 'content-type': 'application/json', ...operatorHeaders() }, body: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }) });
      expectErrorShape({ status: res.status, body: await res.json(), headers: res.headers }, 413, 'payload_too_large');
    }
  });

  it('answers 415 to a JSON body sent as text/plain or without a Content-Type, on every route that takes one, and stores nothing', async () => {
    const before = await stored();
    const order = JSON.stringify({ symbol: 'VALUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: '1', venue: 'paper' });
    expectErrorShape(await e.callAs(account, 'POST', '/v1/orders', order, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
    for (const o of bodyOperations()) {
      expect(o.responses, `${o.method} ${o.template}`).toContain('415');
      for (const headers of [{ 'content-type': 'text/plain;charset=UTF-8' }, {}] as Record<string, string>[]) {
        const refused = await e.app.request(o.path, { method: o.method, headers: { ...headers, ...operatorHeaders() }, body: '{}' });
        expect(refused.status, `${o.method} ${o.path} ${JSON.stringify(headers)}`).toBe(415);
      }
    }
    expect(await stored()).toEqual(before);
  });

  it('refuses a body that repeats a key with 400 duplicate_key naming it, and stores nothing', async () => {
    const before = await stored();
    const twice = '{"symbol":"VALUSDT","side":"BUY","type":"LIMIT","quantity":"1","price":"1","venue":"paper","quantity":"1000"}';
    const res = await e.callAs(account, 'POST', '/v1/orders', twice);
    expectErrorShape(res, 400, 'duplicate_key');
    expect(res.body.error.details).toEqual([{ path: 'quantity', message: 'appears twice in one object' }]);
    const nested = await e.callAs(account, 'POST', '/v1/trades', '{"symbol":"VALA","side":"BUY","quantity":"1","price":"1","executedAt":"2024-05-01T00:00:00Z","\u0073ide":"SELL"}');
    expectErrorShape(nested, 400, 'duplicate_key');
    expect(await stored()).toEqual(before);
  });
});

describe('query strings', () => {
  it('refuses a repeated query parameter with 400 on routes with and without a query', async () => {
    for (const path of ['/v1/orders?limit=1&limit=200', '/v1/trades?symbol=VALA&symbol=VALB', '/v1/me?x=1&x=2', '/health?a=1&a=1']) {
      const res = await e.callAs(account, 'GET', path);
      expectErrorShape(res, 400, 'repeated_query_parameter');
    }
  });

  it('takes page sizes as plain integers only: 1e2, 0x10, +5, 5.0 and " 5" answer 422', async () => {
    expect((await e.callAs(account, 'GET', '/v1/orders?limit=5')).status).toBe(200);
    for (const route of ['/v1/orders', '/v1/orders/external', '/v1/trades', '/v1/portfolio/history']) {
      for (const limit of ['1e2', '0x10', '+5', '5.0', ' 5', '0', '99999999999']) {
        const res = await e.callAs(account, 'GET', `${route}?limit=${encodeURIComponent(limit)}`);
        expectErrorShape(res, 422, 'invalid_request');
        expect(res.body.error.details.map((d: { path: string }) => d.path), `${route} limit=${limit}`).toEqual(['limit']);
      }
    }
  });

  it('answers an unknown query parameter with 422 on every route the document lists', async () => {
    const concrete = (template: string) => template.replace('{id}', randomUUID()).replace('{venue}', 'binance').replace('{name}', 'price-refresh').replace('{symbol}', 'VALUSDT').replace('{file}', 'init.js');
    const routes = Object.entries(contract.document.paths)
      .filter(([template]) => template !== '/v1/stream')
      .flatMap(([template, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path: concrete(template) })));
    expect(routes.length).toBeGreaterThan(30);
    for (const { method, path } of routes) {
      const res = await e.app.request(`${path}?unexpected=1`, { method, headers: operatorHeaders() });
      const body = (await res.json()) as Reply['body'];
      expectErrorShape({ status: res.status, body, headers: res.headers }, 422, 'invalid_request');
      expect(body.error.details, `${method} ${path}`).toContainEqual({ path: '(query)', message: 'Unrecognized key: "unexpected"' });
    }
  });
});

describe('response headers', () => {
  it('sends X-Content-Type-Options: nosniff with every kind of answer', async () => {
    const answers = [
      await e.call('GET', '/v1/me'),
      await e.callAs(account, 'POST', '/v1/trades', { symbol: 'VALN', side: 'BUY', quantity: '1', price: '1', executedAt: '2024-05-01T00:00:00Z' }),
      await e.callAs(account, 'DELETE', '/v1/exchange-credentials/binance'),
      await e.call('GET', `/v1/orders/${randomUUID()}`),
      await e.request('GET', '/nothing-here'),
      await e.request('GET', '/docs'),
      await e.request('GET', '/docs/swagger-ui.css'),
      await e.request('GET', '/openapi.json'),
    ];
    for (const a of answers) expect(a.headers.get('x-content-type-options'), String(a.status)).toBe('nosniff');
    expect(answers.map((a) => a.status)).toEqual([200, 201, 204, 404, 404, 200, 200, 200]);
  });

  it('answers credential status and changes with Cache-Control: no-store, failures included', async () => {
    const answers = [
      await e.callAs(account, 'GET', '/v1/exchange-credentials/binance'),
      await e.callAs(account, 'PUT', '/v1/exchange-credentials/binance', { apiKey: 'key-12345678', apiSecret: 'secret-12345678' }),
      await e.callAs(account, 'PUT', '/v1/exchange-credentials/binance', { apiKey: 'short' }),
      await e.callAs(account, 'DELETE', '/v1/exchange-credentials/binance'),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 204, 422, 204]);
    for (const a of answers) expect(a.headers.get('cache-control'), String(a.status)).toBe('no-store');
  });
});

describe('order submissions per account', () => {
  it('answers 429 with Retry-After past ORDER_RATE_LIMIT, starts no workflow for it, and limits each account on its own', async () => {
    const app = createApp({ config: testConfig({ TASK_QUEUE_PREFIX: e.config.TASK_QUEUE_PREFIX, ORDER_RATE_LIMIT: '2/1m' }), sql: e.sql, temporal: e.temporal, log: createLogger('test', { level: 'error' }), tokens: e.tokens });
    await enforceContract(app);
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
