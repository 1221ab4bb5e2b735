/**
 * The price refresh end to end: the refreshPrices workflow on a real worker, the real Binance and
 * yahoo-finance2 clients against the fakes over HTTP, PostgreSQL, and the HTTP API on top.
 */
import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candleOpen, INTERVAL_MS } from '../../domain/market-data/intervals.js';
import { storeQuotes } from '../../store/prices.js';
import { createRefreshActivities } from '../../activities/market-data/refresh-activities.js';
import { createPriceSources } from '../../venues/market-data/sources.js';
import { activitySteps } from '../../lib/history-steps.js';
import { refreshPricesInput } from '../../workflows/schedules.js';
import type { RefreshOutcome } from '../../workflows/refresh-prices.js';
import { startEngine, startMarketDataFakes, type MarketDataFakes, type TestEngine } from '../helpers/engine.js';
import { recordHistory } from '../helpers/histories.js';
import { waitFor } from '../helpers/wait.js';

const STALE_AFTER_MS = 5_000;
let fakes: MarketDataFakes;
let e: TestEngine;

beforeAll(async () => {
  fakes = await startMarketDataFakes();
  e = await startEngine({ ...fakes.env, PRICE_STALE_AFTER: `${STALE_AFTER_MS}ms` });
});
afterAll(async () => {
  await e.stop();
  await fakes.close();
});

function refreshNow(workflowId = `test-refresh-${randomUUID()}`): Promise<RefreshOutcome> {
  return e.temporal.workflow.execute('refreshPrices', {
    taskQueue: e.config.taskQueues.marketData,
    workflowId,
    args: [refreshPricesInput(e.config)],
  });
}

/**
 * With RECORD_HISTORIES=1, saves a finished refresh run into test/histories/ for the replay test,
 * decoded like the order histories. `<name>.json` woke orders from the workflow itself;
 * `<name>.wake-in-activity.json` ran after the `wake-orders-in-activity` patch.
 */
const prices = async (symbols: string) => (await e.call('GET', `/v1/prices?symbols=${symbols}`)).body;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PUT /v1/watchlist', () => {
  it('refuses a symbol no provider knows with 422 naming it, and keeps the old list', async () => {
    const before = await e.call('GET', '/v1/watchlist');
    const res = await e.call('PUT', '/v1/watchlist', { symbols: ['AAPL', 'NOSUCH'] });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('unknown_symbols');
    expect(res.body.error.details).toEqual([{ path: 'symbols.1', message: 'yahoo does not know NOSUCH' }]);
    expect((await e.call('GET', '/v1/watchlist')).body).toEqual(before.body);
  });

  it('refuses a malformed symbol with 422 before asking any provider', async () => {
    const asked = fakes.yahoo.requests().length;
    const res = await e.call('PUT', '/v1/watchlist', { symbols: ['aapl'] });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(/^symbols\.0: must be an upper-case symbol/);
    expect(fakes.yahoo.requests().length).toBe(asked);
  });

  it('answers 502 when the provider that must vouch for a new symbol is down, and stores nothing', async () => {
    fakes.yahoo.setFailure('down');
    try {
      const res = await e.call('PUT', '/v1/watchlist', { symbols: ['MSFT'] });
      expect(res.status).toBe(502);
      expect(res.body.error).toMatchObject({ code: 'provider_unavailable', details: { provider: 'yahoo' } });
      expect((await e.call('GET', '/v1/watchlist')).body.symbols).not.toContain('MSFT');
    } finally {
      fakes.yahoo.setFailure(null);
    }
  });

  it('replaces the list, keeps its order, and GET returns it', async () => {
    const res = await e.call('PUT', '/v1/watchlist', { symbols: ['BTCUSDT', 'AAPL', 'BTCUSDT'] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ symbols: ['BTCUSDT', 'AAPL'] });
    expect((await e.call('GET', '/v1/watchlist')).body).toEqual({ symbols: ['BTCUSDT', 'AAPL'] });
    // Stored for the caller's account, the one of the token.
    const rows = await e.sql<{ symbol: string }[]>`SELECT symbol FROM watchlists WHERE account_id = ${e.account.id} ORDER BY position`;
    expect(rows.map((r) => r.symbol)).toEqual(['BTCUSDT', 'AAPL']);
  });
});

