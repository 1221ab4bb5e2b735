/**
 * /v1/stream over a real WebSocket: the Hono app served by @hono/node-server on a free port with
 * the stream attached, a real `ws` client, and pushes that come from PostgreSQL NOTIFY.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createOrderDbActivities } from '../../activities/orders/record-activities.js';
import { insertReceivedOrder } from '../../store/orders.js';
import type { StreamServer } from '../../api/stream/index.js';
import type { StreamLimits } from '../../api/stream/limits.js';
import { clientOrderIdFor, orderWorkflowId, type OrderStatus } from '../../workflows/definitions.js';
import { startStreamApi } from '../helpers/stream-server.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { enforceContract, expectContractKept, type Contract } from '../helpers/openapi-contract.js';

const HEARTBEAT_MS = 200;
/** The engine's own account (every client below signs in as it unless told otherwise), and another. */
let ACCOUNT: string;
let OTHER_ACCOUNT: string;

interface Api {
  url: string;
  stream: StreamServer;
  close(): Promise<void>;
}

let e: TestEngine;
let api: Api;
let contract: Contract;
const openOrders: string[] = [];
const orderDb = () => createOrderDbActivities({ sql: e.sql });

const startApi = (limits?: Partial<StreamLimits>): Promise<Api> => startStreamApi(e, limits);

beforeAll(async () => {
  e = await startEngine({ WS_HEARTBEAT_INTERVAL: `${HEARTBEAT_MS}ms` });
  contract = await enforceContract(e.app);
  ACCOUNT = e.account.id;
  OTHER_ACCOUNT = await e.newAccount();
  api = await startApi();
});
afterAll(async () => {
  // Orders of this file end CANCELED so no later refresh takes them for open ones.
  for (const id of openOrders) await transition(id, 'CANCELED', 9).catch(() => {});
  await api.close();
  await e.stop();
});

expectContractKept();

