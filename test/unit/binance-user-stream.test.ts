/**
 * The user data stream client on its own: reading executionReport events as Binance documents
 * them, and the connection's life against the fake's WebSocket API (subscription, events, a cut,
 * a half-open connection, a refused key).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { rawBinanceClient } from '../fakes/binance/raw-client.js';
import type { VenueOrderUpdate } from '../../domain/venue-events.js';
import { parseExecutionReport, startBinanceUserStream, type BinanceUserStream } from '../../venues/binance/user-stream.js';
import { waitFor } from '../helpers/wait.js';

/** The documented executionReport of a NEW order (user-data-stream.md), as the stream frames it. */
const NEW_REPORT = {
  e: 'executionReport', E: 1499405658658, s: 'ETHBTC', c: 'mUvoqJxFIILMdfAW5iGSOW', S: 'BUY', o: 'LIMIT', f: 'GTC',
  q: '1.00000000', p: '0.10264410', P: '0.00000000', F: '0.00000000', g: -1, C: '', x: 'NEW', X: 'NEW', r: 'NONE',
  i: 4293153, l: '0.00000000', z: '0.00000000', L: '0.00000000', n: '0', N: null, T: 1499405658657, t: -1, I: 8641984,
  w: true, m: false, M: false, O: 1499405658657, Z: '0.00000000', Y: '0.00000000', Q: '0.00000000', W: 1499405658657, V: 'NONE',
};

describe('parseExecutionReport', () => {
  it('reads a NEW report without a trade, with decimals normalised', () => {
    expect(parseExecutionReport(NEW_REPORT)).toEqual({
      kind: 'update', venue: 'binance', clientOrderId: 'mUvoqJxFIILMdfAW5iGSOW', exchangeOrderId: '4293153',
      status: 'NEW', executedQty: '0', cumulativeQuoteQty: '0', eventTime: 1499405658658,
    });
  });

  it('reads a TRADE with the fill it carried', () => {
    const trade = { ...NEW_REPORT, x: 'TRADE', X: 'PARTIALLY_FILLED', l: '0.40000000', z: '0.40000000', L: '0.10264410', n: '0.00040000', N: 'ETH', t: 77, Z: '0.04105764' };
    expect(parseExecutionReport(trade)).toMatchObject({
      status: 'PARTIALLY_FILLED', executedQty: '0.4', cumulativeQuoteQty: '0.04105764',
      trade: { tradeId: '77', price: '0.1026441', qty: '0.4', commission: '0.0004', commissionAsset: 'ETH', time: 1499405658657 },
    });
  });

  it("names a canceled order by its own client id (C), not the cancel request's (c)", () => {
    const canceled = { ...NEW_REPORT, x: 'CANCELED', X: 'CANCELED', c: 'cancel-request-id', C: 'mUvoqJxFIILMdfAW5iGSOW' };
    expect(parseExecutionReport(canceled)).toMatchObject({ clientOrderId: 'mUvoqJxFIILMdfAW5iGSOW', status: 'CANCELED' });
  });

  it('maps EXPIRED_IN_MATCH to EXPIRED, and ignores other events and malformed reports', () => {
    expect(parseExecutionReport({ ...NEW_REPORT, x: 'EXPIRED', X: 'EXPIRED_IN_MATCH' })?.status).toBe('EXPIRED');
    expect(parseExecutionReport({ e: 'outboundAccountPosition', E: 1, u: 1, B: [] })).toBeUndefined();
    expect(parseExecutionReport({ ...NEW_REPORT, X: 'SOMETHING_NEW' })).toBeUndefined();
    expect(parseExecutionReport({ ...NEW_REPORT, z: undefined })).toBeUndefined();
  });
});

describe('startBinanceUserStream against the fake', () => {
  const KEY = 'unit-stream-key';
  const SECRET = 'unit-stream-secret';
  let fake: BinanceFake;
  beforeAll(async () => {
    fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET, userStream: { pingIntervalMs: 200 } });
  });
  afterAll(() => fake.close());
  const quiet = { debug() {}, info() {}, warn() {} };

  function open(o: { apiSecret?: string } = {}) {
    const updates: VenueOrderUpdate[] = [];
    let subscribed = 0;
    let downs = 0;
    const stream: BinanceUserStream = startBinanceUserStream({
      wsUrl: fake.wsApiUrl, apiKey: KEY, apiSecret: o.apiSecret ?? SECRET, log: quiet, livenessMs: 800, backoffMs: { initial: 50, max: 200 },
      onUpdate: (u) => void updates.push(u),
      onSubscribed: () => void subscribed++,
      onDown: () => void downs++,
    });
    return { stream, updates, subscribed: () => subscribed, downs: () => downs };
  }

  async function placeResting(clientOrderId: string): Promise<void> {
    const limit = String(Math.round(Number(fake.price('ETHUSDT'))) - 100);
    const placed = await rawBinanceClient(fake.url, KEY, SECRET).signed('POST', '/api/v3/order', { symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '1', price: limit, newClientOrderId: clientOrderId });
    expect(placed.status).toBe(200);
  }

  it('subscribes, and hands over each execution report of the account', async () => {
    const s = open();
    try {
      await waitFor(async () => s.stream.live, Boolean, { timeoutMs: 5000, what: 'subscription' });
      await placeResting('unit-stream-1');
      fake.fillPartially('unit-stream-1', '0.25');
      const got = await waitFor(async () => s.updates.filter((u) => u.clientOrderId === 'unit-stream-1'), (u) => u.length >= 2, { timeoutMs: 5000, what: 'NEW and TRADE' });
      expect(got.map((u) => [u.status, u.executedQty, u.trade?.qty])).toEqual([
        ['NEW', '0', undefined],
        ['PARTIALLY_FILLED', '0.25', '0.25'],
      ]);
    } finally {
      await s.stream.stop();
    }
  });

  it('reconnects after a cut and after a silent (half-open) connection, subscribing again each time', async () => {
    const s = open();
    try {
      await waitFor(async () => s.subscribed(), (n) => n === 1, { timeoutMs: 5000, what: 'first subscription' });
      fake.userStream.dropConnections();
      await waitFor(async () => s.subscribed(), (n) => n === 2, { timeoutMs: 5000, what: 'subscription after the cut' });
      fake.userStream.silence();
      await waitFor(async () => s.subscribed(), (n) => n === 3, { timeoutMs: 5000, what: 'subscription after the silence' });
      expect(s.downs()).toBeGreaterThanOrEqual(2);
    } finally {
      await s.stream.stop();
    }
  });

  it('is never live with a wrong secret, and keeps trying with backoff', async () => {
    const s = open({ apiSecret: 'not-the-secret' });
    try {
      await new Promise((r) => setTimeout(r, 600));
      expect(s.stream.live).toBe(false);
      expect(s.subscribed()).toBe(0);
      const refused = fake.requests().filter((r) => r.wsMethod === 'userDataStream.subscribe.signature' && r.status !== 200);
      expect(refused.length).toBeGreaterThanOrEqual(2);
    } finally {
      await s.stream.stop();
    }
  });
});