describe('refreshPrices', () => {
  it('stores BTCUSDT from the Binance fake and AAPL from the Yahoo fake, each with its source', async () => {
    fakes.binance.setPrice('BTCUSDT', '61000.5');
    fakes.yahoo.setPrice('AAPL', '231.25');
    const outcome = await refreshNow();
    expect(outcome.providers.binance).toMatchObject({ status: 'ok', failures: [] });
    expect(outcome.providers.yahoo).toMatchObject({ status: 'ok', failures: [] });
    const body = await prices('BTCUSDT,AAPL');
    expect(body).toMatchObject([
      { symbol: 'BTCUSDT', price: '61000.50000000', source: 'binance', stale: false },
      { symbol: 'AAPL', price: '231.25', source: 'yahoo', stale: false },
    ]);
    const history = await e.sql`SELECT source FROM price_history WHERE symbol = 'AAPL' AND price = 231.25`;
    expect(history.map((r) => r.source)).toEqual(['yahoo']);
  });

  it('keeps refreshing BTCUSDT while Yahoo is down, and AAPL keeps its last asOf and turns stale', async () => {
    fakes.yahoo.setPrice('AAPL', '232');
    await refreshNow();
    const [, aaplBefore] = await prices('BTCUSDT,AAPL');
    expect(aaplBefore.stale).toBe(false);
    await sleep(STALE_AFTER_MS + 500);
    fakes.yahoo.setFailure('down');
    try {
      fakes.binance.setPrice('BTCUSDT', '59000');
      const startedAt = Date.now();
      const outcome = await refreshNow();
      expect(outcome.providers.binance.status).toBe('ok');
      expect(outcome.providers.yahoo.status).toBe('failed');
      expect(outcome.providers.yahoo.failures[0]?.message).toMatch(/HTTP 503/);
      const [btc, aapl] = await prices('BTCUSDT,AAPL');
      expect(btc).toMatchObject({ price: '59000.00000000', stale: false });
      expect(Date.parse(btc.asOf)).toBeGreaterThanOrEqual(startedAt - 1000);
      expect(aapl).toMatchObject({ price: '232', asOf: aaplBefore.asOf, stale: true });
    } finally {
      fakes.yahoo.setFailure(null);
    }
  });

  it('stores the Binance prices while a hanging Yahoo is still being retried in the same run', async () => {
    fakes.yahoo.setFailure('timeout');
    try {
      fakes.binance.setPrice('BTCUSDT', '58123');
      const handle = await e.temporal.workflow.start('refreshPrices', {
        taskQueue: e.config.taskQueues.marketData,
        workflowId: `test-refresh-${randomUUID()}`,
        args: [refreshPricesInput(e.config)],
      });
      await waitFor(() => prices('BTCUSDT'), ([btc]) => btc.price === '58123.00000000', { timeoutMs: 5_000, what: 'BTCUSDT stored' });
      expect((await handle.describe()).status.name).toBe('RUNNING');
      const outcome: RefreshOutcome = await handle.result();
      expect(outcome.providers.binance.status).toBe('ok');
      // Other test files share the database, so Yahoo may have been asked for their symbols too.
      expect(outcome.providers.yahoo).toMatchObject({ status: 'failed', failures: [{ symbols: expect.arrayContaining(['AAPL']), message: expect.stringMatching(/timed out/) }] });
    } finally {
      fakes.yahoo.setFailure(null);
    }
  });

  it('fills an open paper LIMIT order on a moved symbol from one activity, which sends the order its venue event', async () => {
    fakes.binance.setPrice('BTCUSDT', '60000');
    await refreshNow();
    const placed = await e.call('POST', '/v1/orders', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '55000', venue: 'paper' });
    await e.waitForStatus(placed.body.id, ['NEW']);
    fakes.binance.setPrice('BTCUSDT', '54000');
    const refreshId = `test-refresh-${randomUUID()}`;
    const outcome = await refreshNow(refreshId);
    expect(outcome.moved).toContain('BTCUSDT');
    expect(outcome.woken).toBeGreaterThanOrEqual(1);
    await recordHistory(e.temporal, refreshId, 'refresh-prices-woke-order');
    // The refresh's own history stays the same size however many orders it wakes.
    const refreshEvents = (await e.temporal.workflow.getHandle(refreshId).fetchHistory()).events ?? [];
    expect(activitySteps(refreshEvents).map((s) => s.name)).toContain('wakePaperOrders');
    expect(refreshEvents.filter((ev) => ev.signalExternalWorkflowExecutionInitiatedEventAttributes)).toEqual([]);
    const history = await e.temporal.workflow.getHandle(placed.body.workflowId).fetchHistory();
    const signals = (history.events ?? []).filter((ev) => ev.workflowExecutionSignaledEventAttributes?.signalName === 'venueEvent');
    expect(signals.length).toBeGreaterThanOrEqual(1);
    const filled = await e.waitForStatus(placed.body.id, ['FILLED'], 10_000);
    expect(filled.events.map((ev: { cause: string }) => ev.cause)).toContain('paper event');
  });

  it('completes when an order to wake has no workflow, counting it as not woken', async () => {
    const id = randomUUID();
    await e.sql`INSERT INTO orders (id, account_id, venue, symbol, side, type, quantity, price, status, status_rank, client_order_id, workflow_id)
      VALUES (${id}, '00000000-0000-0000-0000-000000000001', 'paper', 'ETHUSDT', 'BUY', 'LIMIT', 1, 1, 'NEW', 2, ${`dt-ghost-${id}`}, ${`order-${id}`})`;
    try {
      fakes.binance.setPrice('ETHUSDT', String(3000 + Math.floor(Math.random() * 100)));
      const outcome = await refreshNow();
      expect(outcome.moved).toContain('ETHUSDT');
      expect(outcome.woken).toBe(0);
    } finally {
      await e.sql`DELETE FROM orders WHERE id = ${id}`;
    }
  });

  it('gives the paper venue a first price from the provider, and then refreshes the held symbol', async () => {
    await e.sql`DELETE FROM prices WHERE symbol = 'SOLUSDT'`;
    fakes.binance.setPrice('SOLUSDT', '150');
    const placed = await e.call('POST', '/v1/orders', { symbol: 'SOLUSDT', side: 'BUY', type: 'MARKET', quantity: '1', venue: 'paper' });
    const order = await e.waitForStatus(placed.body.id, ['FILLED', 'REJECTED']);
    expect(order.status).toBe('FILLED');
    // 150 plus 5 bps of slippage
    expect(order.fills[0].price).toBe('150.075');
    const sources = createPriceSources(e.config);
    const routed = await createRefreshActivities({ sql: e.sql, marketData: sources }).symbolsToRefresh();
    expect(routed.binance).toContain('SOLUSDT');
    expect(routed.binance).toContain('BTCUSDT');
    expect(routed.yahoo).toContain('AAPL');
    expect([...routed.binance, ...routed.yahoo]).not.toContain('NEVERWATCHED');
  });
});

