/**
 * The portfolio through the API, against a real Temporal, Postgres and workers: the worked
 * examples of docs/portfolio-accounting.md as manual trades, the 422 for selling what is not
 * held, valuation at stored prices, late fills, history and the trades list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflowClients } from '../../workflows/clients.js';
import { createPortfolioNotifyActivities } from '../../activities/portfolio/portfolio-activities.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';

// Symbols of this file only, so prices set here move nothing of other files.
const STOCK = 'PFAAPL';
const COIN = 'PFBTCUSDT';

let e: TestEngine;
beforeAll(async () => {
  e = await startEngine({ PORTFOLIO_DEBOUNCE: '50ms' });
});
afterAll(() => e.stop());

/** Execution times one minute apart, in the past, so every sequence is in a known order. */
const minute = (n: number) => new Date(Date.UTC(2024, 4, 1, 14, 0) + n * 60_000).toISOString();

interface TradeInput {
  symbol?: string;
  side: 'BUY' | 'SELL';
  quantity: string;
  price: string;
  fee?: string;
  feeAsset?: string;
  executedAt?: string;
}

async function trade(account: string, t: TradeInput) {
  const res = await e.callAs(account, 'POST', '/v1/trades', { symbol: STOCK, ...t });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** The portfolio once its workflow has folded in `count` trades. */
async function settled(account: string, count: number) {
  return waitFor(
    async () => (await e.callAs(account, 'GET', '/v1/portfolio')).body,
    (p) => p?.trades === String(count),
    { timeoutMs: 20_000, what: `the portfolio of ${account} to hold ${count} trades` },
  );
}

async function position(account: string, symbol = STOCK) {
  const res = await e.callAs(account, 'GET', '/v1/positions');
  expect(res.status).toBe(200);
  return res.body.find((p: { symbol: string }) => p.symbol === symbol);
}

const buyBuySell = (fees: boolean): TradeInput[] => [
  { side: 'BUY', quantity: '10', price: '100', executedAt: minute(1), ...(fees ? { fee: '1', feeAsset: 'USD' } : {}) },
  { side: 'BUY', quantity: '10', price: '120', executedAt: minute(2), ...(fees ? { fee: '1.2', feeAsset: 'USD' } : {}) },
  { side: 'SELL', quantity: '5', price: '130', executedAt: minute(3), ...(fees ? { fee: '0.65', feeAsset: 'USD' } : {}) },
];

describe('worked examples through POST /v1/trades', () => {
  it('averages two buys, 10 @ 100 and 10 @ 120, to an average cost of 110', async () => {
    const account = await e.newAccount();
    for (const t of buyBuySell(false).slice(0, 2)) await trade(account, t);
    await settled(account, 2);
    expect(await position(account)).toMatchObject({ symbol: STOCK, venue: 'manual', quantity: '20', avgCost: '110', realizedPnl: '0' });
  });

  it('realizes 100 when selling 5 @ 130 at an average cost of 110, leaving 15', async () => {
    const account = await e.newAccount();
    for (const t of buyBuySell(false)) await trade(account, t);
    const portfolio = await settled(account, 3);
    expect(await position(account)).toMatchObject({ quantity: '15', avgCost: '110', realizedPnl: '100' });
    expect(portfolio).toMatchObject({ realizedPnl: '100', feesPaid: '0', closedTrades: '1', winRate: '1', method: 'average' });
  });

  it('puts quote-currency fees into the cost and takes them from the proceeds: realized 98.8, fees 2.85', async () => {
    const account = await e.newAccount();
    for (const t of buyBuySell(true)) await trade(account, t);
    const portfolio = await settled(account, 3);
    expect(await position(account)).toMatchObject({ quantity: '15', avgCost: '110.11', realizedPnl: '98.8', costBasis: '1651.65' });
    expect(portfolio.feesPaid).toBe('2.85');
  });

  it('realizes 150 on the same sequence under FIFO, selling the lot bought at 100', async () => {
    const account = await e.newAccount();
    const set = await e.callAs(account, 'PUT', '/v1/portfolio/settings', { method: 'fifo' });
    expect(set.status).toBe(200);
    expect(set.body.method).toBe('fifo');
    for (const t of buyBuySell(false)) await trade(account, t);
    const portfolio = await settled(account, 3);
    expect(portfolio.method).toBe('fifo');
    expect(await position(account)).toMatchObject({ quantity: '15', avgCost: '113.333333333333', realizedPnl: '150' });
  });

  it('recomputes everything when the method changes, and back: 150 under FIFO, 100 under average cost', async () => {
    const account = await e.newAccount();
    for (const t of buyBuySell(false)) await trade(account, t);
    await settled(account, 3);
    const fifo = await e.callAs(account, 'PUT', '/v1/portfolio/settings', { method: 'fifo' });
    expect(fifo.body.portfolio).toMatchObject({ method: 'fifo', realizedPnl: '150', recalculation: { mode: 'full', fullReason: 'method-changed' } });
    const average = await e.callAs(account, 'PUT', '/v1/portfolio/settings', { method: 'average' });
    expect(average.body.portfolio).toMatchObject({ method: 'average', realizedPnl: '100' });
    expect((await e.callAs(account, 'GET', '/v1/portfolio/settings')).body).toEqual({ method: 'average' });
  });

  it('starts a fresh average cost after a position is closed to zero and reopened', async () => {
    const account = await e.newAccount();
    await trade(account, { side: 'BUY', quantity: '2', price: '100', executedAt: minute(1) });
    await trade(account, { side: 'SELL', quantity: '2', price: '150', executedAt: minute(2) });
    await trade(account, { side: 'BUY', quantity: '1', price: '300', executedAt: minute(3) });
    await settled(account, 3);
    expect(await position(account)).toMatchObject({ quantity: '1', avgCost: '300', realizedPnl: '100' });
  });
});

describe('selling more than is held', () => {
  it('answers 422 for a manual sell larger than the holding and stores nothing', async () => {
    const account = await e.newAccount();
    await trade(account, { side: 'BUY', quantity: '3', price: '100', executedAt: minute(1) });
    const res = await e.callAs(account, 'POST', '/v1/trades', { symbol: STOCK, side: 'SELL', quantity: '3.5', price: '110', executedAt: minute(2) });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'insufficient_position', details: { held: '3', requested: '3.5' } });
    const [{ n }] = (await e.sql`SELECT count(*)::int AS n FROM trades WHERE account_id = ${account}`) as unknown as [{ n: number }];
    expect(n).toBe(1);
  });

  it('lets only one of two concurrent sells through when the holding covers one', async () => {
    const account = await e.newAccount();
    await trade(account, { side: 'BUY', quantity: '5', price: '100', executedAt: minute(1) });
    const sell = { symbol: STOCK, side: 'SELL', quantity: '4', price: '110' };
    const results = await Promise.all([e.callAs(account, 'POST', '/v1/trades', sell), e.callAs(account, 'POST', '/v1/trades', sell)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 422]);
    await settled(account, 2);
    expect(await position(account)).toMatchObject({ quantity: '1' });
  });

  it('refuses a sell dated before the buy that would cover it', async () => {
    const account = await e.newAccount();
    await trade(account, { side: 'BUY', quantity: '5', price: '100', executedAt: minute(5) });
    const res = await e.callAs(account, 'POST', '/v1/trades', { symbol: STOCK, side: 'SELL', quantity: '1', price: '110', executedAt: minute(4) });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('insufficient_position');
  });

  it('refuses a backdated sell that would leave a later sell short', async () => {
    const account = await e.newAccount();
    await trade(account, { side: 'BUY', quantity: '5', price: '100', executedAt: minute(1) });
    await trade(account, { side: 'SELL', quantity: '5', price: '110', executedAt: minute(3) });
    const res = await e.callAs(account, 'POST', '/v1/trades', { symbol: STOCK, side: 'SELL', quantity: '1', price: '105', executedAt: minute(2) });
    expect(res.status).toBe(422);
  });
});

