/**
 * The Binance fake's WebSocket API user data stream, through a plain `ws` client: the framing and
 * errors of web-socket-api.md, the executionReport / outboundAccountPosition events of
 * user-data-stream.md as orders move, the connection lifecycle (pings, pong timeout, 24 h limit)
 * with short timings, and the faults a test can inject.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BinanceFake, type BinanceFakeOptions, startBinanceFake } from '../fakes/binance/index.js';
import { rawBinanceClient, type RawClient } from '../fakes/binance/raw-client.js';
import { connectRawWs, type RawWsClient } from '../fakes/binance/raw-ws-client.js';

const KEY = 'stream-key';
const SECRET = 'stream-secret';

let fake: BinanceFake;
let rest: RawClient;
const clients: RawWsClient[] = [];

async function start(options: Partial<BinanceFakeOptions> = {}): Promise<void> {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET, ...options });
  rest = rawBinanceClient(fake.url, KEY, SECRET);
}

beforeEach(() => start());
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await fake.close();
});

async function connect(options: { autoPong?: boolean } = {}): Promise<RawWsClient> {
  const client = await connectRawWs(fake.wsApiUrl, { apiKey: KEY, apiSecret: SECRET }, options);
  clients.push(client);
  return client;
}

async function subscribed(): Promise<RawWsClient> {
  const client = await connect();
  expect((await client.subscribe())['result']).toEqual({ subscriptionId: 0 });
  return client;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const order = (params: Record<string, string>) => rest.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', ...params });
const restingBuy = (clientId: string, quantity = '0.01') =>
  order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity, price: '59000', newClientOrderId: clientId });
const marketBuy = () => order({ side: 'BUY', type: 'MARKET', quantity: '0.01' });

/** The executionReports received so far, as [x, X] pairs. */
const executions = (c: RawWsClient) => c.events().filter((e) => e['e'] === 'executionReport').map((e) => [e['x'], e['X']]);

/** A request round trip: every frame the fake sent before it has arrived once it resolves. */
const settle = (c: RawWsClient) => c.request('ping');

describe('WebSocket API requests', () => {
  it('answers ping and time in Binance framing, with the weight used', async () => {
    const c = await connect();
    expect(await c.request('ping')).toEqual({
      id: 'req-1',
      status: 200,
      result: {},
      rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000, count: 3 }],
    });
    const time = await c.request('time');
    expect(Math.abs(time['result'].serverTime - Date.now())).toBeLessThan(1000);
  });

  it('subscribes with a correct signature as subscription 0 and lists it', async () => {
    const c = await subscribed();
    expect((await c.request('session.subscriptions'))['result']).toEqual([{ subscriptionId: 0 }]);
    expect((await c.request('session.status'))['result']).toMatchObject({ apiKey: null, userDataStream: true });
    expect(fake.userStream.stats()).toMatchObject({ openConnections: 1, activeSubscriptions: 1 });
  });

  it('refuses a wrong signature with 400 -1022', async () => {
    const c = await connect();
    expect(await c.subscribe({ apiSecret: 'not-the-secret' })).toMatchObject({
      status: 400,
      error: { code: -1022, msg: 'Signature for this request is not valid.' },
    });
  });

  it('refuses an unknown key with 401 -2015', async () => {
    const c = await connect();
    expect(await c.subscribe({ apiKey: 'someone-else' })).toMatchObject({ status: 401, error: { code: -2015 } });
  });

  it('refuses a timestamp outside the recvWindow with -1021', async () => {
    const c = await connect();
    expect(await c.subscribe({ timestamp: Date.now() - 10_000 })).toMatchObject({
      status: 400,
      error: { code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' },
    });
  });

  it('allows one subscription per account on a connection (-2035)', async () => {
    const c = await subscribed();
    expect(await c.subscribe()).toMatchObject({ status: 400, error: { code: -2035, msg: 'User Data Stream subscription already active.' } });
  });

  it('refuses userDataStream.subscribe on a session that never logged on', async () => {
    const c = await connect();
    expect(await c.request('userDataStream.subscribe')).toMatchObject({ status: 401, error: { code: -1002 } });
  });

  it('refuses an unknown method', async () => {
    const c = await connect();
    expect(await c.request('order.teleport')).toMatchObject({ id: 'req-1', status: 400, error: { code: -1020 } });
  });

  it('answers malformed JSON with id null and -1135', async () => {
    const c = await connect();
    c.socket.send('{"id": 1, "method": ');
    await c.waitFor((frames) => frames.length === 1);
    expect(c.frames[0]).toMatchObject({ id: null, status: 400, error: { code: -1135, msg: 'Invalid JSON Request' } });
  });
});