/** A `ws` client that keeps every frame it gets, and waits for the next one that matches. */
class Client {
  readonly frames: any[] = [];
  #waiters: Array<{ match: (f: any) => boolean; resolve: (f: any) => void }> = [];
  #seen = 0;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      this.frames.push(frame);
      this.#waiters = this.#waiters.filter((w) => (w.match(frame) ? (w.resolve(frame), false) : true));
    });
  }

  /** Signs in with the engine account's token unless `options.headers` says otherwise. */
  static open(url = api.url, options: WebSocket.ClientOptions = {}): Promise<Client> {
    const ws = new WebSocket(url, { ...options, headers: { authorization: `Bearer ${e.account.token}`, ...options.headers } });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Client(ws)));
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next frame (after those already returned by next) that matches, within timeoutMs. */
  next(match: (f: any) => boolean, timeoutMs = 2_000): Promise<any> {
    const found = this.frames.slice(this.#seen).findIndex(match);
    if (found !== -1) {
      this.#seen += found + 1;
      return Promise.resolve(this.frames[this.#seen - 1]);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`)), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer);
          this.#seen = this.frames.length;
          resolve(f);
        },
      });
    });
  }

  async subscribe(channel: 'prices' | 'orders', symbols?: string[]): Promise<any[]> {
    const from = this.frames.length;
    this.send({ type: 'subscribe', channel, ...(symbols ? { symbols } : {}) });
    await this.next((f) => f.type === 'subscribed' && f.channel === channel);
    return this.frames.slice(from, -1);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

async function newOrder(accountId = ACCOUNT, symbol = 'STRMUSDT'): Promise<string> {
  const orderId = randomUUID();
  await insertReceivedOrder(e.sql, { orderId, accountId, venue: 'paper', symbol, side: 'BUY', type: 'LIMIT', quantity: '1', price: '1', timeInForce: 'GTC' }, clientOrderIdFor(orderId), orderWorkflowId(orderId));
  openOrders.push(orderId);
  return orderId;
}

async function transition(orderId: string, status: OrderStatus, seq: number, executedQty = '0', accountId = ACCOUNT, symbol = 'STRMUSDT'): Promise<void> {
  await orderDb().recordTransition({ orderId, accountId, venue: 'paper', symbol, seq, status, cause: 'test', detail: {}, state: { executedQty, cumulativeQuoteQty: '0' } });
}

describe('/v1/stream prices', () => {
  it('pushes a price to a subscribed client within one second of the write', async () => {
    const client = await Client.open();
    await client.subscribe('prices', ['STRMA']);
    const written = Date.now();
    await e.setPrice('STRMA', '101.5');
    const frame = await client.next((f) => f.type === 'price' && f.data.price === '101.5', 1_000);
    expect(Date.now() - written).toBeLessThan(1_000);
    expect(frame.data).toMatchObject({ symbol: 'STRMA', price: '101.5', source: 'simulated', stale: false });
    expect(Date.parse(frame.data.asOf)).toBeGreaterThan(written - 1_000);
    await client.close();
  });

  it('sends only the symbols a client subscribed to', async () => {
    const client = await Client.open();
    await client.subscribe('prices', ['STRMB']);
    await e.setPrice('STRMC', '1');
    await e.setPrice('STRMB', '2');
    await client.next((f) => f.type === 'price' && f.data.symbol === 'STRMB' && f.data.price === '2');
    expect(client.frames.filter((f) => f.data?.symbol === 'STRMC')).toEqual([]);
    await client.close();
  });

  it('gives a reconnecting client the latest price first, including what changed while it was away', async () => {
    await e.setPrice('STRMD', '10');
    const first = await Client.open();
    await first.subscribe('prices', ['STRMD', 'STRMNEVER']);
    await first.close();
    await e.setPrice('STRMD', '11');
    const again = await Client.open();
    const snapshot = await again.subscribe('prices', ['STRMD', 'STRMNEVER']);
    expect(snapshot.map((f) => [f.type, f.data.symbol, f.data.price])).toEqual([
      ['price', 'STRMD', '11'],
      ['price', 'STRMNEVER', null],
    ]);
    await again.close();
  });

  it('reaches the clients of every API instance, since the push comes from PostgreSQL', async () => {
    const second = await startApi();
    try {
      const a = await Client.open(api.url);
      const b = await Client.open(second.url);
      await Promise.all([a.subscribe('prices', ['STRME']), b.subscribe('prices', ['STRME'])]);
      await e.setPrice('STRME', '7');
      await Promise.all([a, b].map((c) => c.next((f) => f.type === 'price' && f.data.price === '7', 1_000)));
      await Promise.all([a.close(), b.close()]);
    } finally {
      await second.close();
    }
  });
});

describe('/v1/stream orders', () => {
  it('pushes an order change of the account within one second of the write', async () => {
    const client = await Client.open();
    await client.subscribe('orders');
    const orderId = await newOrder();
    const written = Date.now();
    await transition(orderId, 'NEW', 2);
    const frame = await client.next((f) => f.type === 'order' && f.data.orderId === orderId, 1_000);
    expect(Date.now() - written).toBeLessThan(1_000);
    expect(frame.data).toEqual({ orderId, symbol: 'STRMUSDT', status: 'NEW', executedQty: '0' });
    await client.close();
  });

  it('does not push the order changes of another account', async () => {
    const client = await Client.open();
    await client.subscribe('orders');
    const theirs = await newOrder(OTHER_ACCOUNT);
    const mine = await newOrder();
    await transition(theirs, 'NEW', 2, '0', OTHER_ACCOUNT);
    await transition(mine, 'NEW', 2);
    await client.next((f) => f.type === 'order' && f.data.orderId === mine);
    expect(client.frames.filter((f) => f.data?.orderId === theirs)).toEqual([]);
    await client.close();
  });

  it('gives a reconnecting client the account’s open orders in their latest state, without finished ones', async () => {
    const open = await newOrder();
    const done = await newOrder();
    await transition(open, 'NEW', 2);
    await transition(done, 'CANCELED', 2);
    const first = await Client.open();
    await first.subscribe('orders');
    await first.close();
    await transition(open, 'PARTIALLY_FILLED', 3, '0.4');
    const again = await Client.open();
    const snapshot = await again.subscribe('orders');
    expect(snapshot.find((f) => f.data.orderId === open)?.data).toEqual({ orderId: open, symbol: 'STRMUSDT', status: 'PARTIALLY_FILLED', executedQty: '0.4' });
    expect(snapshot.filter((f) => f.data.orderId === done)).toEqual([]);
    await again.close();
  });
});

describe('/v1/stream protocol', () => {
  it('answers malformed messages with error frames and keeps the connection open', async () => {
    const client = await Client.open();
    client.send('not json');
    expect((await client.next((f) => f.type === 'error')).error.code).toBe('invalid_json');
    client.send({ type: 'subscribe', channel: 'prices' });
    expect((await client.next((f) => f.type === 'error')).error).toMatchObject({ code: 'invalid_message', message: 'symbols: is required to subscribe to prices' });
    client.send({ type: 'subscribe', channel: 'prices', symbols: ['btc'] });
    expect((await client.next((f) => f.type === 'error')).error.message).toMatch(/^symbols\.0: must be an upper-case symbol/);
    client.send({ type: 'dance' });
    expect((await client.next((f) => f.type === 'error')).error.code).toBe('invalid_message');
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    await client.subscribe('prices', ['STRMF']);
    await client.close();
  });

  it('drops a client that stops answering pings, and keeps one that answers', async () => {
    const silent = await Client.open(api.url, { autoPong: false });
    const alive = await Client.open();
    const closed = new Promise<number>((resolve) => silent.ws.once('close', (code) => resolve(code)));
    const code = await Promise.race([closed, new Promise((r) => setTimeout(() => r('still open'), 10 * HEARTBEAT_MS))]);
    expect(code).toBe(1006);
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    await alive.close();
  });

  it('refuses an upgrade on another path with 404, the error shape and an X-Request-Id', async () => {
    expectRefusal(await upgrade(api.url.replace('/v1/stream', '/v1/elsewhere')), 404, 'not_found');
  });

  it('closes its clients with 1001 when the server shuts down', async () => {
    const own = await startApi();
    const client = await Client.open(own.url);
    const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
    await own.close();
    expect(await closed).toBe(1001);
    expect(own.stream.clientCount).toBe(0);
  });
});

/** The status of a refused upgrade. */
async function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number | undefined> {
  return (await upgrade(url, headers)).status;
}

/** What a refused upgrade answers (status 101 and no body when it is accepted, then closed). */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number | undefined; headers: Record<string, unknown>; body: any }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
    });
    ws.once('upgrade', (res) => {
      ws.once('open', () => {
        ws.close();
        resolve({ status: 101, headers: res.headers, body: undefined });
      });
    });
    ws.once('error', () => {});
  });
}