describe('POST /v1/trades validation', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['a fee without its asset', { symbol: STOCK, side: 'BUY', quantity: '1', price: '1', fee: '0.1' }, /^feeAsset: is required when fee is above zero/],
    ['a JSON number as price', { symbol: STOCK, side: 'BUY', quantity: '1', price: 100 }, /^price: must be a decimal string/],
    ['an execution time in the future', { symbol: STOCK, side: 'BUY', quantity: '1', price: '1', executedAt: '2999-01-01T00:00:00Z' }, /^executedAt: must not be in the future/],
    ['an execution time without a zone', { symbol: STOCK, side: 'BUY', quantity: '1', price: '1', executedAt: '2024-05-01T14:00:00' }, /^executedAt:/],
    ['an unknown field', { symbol: STOCK, side: 'BUY', quantity: '1', price: '1', venue: 'paper' }, /venue|Unrecognized/],
  ];
  for (const [name, body, message] of cases) {
    it(`refuses ${name} with 422 naming the field`, async () => {
      const account = await e.newAccount();
      const res = await e.callAs(account, 'POST', '/v1/trades', body);
      expect(res.status).toBe(422);
      expect(res.body.error.message).toMatch(message);
    });
  }

  it('returns the same trade for a repeated Idempotency-Key and refuses the key with another body', async () => {
    const account = await e.newAccount();
    const body = { symbol: STOCK, side: 'BUY', quantity: '1', price: '10', executedAt: minute(1) };
    const first = await e.callAs(account, 'POST', '/v1/trades', body, { 'Idempotency-Key': 'trade-1' });
    const again = await e.callAs(account, 'POST', '/v1/trades', body, { 'Idempotency-Key': 'trade-1' });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.id).toBe(first.body.id);
    const other = await e.callAs(account, 'POST', '/v1/trades', { ...body, quantity: '2' }, { 'Idempotency-Key': 'trade-1' });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
  });
});