describe('executionReport events', () => {
  it('reports a resting LIMIT order as NEW, then the fill as TRADE, each followed by outboundAccountPosition', async () => {
    const c = await subscribed();
    const placed = (await restingBuy('lim-1')).json;
    fake.setPrice('BTCUSDT', '58900.00');
    await c.waitFor(() => c.events().length === 4);
    const [created, locked, traded, settled] = c.events();
    expect(c.frames.find((f) => f['event'] === created)).toMatchObject({ subscriptionId: 0 });
    expect(created).toMatchObject({ e: 'executionReport', x: 'NEW', X: 'NEW', c: 'lim-1', C: '', i: placed.orderId, g: -1, z: '0.00000000', t: -1, N: null, n: '0', w: true });
    expect(locked).toMatchObject({ e: 'outboundAccountPosition', B: [{ a: 'USDT', f: '99410.00000000', l: '590.00000000' }] });
    const trade = fake.trades()[0]!;
    expect(traded).toMatchObject({
      x: 'TRADE',
      X: 'FILLED',
      i: placed.orderId,
      t: trade['id'],
      l: '0.01000000',
      L: '59000.00000000',
      z: '0.01000000',
      Z: '590.00000000',
      Y: '590.00000000',
      n: '0.00001000',
      N: 'BTC',
      m: true,
      w: false,
    });
    expect(settled).toMatchObject({ e: 'outboundAccountPosition' });
    expect(settled!['B']).toEqual(
      expect.arrayContaining([
        { a: 'USDT', f: '99410.00000000', l: '0.00000000' },
        { a: 'BTC', f: '1.00999000', l: '0.00000000' },
      ]),
    );
  });

  it('prints every documented field with Binance\'s types', async () => {
    const c = await subscribed();
    await restingBuy('typed-1');
    await c.waitFor(() => c.events().length >= 1);
    const report = c.events()[0]!;
    const strings = ['s', 'c', 'S', 'o', 'f', 'q', 'p', 'P', 'F', 'C', 'x', 'X', 'r', 'l', 'z', 'L', 'n', 'Z', 'Y', 'Q', 'V'];
    const numbers = ['E', 'g', 'i', 'T', 't', 'I', 'O', 'W'];
    for (const k of strings) expect(typeof report[k], k).toBe('string');
    for (const k of numbers) expect(Number.isInteger(report[k]), k).toBe(true);
    for (const k of ['w', 'm', 'M']) expect(typeof report[k], k).toBe('boolean');
    expect(report['N']).toBeNull();
  });

  it('carries cumulative quantities over partial fills: z and Z add up, X goes PARTIALLY_FILLED then FILLED', async () => {
    const c = await subscribed();
    await restingBuy('part-1', '0.03');
    fake.fillPartially('part-1', '0.01');
    fake.fillPartially('part-1', '0.02');
    await c.waitFor(() => executions(c).length === 3);
    const trades = c.events().filter((e) => e['x'] === 'TRADE');
    expect(trades.map((e) => [e['X'], e['l'], e['z'], e['Z']])).toEqual([
      ['PARTIALLY_FILLED', '0.01000000', '0.01000000', '590.00000000'],
      ['FILLED', '0.02000000', '0.03000000', '1770.00000000'],
    ]);
    expect(trades[1]!['t']).toBe(trades[0]!['t'] + 1);
  });

  it('reports an order that fills at once as NEW, then TRADE', async () => {
    const c = await subscribed();
    await marketBuy();
    await c.waitFor(() => executions(c).length === 2);
    expect(executions(c)).toEqual([
      ['NEW', 'NEW'],
      ['TRADE', 'FILLED'],
    ]);
    expect(c.events().filter((e) => e['x'] === 'TRADE')[0]).toMatchObject({ m: false, L: '60000.00000000' });
  });

  it('reports a cancel as CANCELED with the cancel\'s client id in c and the order\'s in C', async () => {
    const c = await subscribed();
    await restingBuy('lim-2');
    await rest.signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'lim-2', newClientOrderId: 'cxl-1' });
    await c.waitFor(() => executions(c).length === 2);
    expect(c.events().find((e) => e['x'] === 'CANCELED')).toMatchObject({ X: 'CANCELED', c: 'cxl-1', C: 'lim-2' });
    expect(c.events().at(-1)).toMatchObject({ e: 'outboundAccountPosition', B: [{ a: 'USDT', f: '100000.00000000', l: '0.00000000' }] });
  });

  it('reports an IOC order that cannot trade as EXPIRED with its expiry reason', async () => {
    const c = await subscribed();
    await order({ side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', quantity: '0.01', price: '59000' });
    await c.waitFor(() => executions(c).length === 2);
    expect(c.events().find((e) => e['x'] === 'EXPIRED')).toMatchObject({ X: 'EXPIRED', eR: 'UNFILLED_IOC_QUANTITY_EXPIRED' });
  });

  it('sends nothing for an order Binance refuses', async () => {
    const c = await subscribed();
    await order({ side: 'BUY', type: 'MARKET', quantity: '100' });
    await settle(c);
    expect(c.events()).toEqual([]);
  });
});