describe('GET /v1/prices', () => {
  it('fetches a symbol asked for the first time from its provider and stores it', async () => {
    const body = await prices('TSLA,SOLUSDT');
    // (Staleness follows the provider's own quote time, which the Yahoo fake does not advance.)
    expect(body.map((p: { symbol: string; source: string; price: string | null }) => [p.symbol, p.source, p.price !== null])).toEqual([
      ['TSLA', 'yahoo', true],
      ['SOLUSDT', 'binance', true],
    ]);
    const rows = await e.sql`SELECT symbol FROM prices WHERE symbol IN ('TSLA', 'SOLUSDT') ORDER BY symbol`;
    expect(rows.map((r) => r.symbol)).toEqual(['SOLUSDT', 'TSLA']);
  });

  it('reports a symbol no provider knows with a null price, stale', async () => {
    const body = await prices('BTCUSDT,NEVERPRICED');
    expect(body[1]).toEqual({ symbol: 'NEVERPRICED', price: null, source: null, asOf: null, stale: true, change: null, changePercent: null, volume: null });
  });

  it('refuses bad symbol syntax, a missing list and too many symbols with 422', async () => {
    for (const query of ['symbols=btcusdt', 'symbols=', '', `symbols=${Array.from({ length: 101 }, (_, i) => `S${i}`).join(',')}`, 'symbols=AAPL&extra=1']) {
      const res = await e.call('GET', `/v1/prices?${query}`);
      expect(res.status, query).toBe(422);
      expect(res.body.error.code, query).toBe('invalid_request');
    }
  });
});

