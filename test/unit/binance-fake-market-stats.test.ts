/**
 * The fake Binance's ticker/24hr, weekly klines and account endpoint on the wire, against
 * rest-api.md: shapes, parameters, weights and errors, and balances that follow the fake's fills.
 */
import { Decimal } from 'decimal.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BinanceFake, startBinanceFake } from '../fakes/binance/index.js';
import { rawBinanceClient, type RawClient } from '../fakes/binance/raw-client.js';

const KEY = 'stats-key';
const SECRET = 'stats-secret';
const WEEK = 7 * 86_400_000;

let fake: BinanceFake;
let raw: RawClient;

beforeEach(async () => {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET, balances: { USDT: '10000', BTC: '0' } });
  raw = rawBinanceClient(fake.url, KEY, SECRET);
});
afterEach(async () => {
  await fake.close();
});

const FULL_KEYS = [
  'symbol', 'priceChange', 'priceChangePercent', 'weightedAvgPrice', 'prevClosePrice', 'lastPrice', 'lastQty', 'bidPrice', 'bidQty', 'askPrice', 'askQty',
  'openPrice', 'highPrice', 'lowPrice', 'volume', 'quoteVolume', 'openTime', 'closeTime', 'firstId', 'lastId', 'count',
];
const MINI_KEYS = ['symbol', 'openPrice', 'highPrice', 'lowPrice', 'lastPrice', 'volume', 'quoteVolume', 'openTime', 'closeTime', 'firstId', 'lastId', 'count'];
const weightOf = (headers: Headers) => Number(headers.get('x-mbx-used-weight-1m'));
const symbols = (list: string[]) => `symbols=${encodeURIComponent(JSON.stringify(list))}`;

describe('GET /api/v3/ticker/24hr', () => {
  it('answers one symbol with the FULL statistics of the last 24 hours, for weight 2', async () => {
    fake.setPrice('BTCUSDT', '61234.56');
    const before = Date.now();
    const { status, headers, json } = await raw.call('GET', '/api/v3/ticker/24hr', { query: 'symbol=BTCUSDT' });
    expect(status).toBe(200);
    expect(Object.keys(json)).toEqual(FULL_KEYS);
    expect(json.lastPrice).toBe('61234.56000000');
    expect(new Decimal(json.lastPrice).minus(json.openPrice).toFixed(8)).toBe(json.priceChange);
    expect(json.priceChangePercent).toBe(new Decimal(json.priceChange).div(json.openPrice).times(100).toFixed(3));
    expect(json.volume).toMatch(/^\d+\.\d{8}$/);
    expect(new Decimal(json.highPrice).gte(json.lastPrice) && new Decimal(json.lowPrice).lte(json.lastPrice)).toBe(true);
    expect(json.closeTime - json.openTime).toBe(86_400_000);
    expect(json.closeTime).toBeGreaterThanOrEqual(before);
    expect(weightOf(headers)).toBe(2);
  });

  it('answers a list of symbols as an array, MINI without the change fields, for weight 2 up to 20 symbols', async () => {
    const { json, headers } = await raw.call('GET', '/api/v3/ticker/24hr', { query: `${symbols(['BTCUSDT', 'ETHUSDT'])}&type=MINI` });
    expect(json.map((t: { symbol: string }) => t.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(Object.keys(json[0])).toEqual(MINI_KEYS);
    expect(weightOf(headers)).toBe(2);
  });

  it('weighs 80 without symbol or symbols, and answers every symbol', async () => {
    const { json, headers } = await raw.call('GET', '/api/v3/ticker/24hr');
    expect(json).toHaveLength(4);
    expect(weightOf(headers)).toBe(80);
  });

  it('refuses symbol with symbols (-1128), an unknown symbol (-1121) and a type other than FULL or MINI (-1130)', async () => {
    expect((await raw.call('GET', '/api/v3/ticker/24hr', { query: `symbol=BTCUSDT&${symbols(['ETHUSDT'])}` })).json).toMatchObject({ code: -1128 });
    expect((await raw.call('GET', '/api/v3/ticker/24hr', { query: symbols(['BTCUSDT', 'NOPEUSDT']) })).json).toEqual({ code: -1121, msg: 'Invalid symbol.' });
    expect((await raw.call('GET', '/api/v3/ticker/24hr', { query: 'symbol=BTCUSDT&type=BIG' })).json).toMatchObject({ code: -1130 });
  });
});

describe('GET /api/v3/klines with interval=1w', () => {
  it('opens weekly candles on Mondays 00:00 UTC, a week apart', async () => {
    const { json } = await raw.call('GET', '/api/v3/klines', { query: 'symbol=ETHUSDT&interval=1w&limit=3' });
    expect(json).toHaveLength(3);
    for (const [openTime, , , , , , closeTime] of json as Array<[number, string, string, string, string, string, number]>) {
      expect(new Date(openTime).toISOString()).toMatch(/T00:00:00\.000Z$/);
      expect(new Date(openTime).getUTCDay()).toBe(1);
      expect(closeTime).toBe(openTime + WEEK - 1);
    }
    expect(json[1][0] - json[0][0]).toBe(WEEK);
  });
});

describe('GET /api/v3/account', () => {
  it('leaves out assets holding nothing only with omitZeroBalances=true, and shows what a fill moved', async () => {
    const all = await raw.signed('GET', '/api/v3/account', { omitZeroBalances: 'false' });
    expect(all.json.balances).toEqual([
      { asset: 'USDT', free: '10000.00000000', locked: '0.00000000' },
      { asset: 'BTC', free: '0.00000000', locked: '0.00000000' },
    ]);
    expect((await raw.signed('GET', '/api/v3/account', { omitZeroBalances: 'true' })).json.balances.map((b: { asset: string }) => b.asset)).toEqual(['USDT']);
    expect(weightOf(all.headers)).toBe(20);

    await raw.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const after = (await raw.signed('GET', '/api/v3/account', { omitZeroBalances: 'true' })).json;
    // 0.01 BTC at 60000 less the 0.1 % commission taken from what the fill receives.
    expect(after.balances).toEqual([
      { asset: 'USDT', free: '9400.00000000', locked: '0.00000000' },
      { asset: 'BTC', free: '0.00999000', locked: '0.00000000' },
    ]);
    expect(Object.keys(after)).toEqual(expect.arrayContaining(['makerCommission', 'commissionRates', 'canTrade', 'updateTime', 'accountType', 'permissions', 'uid']));
    expect(after.commissionRates).toEqual({ maker: '0.00100000', taker: '0.00100000', buyer: '0.00000000', seller: '0.00000000' });
  });
});