describe('unsubscribing', () => {
  it('answers {}, ends the subscription with eventStreamTerminated and sends no more events', async () => {
    const c = await subscribed();
    expect(await c.request('userDataStream.unsubscribe')).toMatchObject({ status: 200, result: {} });
    await c.waitFor(() => c.events().length === 1);
    expect(c.frames.at(-1)).toMatchObject({ subscriptionId: 0, event: { e: 'eventStreamTerminated' } });
    await marketBuy();
    await settle(c);
    expect(c.events()).toHaveLength(1);
    expect((await c.request('session.subscriptions'))['result']).toEqual([]);
  });

  it('closes one subscription by id, and numbers the next one 1', async () => {
    const c = await subscribed();
    expect(await c.request('userDataStream.unsubscribe', { subscriptionId: 0 })).toMatchObject({ status: 200 });
    expect((await c.subscribe())['result']).toEqual({ subscriptionId: 1 });
  });

  it('refuses an id that is not active with -2036', async () => {
    const c = await subscribed();
    expect(await c.request('userDataStream.unsubscribe', { subscriptionId: 7 })).toMatchObject({ status: 400, error: { code: -2036 } });
  });
});

describe('user stream faults', () => {
  it('loses the next events: they are counted, never sent', async () => {
    const c = await subscribed();
    fake.userStream.loseEvents({ count: 1 });
    await marketBuy();
    await settle(c);
    expect(c.events().map((e) => e['x'] ?? e['e'])).toEqual(['outboundAccountPosition', 'TRADE', 'outboundAccountPosition']);
    expect(fake.userStream.stats()).toMatchObject({ eventsLost: 1, eventsSent: 3 });
  });

  it('loses every event with probability 1', async () => {
    const c = await subscribed();
    fake.userStream.loseEvents({ probability: 1, seed: 7 });
    await marketBuy();
    await settle(c);
    expect(c.events()).toEqual([]);
    expect(fake.userStream.stats().eventsLost).toBe(4);
  });

  it('duplicates events: the same frame twice in a row', async () => {
    const c = await subscribed();
    fake.userStream.duplicateEvents({ count: 1 });
    await marketBuy();
    await settle(c);
    expect(executions(c)).toEqual([
      ['NEW', 'NEW'],
      ['NEW', 'NEW'],
      ['TRADE', 'FILLED'],
    ]);
    expect(c.events()[0]).toEqual(c.events()[1]);
  });

  it('delays events by the given time, in order', async () => {
    const c = await subscribed();
    fake.userStream.delayEvents(200);
    const sent = Date.now();
    await marketBuy();
    await settle(c);
    expect(c.events()).toEqual([]);
    await c.waitFor(() => c.events().length === 4);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(190);
    expect(executions(c)).toEqual([
      ['NEW', 'NEW'],
      ['TRADE', 'FILLED'],
    ]);
  });

  it('drops every connection without a close frame; events meanwhile are gone for good', async () => {
    const c = await subscribed();
    fake.userStream.dropConnections();
    expect(await c.closed).toBe(1006);
    await marketBuy();
    const again = await subscribed();
    await settle(again);
    expect(again.events()).toEqual([]);
    expect(fake.userStream.stats()).toMatchObject({ connectionsAccepted: 2, openConnections: 1, activeSubscriptions: 1 });
  });

  it('silences a connection: it stays open and nothing comes, not even answers', async () => {
    const c = await subscribed();
    fake.userStream.silence();
    await marketBuy();
    c.socket.send(JSON.stringify({ id: 'unheard', method: 'ping' }));
    await sleep(200);
    expect(c.frames.filter((f) => f['id'] === 'unheard' || 'event' in f)).toHaveLength(0);
    expect(c.socket.readyState).toBe(c.socket.OPEN);
    expect(fake.userStream.stats().eventsLost).toBe(4);
    const fresh = await subscribed();
    expect((await fresh.request('ping'))['status']).toBe(200);
  });

  it('stops answering the client\'s pings on request', async () => {
    const c = await connect();
    const pongs: number[] = [];
    c.socket.on('pong', () => pongs.push(Date.now()));
    c.socket.ping();
    await sleep(100);
    expect(pongs).toHaveLength(1);
    fake.userStream.stopAnsweringPings();
    c.socket.ping();
    await sleep(100);
    expect(pongs).toHaveLength(1);
  });
});