describe('storeQuotes', () => {
  it('keeps the later of two prices stamped with the same second, in the latest price and the history', async () => {
    const asOf = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    await storeQuotes(e.sql, [{ symbol: 'SAMESEC', price: '10.5', source: 'yahoo', asOf }]);
    await storeQuotes(e.sql, [{ symbol: 'SAMESEC', price: '10.75', source: 'yahoo', asOf }]);
    await storeQuotes(e.sql, [{ symbol: 'SAMESEC', price: '10.75', source: 'yahoo', asOf }]);
    const history = await e.sql`SELECT price::text FROM price_history WHERE symbol = 'SAMESEC' AND at = ${asOf}`;
    expect(history.map((r) => r.price)).toEqual(['10.75']);
    const [latest] = await prices('SAMESEC');
    expect(latest).toMatchObject({ price: '10.75', source: 'yahoo' });
  });
});

describe('GET /v1/prices/:symbol/history', () => {
  const MIN = 60_000;

  it('aggregates stored prices into candles: first, highest, lowest and last of each interval', async () => {
    const t0 = Math.floor(Date.now() / MIN) * MIN - 180 * MIN;
    const points: Array<[number, string]> = [[0, '10'], [15_000, '12'], [30_000, '9'], [59_000, '11'], [MIN + 1_000, '20']];
    await storeQuotes(e.sql, points.map(([dt, price]) => ({ symbol: 'HISTAGG', price, source: 'simulated', asOf: new Date(t0 + dt).toISOString() })));
    const res = await e.call('GET', `/v1/prices/HISTAGG/history?interval=1m&from=${new Date(t0).toISOString()}&to=${new Date(t0 + MIN).toISOString()}`);
    expect(res.status).toBe(200);
    expect(res.body.backfill).toBeNull();
    expect(res.body.candles).toEqual([
      { t: new Date(t0).toISOString(), open: '10', high: '12', low: '9', close: '11' },
      { t: new Date(t0 + MIN).toISOString(), open: '20', high: '20', low: '20', close: '20' },
    ]);
  });

  it('backfills a range without stored data from Binance klines, stores it, and serves it from the store next time', async () => {
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000;
    const url = `/v1/prices/BTCUSDT/history?interval=1h&from=${new Date(day).toISOString()}&to=${new Date(day + 5 * 3_600_000).toISOString()}`;
    const klines = () => fakes.binance.requests().filter((r) => r.path === '/api/v3/klines').length;
    const first = await e.call('GET', url);
    expect(first.status).toBe(200);
    expect(first.body.backfill).toEqual({ provider: 'binance', stored: 6 });
    expect(first.body.candles).toHaveLength(6);
    expect(first.body.candles[0].t).toBe(new Date(day).toISOString());
    const stored = await e.sql`SELECT count(*)::int AS n FROM price_candles WHERE symbol = 'BTCUSDT' AND interval = '1h' AND source = 'binance'`;
    expect(stored[0]!.n).toBeGreaterThanOrEqual(6);
    const calls = klines();
    const second = await e.call('GET', url);
    expect(second.body.backfill).toBeNull();
    expect(second.body.candles).toEqual(first.body.candles);
    expect(klines()).toBe(calls);
  });

  it('backfills an equity from the Yahoo chart', async () => {
    const to = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
    const res = await e.call('GET', `/v1/prices/MSFT/history?interval=1h&from=${new Date(to - 3 * 3_600_000).toISOString()}&to=${new Date(to).toISOString()}`);
    expect(res.status).toBe(200);
    expect(res.body.backfill).toEqual({ provider: 'yahoo', stored: 4 });
    expect(res.body.candles[0]).toMatchObject({ open: expect.stringMatching(/^\d+(\.\d+)?$/) });
  });

  it('answers 404 for a pair Binance does not list, and 422 for a bad interval, an inverted or an oversized range', async () => {
    expect((await e.call('GET', '/v1/prices/NOPEUSDT/history?interval=1h')).body.error.code).toBe('unknown_symbol');
    for (const interval of ['2h', '1M', '1wk', '60m']) expect((await e.call('GET', `/v1/prices/BTCUSDT/history?interval=${interval}`)).status, interval).toBe(422);
    const inverted = await e.call('GET', '/v1/prices/BTCUSDT/history?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z');
    expect([inverted.status, inverted.body.error.code]).toEqual([422, 'invalid_range']);
    const huge = await e.call('GET', '/v1/prices/BTCUSDT/history?interval=1m&from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z');
    expect([huge.status, huge.body.error.code]).toEqual([422, 'range_too_large']);
    expect((await e.call('GET', '/v1/prices/BTCUSDT/history?from=yesterday')).status).toBe(422);
  });
});