describe('valuation', () => {
  it('values positions at the stored price with unrealized P&L and allocations that add up to 100', async () => {
    const account = await e.newAccount();
    await e.setPrice(STOCK, '130');
    await e.setPrice('PFMSFT', '50');
    await trade(account, { side: 'BUY', quantity: '10', price: '100', executedAt: minute(1) });
    await trade(account, { symbol: 'PFMSFT', side: 'BUY', quantity: '14', price: '50', executedAt: minute(2) });
    const portfolio = await settled(account, 2);
    const positions = (await e.callAs(account, 'GET', '/v1/positions')).body;
    expect(positions.find((p: { symbol: string }) => p.symbol === STOCK)).toMatchObject({ marketPrice: '130', marketValue: '1300', unrealizedPnl: '300', allocationPct: '65' });
    expect(positions.find((p: { symbol: string }) => p.symbol === 'PFMSFT')).toMatchObject({ marketValue: '700', unrealizedPnl: '0', allocationPct: '35' });
    expect(portfolio).toMatchObject({ totalValue: '2000', totalCost: '1700', unrealizedPnl: '300', roiPct: '17.6471' });
  });

  it('converts USDT to USD at the USDTUSD price of the feed, and flags the rate as assumed without one', async () => {
    const account = await e.newAccount();
    await e.setPrice(COIN, '100');
    await e.sql`DELETE FROM prices WHERE symbol = 'USDTUSD'`;
    await trade(account, { symbol: COIN, side: 'BUY', quantity: '2', price: '100', executedAt: minute(1) });
    const assumed = await settled(account, 1);
    expect(assumed).toMatchObject({ totalValue: '200', usdtUsdRate: '1', usdtRateAssumed: true });
    await e.setPrice('USDTUSD', '0.998');
    try {
      const { body } = await e.callAs(account, 'POST', '/v1/portfolio/recalculate');
      expect(body).toMatchObject({ totalValue: '199.6', usdtUsdRate: '0.998', usdtRateAssumed: false });
    } finally {
      await e.sql`DELETE FROM prices WHERE symbol = 'USDTUSD'`;
    }
  });

  it('revalues a portfolio when notifyPortfoliosOfPrices names a symbol it holds', async () => {
    const account = await e.newAccount();
    await e.setPrice('PFNVDA', '10');
    await trade(account, { symbol: 'PFNVDA', side: 'BUY', quantity: '3', price: '10', executedAt: minute(1) });
    await settled(account, 1);
    await e.setPrice('PFNVDA', '12');
    const notify = createPortfolioNotifyActivities({ sql: e.sql, portfolios: createWorkflowClients(e.temporal, e.config).portfolios });
    expect(await notify.notifyPortfoliosOfPrices({ symbols: ['PFNVDA', 'NOT-HELD'] })).toEqual({ notified: 1 });
    const moved = await waitFor(
      () => position(account, 'PFNVDA'),
      (p) => p?.marketPrice === '12',
      { timeoutMs: 10_000, what: 'PFNVDA revalued at 12' },
    );
    expect(moved.unrealizedPnl).toBe('6');
  });
});