describe('connection lifecycle', () => {
  async function withTiming(timing: NonNullable<BinanceFakeOptions['userStream']>): Promise<void> {
    await fake.close();
    await start({ userStream: timing });
  }

  it('pings every pingIntervalMs, and a client that pongs stays connected', async () => {
    await withTiming({ pingIntervalMs: 50, pongTimeoutMs: 120 });
    const c = await connect();
    let pings = 0;
    c.socket.on('ping', () => (pings += 1));
    await sleep(400);
    expect(pings).toBeGreaterThanOrEqual(4);
    expect(c.socket.readyState).toBe(c.socket.OPEN);
  });

  it('cuts a client that does not pong within pongTimeoutMs', async () => {
    await withTiming({ pingIntervalMs: 50, pongTimeoutMs: 120 });
    const c = await connect({ autoPong: false });
    const opened = Date.now();
    expect(await c.closed).toBe(1006);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(150);
  });

  it('does not count unsolicited pongs as answers', async () => {
    await withTiming({ pingIntervalMs: 50, pongTimeoutMs: 120 });
    const c = await connect({ autoPong: false });
    const unsolicited = setInterval(() => c.socket.pong(), 20);
    try {
      expect(await c.closed).toBe(1006);
    } finally {
      clearInterval(unsolicited);
    }
  });

  it('closes every connection after connectionLifetimeMs', async () => {
    await withTiming({ connectionLifetimeMs: 150 });
    const c = await connect();
    const opened = Date.now();
    expect(await c.closed).toBe(1000);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(140);
  });

  it('sends no pings once stopped, and so cuts nobody for missing pongs', async () => {
    await withTiming({ pingIntervalMs: 50, pongTimeoutMs: 120 });
    fake.userStream.stopSendingPings();
    const c = await connect({ autoPong: false });
    let pings = 0;
    c.socket.on('ping', () => (pings += 1));
    await sleep(300);
    expect([pings, c.socket.readyState]).toEqual([0, c.socket.OPEN]);
  });
});