describe('GET /v1/prices/:symbol/history in every interval', () => {
  const INTERVALS = ['1m', '5m', '15m', '1h', '4h', '1d', '1w'] as const;
  /** Four finished candles ending two candles ago, on the interval's grid. */
  const rangeOf = (interval: (typeof INTERVALS)[number]) => {
    const step = INTERVAL_MS[interval];
    const to = candleOpen(Date.now(), interval) - 2 * step;
    return { from: new Date(to - 3 * step), to: new Date(to), step };
  };

  it.each(INTERVALS)('backfills %s candles of a Binance pair from klines, stores them, and serves them from the store next time', async (interval) => {
    const { from, to, step } = rangeOf(interval);
    const url = `/v1/prices/BNBUSDT/history?interval=${interval}&from=${from.toISOString()}&to=${to.toISOString()}`;
    const first = await e.call('GET', url);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ interval, from: from.toISOString(), to: to.toISOString(), backfill: { provider: 'binance', stored: 4 } });
    expect(first.body.candles.map((c: { t: string }) => Date.parse(c.t))).toEqual([0, 1, 2, 3].map((i) => from.getTime() + i * step));
    if (interval === '1w') for (const c of first.body.candles) expect(new Date(c.t).getUTCDay()).toBe(1);
    const stored = await e.sql`SELECT count(*)::int AS n FROM price_candles WHERE symbol = 'BNBUSDT' AND interval = ${interval} AND t >= ${from} AND t <= ${to}`;
    expect(stored[0]!.n).toBe(4);
    const second = await e.call('GET', url);
    expect(second.body).toMatchObject({ backfill: null, candles: first.body.candles });
  });

  it.each(INTERVALS.filter((i) => i !== '1m'))('backfills %s candles of an equity from the Yahoo chart', async (interval) => {
    const { from, to, step } = rangeOf(interval);
    const res = await e.call('GET', `/v1/prices/GOOGL/history?interval=${interval}&from=${from.toISOString()}&to=${to.toISOString()}`);
    expect(res.status).toBe(200);
    expect(res.body.backfill).toEqual({ provider: 'yahoo', stored: 4 });
    expect(res.body.candles.map((c: { t: string }) => Date.parse(c.t))).toEqual([0, 1, 2, 3].map((i) => from.getTime() + i * step));
    const asked = fakes.yahoo.requests().filter((r) => r.path === '/v8/finance/chart/GOOGL').at(-1);
    // Yahoo has no 4h bars (they are built from its hourly ones) and calls a week 1wk.
    expect(asked?.query.interval).toBe({ '4h': '1h', '1w': '1wk' }[interval as string] ?? interval);
  });

  it('backfills 1m candles of an equity from the Yahoo chart', async () => {
    const { from, to } = rangeOf('1m');
    const res = await e.call('GET', `/v1/prices/TSLA/history?interval=1m&from=${from.toISOString()}&to=${to.toISOString()}`);
    expect(res.body.backfill).toEqual({ provider: 'yahoo', stored: 4 });
  });

  it('aggregates stored prices into weekly candles that open on Mondays', async () => {
    const monday = candleOpen(Date.now(), '1w') - 2 * INTERVAL_MS['1w'];
    await storeQuotes(e.sql, [
      { symbol: 'WEEKAGG', price: '10', source: 'simulated', asOf: new Date(monday + 3_600_000).toISOString() },
      { symbol: 'WEEKAGG', price: '14', source: 'simulated', asOf: new Date(monday + 3 * 86_400_000).toISOString() },
      { symbol: 'WEEKAGG', price: '12', source: 'simulated', asOf: new Date(monday + 6 * 86_400_000).toISOString() },
    ]);
    const res = await e.call('GET', `/v1/prices/WEEKAGG/history?interval=1w&from=${new Date(monday).toISOString()}&to=${new Date(monday).toISOString()}`);
    expect(res.body.candles).toEqual([{ t: new Date(monday).toISOString(), open: '10', high: '14', low: '10', close: '12' }]);
  });
});