describe('fills out of order', () => {
  it('recomputes from every fill when one arrives older than what its position holds, as if it had come in time', async () => {
    const account = await e.newAccount();
    await trade(account, { side: 'BUY', quantity: '10', price: '100', executedAt: minute(1) });
    await trade(account, { side: 'SELL', quantity: '5', price: '130', executedAt: minute(3) });
    expect((await settled(account, 2)).realizedPnl).toBe('150');
    await trade(account, { side: 'BUY', quantity: '10', price: '120', executedAt: minute(2) });
    const portfolio = await settled(account, 3);
    expect(portfolio.recalculation).toMatchObject({ mode: 'full', fullReason: 'late-fill' });
    expect(await position(account)).toMatchObject({ quantity: '15', avgCost: '110', realizedPnl: '100' });
  });
});

describe('GET /v1/portfolio', () => {
  it('starts the workflow of an account that never traded and reports an empty portfolio', async () => {
    const account = await e.newAccount();
    const res = await e.callAs(account, 'GET', '/v1/portfolio');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ baseCurrency: 'USD', totalValue: '0', realizedPnl: '0', trades: '0', workflowId: `portfolio-${account}` });
    expect((await e.callAs(account, 'GET', '/v1/positions')).body).toEqual([]);
  });

  it('names its workflow, which runs in Temporal on the portfolio task queue, and links to it in the Web UI', async () => {
    const account = await e.newAccount();
    await trade(account, { side: 'BUY', quantity: '1', price: '100', executedAt: minute(1) });
    const portfolio = await settled(account, 1);
    expect(portfolio.workflowId).toBe(`portfolio-${account}`);
    expect(portfolio.links.temporalUi).toBe(`${e.config.temporalUiUrl}/namespaces/default/workflows/portfolio-${account}`);
    const described = await e.temporal.workflow.getHandle(portfolio.workflowId).describe();
    expect(described.type).toBe('portfolio');
    expect(described.status.name).toBe('RUNNING');
    expect(described.taskQueue).toBe(e.config.taskQueues.portfolio);
  });

  it('refuses an unknown accounting method with 422', async () => {
    const account = await e.newAccount();
    const res = await e.callAs(account, 'PUT', '/v1/portfolio/settings', { method: 'lifo' });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(/^method:/);
  });

  it('keeps a point per recalculation in /v1/portfolio/history, oldest first, filtered by from and to', async () => {
    const account = await e.newAccount();
    const start = new Date();
    await trade(account, { side: 'BUY', quantity: '1', price: '100', executedAt: minute(1) });
    await settled(account, 1);
    await trade(account, { side: 'BUY', quantity: '1', price: '200', executedAt: minute(2) });
    await settled(account, 2);
    const all = (await e.callAs(account, 'GET', `/v1/portfolio/history?from=${start.toISOString()}`)).body;
    expect(all.data.length).toBeGreaterThanOrEqual(2);
    const times = all.data.map((p: { at: string }) => p.at);
    expect([...times].sort()).toEqual(times);
    expect(all.data.at(-1)).toMatchObject({ totalCost: '300', trades: '2' });
    const none = (await e.callAs(account, 'GET', `/v1/portfolio/history?to=${start.toISOString()}`)).body;
    expect(none.data).toEqual([]);
    const bad = await e.callAs(account, 'GET', `/v1/portfolio/history?from=${new Date().toISOString()}&to=${start.toISOString()}`);
    expect(bad.status).toBe(422);
  });
});

describe('GET /v1/trades', () => {
  it('pages through every trade of the account once, newest execution first, and shows no other account', async () => {
    const account = await e.newAccount();
    for (let i = 1; i <= 5; i++) await trade(account, { side: 'BUY', quantity: String(i), price: '10', executedAt: minute(i) });
    const other = await e.newAccount();
    await trade(other, { side: 'BUY', quantity: '9', price: '10', executedAt: minute(9) });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: { quantity: string; venue: string }[]; nextCursor: string | null } } = await e.callAs(
        account,
        'GET',
        `/v1/trades?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((t) => t.quantity));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['5', '4', '3', '2', '1']);
  });
});