/** A refusal as the HTTP API answers one: the error shape, an id, nosniff. */
function expectRefusal(res: Awaited<ReturnType<typeof upgrade>>, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(contract.check({ $ref: '#/components/schemas/Error' }, res.body), JSON.stringify(res.body)).toEqual([]);
  expect(res.body.error.code).toBe(code);
  expect(res.headers['x-request-id']).toMatch(/^[\w-]+$/);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['content-type']).toBe('application/json');
}

describe('/v1/stream authentication', () => {
  it('refuses an upgrade without a token with 401, the error shape, and the X-Request-Id the client sent', async () => {
    const res = await upgrade(api.url, { 'x-request-id': 'stream-req-1' });
    expectRefusal(res, 401, 'unauthorized');
    expect(res.headers['x-request-id']).toBe('stream-req-1');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
  });

  it('gives an accepted upgrade an X-Request-Id too', async () => {
    const res = await upgrade(api.url, { authorization: `Bearer ${e.account.token}` });
    expect(res.status).toBe(101);
    expect(res.headers['x-request-id']).toMatch(/^[\w-]+$/);
  });

  it('refuses a correctly signed token whose subject is not an account id with 401', async () => {
    const token = await e.tokens.sign({ sub: 'not-a-uuid', email: 'forged@durable-trader.test' });
    expectRefusal(await upgrade(api.url, { authorization: `Bearer ${token}` }), 401, 'invalid_token');
  });

  it('refuses an upgrade with an altered or foreign token with 401 invalid_token', async () => {
    const [head, payload, signature] = e.account.token.split('.') as [string, string, string];
    const altered = `${head}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expectRefusal(await upgrade(api.url, { authorization: `Bearer ${altered}` }), 401, 'invalid_token');
    expectRefusal(await upgrade(`${api.url}?token=not-a-token`), 401, 'invalid_token');
  });

  it('accepts the token in ?token= for browsers, whose WebSocket cannot send headers', async () => {
    expect(await upgradeStatus(`${api.url}?token=${encodeURIComponent(e.account.token)}`)).toBe(101);
  });

  it("gives another account's client neither this account's open orders nor their changes", async () => {
    const token = await e.tokens.sign({ sub: OTHER_ACCOUNT, email: `other-${OTHER_ACCOUNT}@durable-trader.test` });
    const mine = await newOrder();
    await transition(mine, 'NEW', 2);
    const theirs = await Client.open(api.url, { headers: { authorization: `Bearer ${token}` } });
    const snapshot = await theirs.subscribe('orders');
    expect(snapshot.filter((f) => f.data?.orderId === mine)).toEqual([]);
    const ownOrder = await newOrder(OTHER_ACCOUNT);
    await transition(mine, 'PARTIALLY_FILLED', 3, '0.2');
    await transition(ownOrder, 'NEW', 2, '0', OTHER_ACCOUNT);
    await theirs.next((f) => f.type === 'order' && f.data.orderId === ownOrder);
    expect(theirs.frames.filter((f) => f.data?.orderId === mine)).toEqual([]);
    await theirs.close();
  });
});

describe('/v1/stream limits', () => {
  it('refuses an account one connection over its cap with 429 and the error shape, leaves other accounts alone, and frees a slot on close', async () => {
    const own = await startApi({ maxConnectionsPerAccount: 2 });
    try {
      const [a, b] = [await Client.open(own.url), await Client.open(own.url)];
      expectRefusal(await upgrade(own.url, { authorization: `Bearer ${e.account.token}` }), 429, 'too_many_connections');
      const other = await e.tokens.sign({ sub: OTHER_ACCOUNT, email: `other-${OTHER_ACCOUNT}@durable-trader.test` });
      expect(await upgradeStatus(own.url, { authorization: `Bearer ${other}` })).toBe(101);
      await a.close();
      // The server counts the connection gone once its socket has closed.
      let status: number | undefined;
      for (let i = 0; i < 20 && status !== 101; i++) {
        status = await upgradeStatus(own.url, { authorization: `Bearer ${e.account.token}` });
        if (status !== 101) await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe(101);
      await b.close();
    } finally {
      await own.close();
    }
  });

  it('answers messages past the subscription burst with a rate_limited error frame that changes nothing, then lets them through again', async () => {
    const own = await startApi({ subscriptionBurst: 3, subscriptionsPerSecond: 2 });
    try {
      const client = await Client.open(own.url);
      for (const symbol of ['STRMT1', 'STRMT2', 'STRMT3', 'STRMT4']) client.send({ type: 'subscribe', channel: 'prices', symbols: [symbol] });
      const refused = await client.next((f) => f.type === 'error');
      expect(refused.error.code).toBe('rate_limited');
      expect(refused.error.details.retryAfterMs).toBeGreaterThan(0);
      expect(refused.error.details.retryAfterMs).toBeLessThanOrEqual(500);
      await new Promise((r) => setTimeout(r, 200));
      // The three snapshots are read concurrently: their order is not fixed.
      expect(client.frames.filter((f) => f.type === 'subscribed').flatMap((f) => f.symbols).sort()).toEqual(['STRMT1', 'STRMT2', 'STRMT3']);
      await e.setPrice('STRMT4', '4');
      await new Promise((r) => setTimeout(r, 300));
      expect(client.frames.filter((f) => f.data?.symbol === 'STRMT4')).toEqual([]);
      await new Promise((r) => setTimeout(r, refused.error.details.retryAfterMs));
      await client.subscribe('prices', ['STRMT4']);
      await client.close();
    } finally {
      await own.close();
    }
  });
});