describe("the day's change and volume", () => {
  it('come with a Binance price from ticker/24hr, as Binance prints them', async () => {
    await e.sql`DELETE FROM prices WHERE symbol = 'ETHUSDT'`;
    fakes.binance.setPrice('ETHUSDT', '3150.25');
    // The window's start moves with the clock: what Binance answered just before or just after.
    const ticker = async () => (await (await fetch(`${fakes.binance.url}/api/v3/ticker/24hr?symbol=ETHUSDT`)).json()) as Record<string, string>;
    const before = await ticker();
    const [eth] = await prices('ETHUSDT');
    const after = await ticker();
    const answered = [before, after].find((t) => t.priceChange === eth.change);
    expect(answered, `change ${eth.change}`).toBeDefined();
    expect(eth).toMatchObject({ price: '3150.25000000', source: 'binance', changePercent: answered!.priceChangePercent, volume: answered!.volume });
    expect(new Decimal(eth.change).eq(new Decimal('3150.25').minus(answered!.openPrice!))).toBe(true);
  });

  it('are stored by the price refresh with each Binance and Yahoo price', async () => {
    await e.call('PUT', '/v1/watchlist', { symbols: ['BTCUSDT', 'AAPL'] });
    fakes.binance.setPrice('BTCUSDT', '61500');
    fakes.yahoo.setPrice('AAPL', '233.5');
    await refreshNow();
    const [btc, aapl] = await prices('BTCUSDT,AAPL');
    for (const p of [btc, aapl]) expect(p).toMatchObject({ change: expect.stringMatching(/^-?\d+(\.\d+)?$/), changePercent: expect.stringMatching(/^-?\d+(\.\d+)?$/), volume: expect.stringMatching(/^\d+(\.\d+)?$/) });
    const [row] = await e.sql`SELECT day_change::text, day_volume::text FROM prices WHERE symbol = 'AAPL'`;
    expect([row!.day_change, row!.day_volume]).toEqual([aapl.change, aapl.volume]);
  });

  it('are null where the provider gives none: a mutual fund has no volume on Yahoo, a simulated price none of them', async () => {
    fakes.yahoo.setPrice('VFIAX', '512.34', { quoteType: 'MUTUALFUND' });
    const [fund] = await prices('VFIAX');
    expect(fund).toMatchObject({ price: '512.34', source: 'yahoo', volume: null, change: expect.stringMatching(/^-?\d/), changePercent: expect.stringMatching(/^-?\d/) });
    await e.setPrice('DAYNULL', '5');
    expect((await prices('DAYNULL'))[0]).toMatchObject({ price: '5', change: null, changePercent: null, volume: null });
    expect((await prices('NEVERPRICED2'))[0]).toMatchObject({ price: null, change: null, changePercent: null, volume: null });
  });

  it('are cleared by a later price that comes without them, and travel with each price change on price_changes', async () => {
    const heard: string[] = [];
    const listener = await e.sql.listen('price_changes', (payload) => heard.push(payload));
    try {
      const asOf = Date.now();
      await storeQuotes(e.sql, [{ symbol: 'DAYCLEAR', price: '20', source: 'yahoo', asOf: new Date(asOf).toISOString(), change: '-1.5', changePercent: '-6.976744', volume: '1200' }]);
      expect((await prices('DAYCLEAR'))[0]).toMatchObject({ change: '-1.5', changePercent: '-6.976744', volume: '1200' });
      await storeQuotes(e.sql, [{ symbol: 'DAYCLEAR', price: '21', source: 'simulated', asOf: new Date(asOf + 1000).toISOString() }]);
      expect((await prices('DAYCLEAR'))[0]).toMatchObject({ price: '21', change: null, changePercent: null, volume: null });
      await waitFor(async () => heard.map((h) => JSON.parse(h) as Record<string, unknown>).filter((h) => h.symbol === 'DAYCLEAR'), (h) => h.length === 2, { timeoutMs: 5_000, what: 'two price_changes' });
      const [withStats, without] = heard.map((h) => JSON.parse(h) as Record<string, unknown>).filter((h) => h.symbol === 'DAYCLEAR');
      expect(withStats).toMatchObject({ price: '20', change: '-1.5', changePercent: '-6.976744', volume: '1200' });
      expect(without).toMatchObject({ price: '21', change: null, changePercent: null, volume: null });
    } finally {
      await listener.unlisten();
    }
  });
});

describe('stale reporting', () => {
  it('marks a price older than PRICE_STALE_AFTER stale and a fresh one not', async () => {
    await e.setPrice('STALECHK', '1', new Date(Date.now() - STALE_AFTER_MS - 1_000));
    await e.setPrice('FRESHCHK', '1');
    const body = await prices('STALECHK,FRESHCHK');
    expect(body.map((p: { stale: boolean }) => p.stale)).toEqual([true, false]);
  });
});
