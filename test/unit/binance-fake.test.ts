import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BinanceFake, startBinanceFake } from '../fakes/binance/index.js';

const KEY = 'fake-test-key';
const SECRET = 'fake-test-secret';

let fake: BinanceFake;

beforeEach(async () => {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
});
afterEach(async () => {
  await fake.close();
});

function sign(payload: string, secret = SECRET): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/** Parameters plus timestamp, signed, as a query string. */
function signed(params: Record<string, string>, timestamp = Date.now()): string {
  const payload = new URLSearchParams({ ...params, timestamp: String(timestamp) }).toString();
  return `${payload}&signature=${sign(payload)}`;
}

interface Reply {
  status: number;
  headers: Headers;
  json: any;
}

async function call(method: string, path: string, opts: { query?: string; body?: string; key?: string | null } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.key !== null) headers['X-MBX-APIKEY'] = opts.key ?? KEY;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(`${fake.url}${path}${opts.query ? `?${opts.query}` : ''}`, { method, headers, body: opts.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

const order = (params: Record<string, string>) => call('POST', '/api/v3/order', { body: signed({ symbol: 'BTCUSDT', ...params }) });

describe('public endpoints', () => {
  it('answers GET /api/v3/time with the server clock, skew included', async () => {
    fake.serverTimeOffsetMs = 60_000;
    const { json } = await call('GET', '/api/v3/time');
    expect(json.serverTime - Date.now()).toBeGreaterThan(55_000);
  });

  it('lists the requested symbols in exchangeInfo with filters and rate limits', async () => {
    const { json } = await call('GET', '/api/v3/exchangeInfo', { query: `symbols=${encodeURIComponent('["BTCUSDT","ETHUSDT"]')}` });
    expect(json.symbols.map((s: { symbol: string }) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(json.symbols[0].filters.map((f: { filterType: string }) => f.filterType)).toEqual(
      expect.arrayContaining(['PRICE_FILTER', 'LOT_SIZE', 'MARKET_LOT_SIZE', 'NOTIONAL']),
    );
    expect(json.rateLimits).toContainEqual({ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 });
  });

  it('answers -1121 "Invalid symbol." with HTTP 400 for an unknown symbol', async () => {
    const reply = await call('GET', '/api/v3/exchangeInfo', { query: 'symbol=NOPEUSDT' });
    expect(reply).toMatchObject({ status: 400, json: { code: -1121, msg: 'Invalid symbol.' } });
  });

  it('prices a batch of symbols as 8-decimal strings', async () => {
    const { json } = await call('GET', '/api/v3/ticker/price', { query: `symbols=${encodeURIComponent('["BTCUSDT","SOLUSDT"]')}` });
    expect(json).toEqual([
      { symbol: 'BTCUSDT', price: '60000.00000000' },
      { symbol: 'SOLUSDT', price: '150.00000000' },
    ]);
  });

  it('rejects the whole ticker batch with -1121 when one symbol is unknown', async () => {
    const { json } = await call('GET', '/api/v3/ticker/price', { query: `symbols=${encodeURIComponent('["BTCUSDT","NOPE"]')}` });
    expect(json).toEqual({ code: -1121, msg: 'Invalid symbol.' });
  });

  it('returns klines as 12-field positional rows with decimals as strings', async () => {
    const { json } = await call('GET', '/api/v3/klines', { query: 'symbol=ETHUSDT&interval=1h&limit=3' });
    expect(json).toHaveLength(3);
    expect(json[0]).toEqual([
      expect.any(Number),
      expect.stringMatching(/^\d+\.\d{8}$/),
      expect.any(String),
      expect.any(String),
      expect.any(String),
      expect.any(String),
      json[0][0] + 3_600_000 - 1,
      expect.any(String),
      expect.any(Number),
      expect.any(String),
      expect.any(String),
      '0',
    ]);
  });

  it('answers the same historical klines to the same request', async () => {
    const query = `symbol=BTCUSDT&interval=1m&startTime=${Date.now() - 86_400_000}&limit=50`;
    const first = await call('GET', '/api/v3/klines', { query });
    const second = await call('GET', '/api/v3/klines', { query });
    expect(second.json).toEqual(first.json);
  });

  it('closes the current candle at the price set last', async () => {
    fake.setPrice('BTCUSDT', '61234.56');
    const { json } = await call('GET', '/api/v3/klines', { query: 'symbol=BTCUSDT&interval=1m&limit=1' });
    expect(json[0][4]).toBe('61234.56000000');
  });

  it('rejects an unsupported kline interval with -1120', async () => {
    expect((await call('GET', '/api/v3/klines', { query: 'symbol=BTCUSDT&interval=7m' })).json).toMatchObject({ code: -1120 });
  });

  it('reports the used weight of the minute in X-MBX-USED-WEIGHT-1M', async () => {
    await call('GET', '/api/v3/time');
    const { headers } = await call('GET', '/api/v3/exchangeInfo');
    expect(headers.get('x-mbx-used-weight-1m')).toBe('21');
  });
});

describe('signed requests', () => {
  it('accepts parameters split between the query string and the body, signed as query then body', async () => {
    const query = 'symbol=BTCUSDT&side=BUY&type=MARKET';
    const body = `quantity=0.01&timestamp=${Date.now()}`;
    const reply = await call('POST', '/api/v3/order', { query, body: `${body}&signature=${sign(query + body)}` });
    expect(reply).toMatchObject({ status: 200, json: { status: 'FILLED' } });
  });

  it('rejects a parameter changed after signing with -1022', async () => {
    const query = signed({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' }).replace('quantity=0.01', 'quantity=0.02');
    expect((await call('POST', '/api/v3/order', { query })).json).toEqual({ code: -1022, msg: 'Signature for this request is not valid.' });
  });

  it('rejects an unknown API key with HTTP 401 and -2015', async () => {
    const reply = await call('GET', '/api/v3/account', { query: signed({}), key: 'other' });
    expect(reply).toMatchObject({ status: 401, json: { code: -2015 } });
  });

  it('rejects a missing API key with HTTP 401 and -2014', async () => {
    expect(await call('GET', '/api/v3/account', { query: signed({}), key: null })).toMatchObject({ status: 401, json: { code: -2014 } });
  });

  it('rejects a timestamp 1 s ahead of the server with -1021', async () => {
    expect((await call('GET', '/api/v3/account', { query: signed({}, Date.now() + 1500) })).json).toMatchObject({ code: -1021 });
  });

  it('rejects a timestamp older than the recvWindow with -1021', async () => {
    const query = signed({ recvWindow: '2000' }, Date.now() - 3000);
    expect((await call('GET', '/api/v3/account', { query })).json).toEqual({ code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' });
  });

  it('rejects a recvWindow above 60000 with -1102', async () => {
    expect((await call('GET', '/api/v3/account', { query: signed({ recvWindow: '60001' }) })).json).toMatchObject({ code: -1102 });
  });
});

describe('new orders', () => {
  it('rejects a LIMIT order without timeInForce with -1102 naming the parameter', async () => {
    const { json } = await order({ side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '59000' });
    expect(json).toEqual({ code: -1102, msg: "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed." });
  });

  it('rejects a MARKET order with neither quantity nor quoteOrderQty with -1102', async () => {
    expect((await order({ side: 'BUY', type: 'MARKET' })).json).toMatchObject({ code: -1102 });
  });

  it('rejects a STOP_LOSS_LIMIT order without stopPrice with -1102', async () => {
    const { json } = await order({ side: 'SELL', type: 'STOP_LOSS_LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '58000' });
    expect(json).toMatchObject({ code: -1102, msg: expect.stringContaining("'stopPrice'") });
  });

  it('rejects a malformed decimal with -1102', async () => {
    expect((await order({ side: 'BUY', type: 'MARKET', quantity: '1e-3' })).json).toMatchObject({ code: -1102 });
  });

  it('buys with quoteOrderQty the quantity it pays for, rounded down to the step', async () => {
    const { json } = await order({ side: 'BUY', type: 'MARKET', quoteOrderQty: '100' });
    expect(json).toMatchObject({ executedQty: '0.00166000', cummulativeQuoteQty: '99.60000000', origQuoteOrderQty: '100.00000000' });
  });

  it('answers a LIMIT order in the FULL shape by default, fills included', async () => {
    const { json } = await order({ side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '59000' });
    expect(json.fills).toEqual([{ price: '60000.00000000', qty: '0.01000000', commission: '0.60000000', commissionAsset: 'USDT', tradeId: 1 }]);
  });

  it('answers a stop order in the ACK shape by default', async () => {
    const { json } = await order({ side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '59000' });
    expect(Object.keys(json).sort()).toEqual(['clientOrderId', 'orderId', 'orderListId', 'symbol', 'transactTime']);
  });

  it('answers in the RESULT shape when asked, without fills', async () => {
    const { json } = await order({ side: 'BUY', type: 'MARKET', quantity: '0.01', newOrderRespType: 'RESULT' });
    expect(json).toMatchObject({ status: 'FILLED' });
    expect(json).not.toHaveProperty('fills');
  });

  it('sends the order-count headers with an accepted order', async () => {
    await order({ side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const { headers } = await order({ side: 'BUY', type: 'MARKET', quantity: '0.01' });
    expect([headers.get('x-mbx-order-count-10s'), headers.get('x-mbx-order-count-1d')]).toEqual(['2', '2']);
  });

  it('fills what the liquidity allows of an IOC order and expires the rest', async () => {
    fake.setPrice('BTCUSDT', '60000.00', { liquidity: '0.003' });
    const { json } = await order({ side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', quantity: '0.01', price: '60000' });
    expect(json).toMatchObject({ status: 'EXPIRED', executedQty: '0.00300000' });
  });

  it('expires a FOK order that cannot fill completely, without any fill', async () => {
    fake.setPrice('BTCUSDT', '60000.00', { liquidity: '0.003' });
    const { json } = await order({ side: 'BUY', type: 'LIMIT', timeInForce: 'FOK', quantity: '0.01', price: '60000' });
    expect(json).toMatchObject({ status: 'EXPIRED', executedQty: '0.00000000', fills: [] });
  });

  it('expires an IOC order that is not marketable', async () => {
    const { json } = await order({ side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', quantity: '0.01', price: '59000' });
    expect(json).toMatchObject({ status: 'EXPIRED' });
  });

  it('fills part of a resting order through fillPartially', async () => {
    await order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '59000', newClientOrderId: 'part-1' });
    fake.fillPartially('part-1', '0.002');
    expect(fake.orders()[0]).toMatchObject({ status: 'PARTIALLY_FILLED', executedQty: '0.00200000' });
  });

  it('keeps a triggered STOP_LOSS_LIMIT resting when the market is already past its limit', async () => {
    await order({ side: 'SELL', type: 'STOP_LOSS_LIMIT', timeInForce: 'GTC', quantity: '0.01', stopPrice: '59000', price: '58900' });
    fake.setPrice('BTCUSDT', '58800.00');
    expect(fake.orders()[0]).toMatchObject({ status: 'NEW', isWorking: true });
  });

  it('returns the locked funds to free when a resting order is canceled', async () => {
    await order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '1', price: '50000', newClientOrderId: 'lock-1' });
    await call('DELETE', '/api/v3/order', { query: signed({ symbol: 'BTCUSDT', origClientOrderId: 'lock-1' }) });
    expect(fake.balances()).toContainEqual({ asset: 'USDT', free: '100000.00000000', locked: '0.00000000' });
  });
});

describe('fault injection and the market walk', () => {
  it('hits exactly `times` matching requests', async () => {
    fake.injectFault({ kind: 'server-503', path: '/api/v3/time', times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('GET', '/api/v3/time')).status);
    expect(statuses).toEqual([503, 503, 200]);
  });

  it('draws probabilistic faults from the seed, the same way every run', async () => {
    const pattern = async (): Promise<number[]> => {
      fake.clearFaults();
      fake.injectFault({ kind: 'server-500', path: '/api/v3/ping', probability: 0.5, seed: 42 });
      const out = [];
      for (let i = 0; i < 12; i++) out.push((await call('GET', '/api/v3/ping')).status);
      return out;
    };
    const first = await pattern();
    expect(await pattern()).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 500]));
  });

  it('answers 429 with -1003 and Retry-After once the minute\'s request weight passes 6000', async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const frozen = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET, now: () => minute + 30_000 });
    try {
      for (let i = 0; i < 300; i++) await fetch(`${frozen.url}/api/v3/exchangeInfo`).then((r) => r.text());
      const res = await fetch(`${frozen.url}/api/v3/exchangeInfo`);
      expect([res.status, res.headers.get('retry-after'), ((await res.json()) as { code: number }).code]).toEqual([429, '30', -1003]);
    } finally {
      await frozen.close();
    }
  });

  it('moves prices on its own when the price walk is on', async () => {
    const walking = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET, priceWalk: { seed: 7, intervalMs: 5, volatilityBps: 50 } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(walking.price('BTCUSDT')).not.toBe('60000');
    } finally {
      await walking.close();
    }
  });

  it('walks prices the same way for the same seed', async () => {
    const twin = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
    try {
      for (let i = 0; i < 5; i++) {
        fake.walkStep();
        twin.walkStep();
      }
      expect(twin.price('BTCUSDT')).toBe(fake.price('BTCUSDT'));
      expect(fake.price('BTCUSDT')).not.toBe('60000');
    } finally {
      await twin.close();
    }
  });
});
