/**
 * Several portfolios per account, cash and income entries, corrections by reversing entries, the
 * trade-logger flow and performance, through the API over a real Temporal, Postgres and workers.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';

// Symbols of this file only, so prices set here move nothing of other files.
const STOCK = 'PTXYZ';
const OTHER = 'PTQRS';

let e: TestEngine;
beforeAll(async () => {
  e = await startEngine({ PORTFOLIO_DEBOUNCE: '50ms' });
});
afterAll(() => e.stop());

const minute = (n: number) => new Date(Date.UTC(2024, 4, 1, 14, 0) + n * 60_000).toISOString();

async function entry(account: string, body: Record<string, unknown>, status = 201) {
  const res = await e.callAs(account, 'POST', '/v1/trades', body);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return res.body;
}

async function newPortfolio(account: string, name = `p-${randomUUID().slice(0, 8)}`) {
  const res = await e.callAs(account, 'POST', '/v1/portfolios', { name });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; name: string; workflowId: string };
}

/** The portfolio once its workflow has folded in `count` entries (VOIDs and what they reverse do not count). */
async function settled(account: string, portfolioId: string, count: number) {
  return waitFor(
    async () => (await e.callAs(account, 'GET', `/v1/portfolios/${portfolioId}`)).body,
    (p) => p?.trades === String(count) && p?.fillsPending === false,
    { timeoutMs: 20_000, what: `portfolio ${portfolioId} to hold ${count} entries` },
  );
}

describe('several portfolios', () => {
  it('lists the default portfolio (id = account id) first, creates, renames and deletes an empty one, and refuses duplicates', async () => {
    const account = await e.newAccount();
    const first = await e.callAs(account, 'GET', '/v1/portfolios');
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(1);
    expect(first.body.data[0]).toMatchObject({ id: account, isDefault: true, name: 'Main', workflowId: `portfolio-${account}` });

    const p = await newPortfolio(account, 'Long term');
    expect(p.workflowId).toBe(`portfolio-${p.id}`);
    expect((await e.callAs(account, 'POST', '/v1/portfolios', { name: 'long TERM' })).status).toBe(409);
    expect((await e.callAs(account, 'POST', '/v1/portfolios', { name: '' })).status).toBe(422);

    const renamed = await e.callAs(account, 'PATCH', `/v1/portfolios/${p.id}`, { name: 'Retirement' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Retirement');
    const list = await e.callAs(account, 'GET', '/v1/portfolios');
    expect(list.body.data.map((b: { name: string }) => b.name)).toEqual(['Main', 'Retirement']);

    expect((await e.callAs(account, 'DELETE', `/v1/portfolios/${account}`)).status).toBe(409);
    expect((await e.callAs(account, 'DELETE', `/v1/portfolios/${p.id}`)).status).toBe(204);
    expect((await e.callAs(account, 'GET', `/v1/portfolios/${p.id}`)).status).toBe(404);
  });

  it('keeps each portfolio apart: its own entries, positions and workflow; a portfolio with history is not deleted', async () => {
    const account = await e.newAccount();
    const p = await newPortfolio(account);
    await entry(account, { symbol: STOCK, side: 'BUY', quantity: '10', price: '100', executedAt: minute(1) });
    const t = await entry(account, { portfolioId: p.id, kind: 'BUY', symbol: OTHER, quantity: '3', price: '50', executedAt: minute(2) });
    expect(t.workflowId).toBe(`portfolio-${p.id}`);

    const main = await settled(account, account, 1);
    const other = await settled(account, p.id, 1);
    expect(main.totalValue).toBe('1000');
    expect(other.totalValue).toBe('150');
    const positions = await e.callAs(account, 'GET', `/v1/portfolios/${p.id}/positions`);
    expect(positions.body.map((x: { symbol: string }) => x.symbol)).toEqual([OTHER]);
    expect((await e.callAs(account, 'GET', '/v1/positions')).body.map((x: { symbol: string }) => x.symbol)).toEqual([STOCK]);
    const listed = await e.callAs(account, 'GET', `/v1/trades?portfolioId=${p.id}`);
    expect(listed.body.data.map((x: { symbol: string }) => x.symbol)).toEqual([OTHER]);

    // The workflow of the new portfolio exists under its own id.
    const described = await e.temporal.workflow.getHandle(`portfolio-${p.id}`).describe();
    expect(described.type).toBe('portfolio');
    const del = await e.callAs(account, 'DELETE', `/v1/portfolios/${p.id}`);
    expect(del.status).toBe(409);
    expect(del.body.error.code).toBe('portfolio_has_history');
  });

  it('books a paper order into the portfolio it names', async () => {
    const account = await e.newAccount();
    const p = await newPortfolio(account);
    await e.setPrice('BTCUSDT', '60000');
    const res = await e.callAs(account, 'POST', '/v1/orders', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001', venue: 'paper', portfolioId: p.id });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const booked = await waitFor(
      async () => (await e.callAs(account, 'GET', `/v1/portfolios/${p.id}/positions`)).body,
      (rows) => Array.isArray(rows) && rows.some((x: { symbol: string }) => x.symbol === 'BTCUSDT'),
      { timeoutMs: 30_000, what: 'the paper fill in the named portfolio' },
    );
    expect(booked[0]).toMatchObject({ symbol: 'BTCUSDT', venue: 'paper', quantity: '0.001' });
    const main = await e.callAs(account, 'GET', '/v1/positions');
    expect(main.body.some((x: { symbol: string }) => x.symbol === 'BTCUSDT')).toBe(false);
  });

  it("answers 404 for another account's portfolio on every id route, and never books into it", async () => {
    const owner = await e.newAccount();
    const intruder = await e.newAccount();
    const p = await newPortfolio(owner);
    const t = await entry(owner, { portfolioId: p.id, kind: 'DEPOSIT', amount: '100', currency: 'USD' });
    const calls: Array<[string, string, unknown?]> = [
      ['GET', `/v1/portfolios/${p.id}`],
      ['PATCH', `/v1/portfolios/${p.id}`, { name: 'mine now' }],
      ['DELETE', `/v1/portfolios/${p.id}`],
      ['GET', `/v1/portfolios/${p.id}/positions`],
      ['GET', `/v1/portfolios/${p.id}/history`],
      ['GET', `/v1/portfolios/${p.id}/performance`],
      ['POST', `/v1/portfolios/${p.id}/recalculate`],
      ['PUT', `/v1/portfolios/${p.id}/settings`, { method: 'fifo' }],
      ['POST', `/v1/trades/${t.id}/void`],
      ['GET', `/v1/trades?portfolioId=${p.id}`],
      ['POST', '/v1/trades', { portfolioId: p.id, kind: 'DEPOSIT', amount: '1', currency: 'USD' }],
      ['POST', '/v1/orders', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001', venue: 'paper', portfolioId: p.id }],
      // The owner's default portfolio, by its id.
      ['GET', `/v1/portfolios/${owner}`],
    ];
    for (const [method, path, body] of calls) {
      const res = await e.callAs(intruder, method, path, body);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(404);
    }
    const still = await e.callAs(owner, 'GET', `/v1/trades?portfolioId=${p.id}`);
    expect(still.body.data).toHaveLength(1);
    expect((await e.callAs(owner, 'GET', `/v1/portfolios/${p.id}`)).body.portfolio.name).toBe(p.name);
  });
});

describe('cash and income', () => {
  it('tracks deposits, purchases, a dividend, a fee and a withdrawal in cash, and counts the dividend as return, not as lower cost', async () => {
    const account = await e.newAccount();
    const p = await newPortfolio(account);
    const id = p.id;
    await entry(account, { portfolioId: id, kind: 'DEPOSIT', amount: '1000', currency: 'USD', executedAt: minute(1) });
    await entry(account, { portfolioId: id, kind: 'BUY', symbol: STOCK, quantity: '10', price: '100', executedAt: minute(2) });
    await entry(account, { portfolioId: id, kind: 'DIVIDEND', symbol: STOCK, amount: '25', currency: 'USD', executedAt: minute(3) });
    await entry(account, { portfolioId: id, kind: 'FEE', amount: '5', currency: 'USD', note: 'custody', executedAt: minute(4) });
    await entry(account, { portfolioId: id, kind: 'WITHDRAWAL', amount: '10', currency: 'USD', executedAt: minute(5) });
    const s = await settled(account, id, 5);
    // Cash: 1000 − 1000 + 25 − 5 (the fee's 5 is short by 0: 25 was there) − 10 = 10.
    expect(s.cash).toEqual([{ currency: 'USD', balance: '10', usdRate: '1', deposits: '1000', withdrawals: '10', implicitFunding: '0', dividends: '25', fees: '5' }]);
    expect(s).toMatchObject({ totalValue: '1000', totalCost: '1000', cashValue: '10', netWorth: '1010', dividends: '25', feesPaid: '5', roiPct: '2' });
    const [pos] = (await e.callAs(account, 'GET', `/v1/portfolios/${id}/positions`)).body;
    expect(pos).toMatchObject({ symbol: STOCK, avgCost: '100', costBasis: '1000', dividends: '25' });
  });

  it('funds a purchase beyond cash from outside (implicit funding), so trades alone still give flows', async () => {
    const account = await e.newAccount();
    await entry(account, { kind: 'DEPOSIT', amount: '300', currency: 'USD', executedAt: minute(1) });
    await entry(account, { side: 'BUY', symbol: STOCK, quantity: '5', price: '100', fee: '1', feeAsset: 'USD', executedAt: minute(2) });
    const s = await settled(account, account, 2);
    expect(s).toMatchObject({ deposits: '300', implicitFunding: '201', cashValue: '0', netFlows: '501' });
  });

  it('refuses with 422 a dividend on a symbol never held, a withdrawal beyond cash, a split ratio of 0, and changes nothing', async () => {
    const account = await e.newAccount();
    await entry(account, { kind: 'DEPOSIT', amount: '100', currency: 'USD', executedAt: minute(1) });
    await entry(account, { kind: 'BUY', symbol: STOCK, quantity: '1', price: '40', executedAt: minute(2) });
    const dividend = await entry(account, { kind: 'DIVIDEND', symbol: OTHER, amount: '1', currency: 'USD', executedAt: minute(3) }, 422);
    expect(dividend.error.code).toBe('invalid_entry');
    expect(dividend.error.message).toContain(OTHER);
    // A dividend before the first purchase is on nothing held then.
    await entry(account, { kind: 'DIVIDEND', symbol: STOCK, amount: '1', currency: 'USD', executedAt: minute(0) }, 422);
    const withdrawal = await entry(account, { kind: 'WITHDRAWAL', amount: '60.01', currency: 'USD', executedAt: minute(4) }, 422);
    expect(withdrawal.error).toMatchObject({ code: 'insufficient_cash', details: { currency: 'USD', held: '60', requested: '60.01' } });
    // Backdated before the purchase, 100 was there then; but the purchase after it would leave cash short… it is funded from outside, so it stands.
    await entry(account, { kind: 'WITHDRAWAL', amount: '100.01', currency: 'USD', executedAt: minute(1.5) }, 422);
    const split = await entry(account, { kind: 'SPLIT', symbol: STOCK, ratio: '0', executedAt: minute(5) }, 422);
    expect(split.error.message).toContain('ratio');
    await entry(account, { kind: 'SPLIT', symbol: OTHER, ratio: '2', executedAt: minute(5) }, 422);
    // Shape errors name the field.
    const shape = await e.callAs(account, 'POST', '/v1/trades', { kind: 'DEPOSIT', amount: '5' });
    expect(shape.status).toBe(422);
    expect(JSON.stringify(shape.body)).toContain('currency');
    const listed = await e.callAs(account, 'GET', '/v1/trades');
    expect(listed.body.data).toHaveLength(2);
  });

  it('splits 4-for-1: four times the units at a quarter of the average cost, the same cost basis', async () => {
    const account = await e.newAccount();
    await entry(account, { kind: 'BUY', symbol: STOCK, quantity: '10', price: '200', executedAt: minute(1) });
    await entry(account, { kind: 'SPLIT', symbol: STOCK, ratio: '4', executedAt: minute(2) });
    await entry(account, { kind: 'SELL', symbol: STOCK, quantity: '40', price: '55', executedAt: minute(3) });
    const s = await settled(account, account, 3);
    expect(s).toMatchObject({ realizedPnl: '200', closedTrades: '1', winRate: '1' });
  });
});

describe('review cases', () => {
  it('returns net flows to 0 when the only deposit is voided, so a correction is not a loss', async () => {
    const account = await e.newAccount();
    const p = await newPortfolio(account);
    const deposit = await entry(account, { portfolioId: p.id, kind: 'DEPOSIT', amount: '1000', currency: 'USD' });
    expect((await settled(account, p.id, 1)).netFlows).toBe('1000');
    expect((await e.callAs(account, 'POST', `/v1/trades/${deposit.id}/void`)).status).toBe(201);
    const after = await waitFor(
      async () => (await e.callAs(account, 'GET', `/v1/portfolios/${p.id}`)).body,
      (x) => x?.recalculation?.fullReason === 'void' && x?.fillsPending === false,
      { timeoutMs: 20_000, what: 'the recompute after the void' },
    );
    expect(after).toMatchObject({ netFlows: '0', netWorth: '0' });
  });

  it('refuses cash in a currency with no USD rate, which could not be valued', async () => {
    const account = await e.newAccount();
    const res = await entry(account, { kind: 'DEPOSIT', amount: '5', currency: 'ZZQ' }, 422);
    expect(res.error.code).toBe('unknown_currency');
  });

  it('does not let an older shortfall block a later entry: only what the new entry breaks is refused', async () => {
    const account = await e.newAccount();
    await entry(account, { kind: 'DEPOSIT', amount: '100', currency: 'USD', executedAt: minute(1) });
    await entry(account, { kind: 'WITHDRAWAL', amount: '100', currency: 'USD', executedAt: minute(5) });
    // Back-dated: it leaves the withdrawal 40 short in hindsight (the fold carries cash at −40).
    await entry(account, { kind: 'BUY', symbol: STOCK, quantity: '1', price: '40', executedAt: minute(2) });
    await entry(account, { kind: 'DEPOSIT', amount: '10', currency: 'USD', executedAt: minute(6) });
    // A new overdraft is still refused.
    await entry(account, { kind: 'WITHDRAWAL', amount: '10.01', currency: 'USD', executedAt: minute(7) }, 422);
  });
});

describe('corrections', () => {
  it('voids a trade by a reversing entry: the position goes, both entries stay listed, a second void answers the first', async () => {
    const account = await e.newAccount();
    const wrong = await entry(account, { kind: 'BUY', symbol: STOCK, quantity: '7', price: '10', executedAt: minute(1) });
    await entry(account, { kind: 'BUY', symbol: OTHER, quantity: '1', price: '10', executedAt: minute(2) });
    await settled(account, account, 2);
    const voided = await e.callAs(account, 'POST', `/v1/trades/${wrong.id}/void`);
    expect(voided.status).toBe(201);
    expect(voided.body).toMatchObject({ kind: 'VOID', voids: wrong.id });
    const again = await e.callAs(account, 'POST', `/v1/trades/${wrong.id}/void`);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(voided.body.id);
    expect((await e.callAs(account, 'POST', `/v1/trades/${voided.body.id}/void`)).status).toBe(422);
    expect((await e.callAs(account, 'POST', `/v1/trades/${randomUUID()}/void`)).status).toBe(404);

    const s = await waitFor(
      async () => (await e.callAs(account, 'GET', '/v1/portfolio')).body,
      (p) => p?.fillsPending === false && p?.recalculation?.fullReason === 'void',
      { timeoutMs: 20_000, what: 'the recompute after the void' },
    );
    expect(s.totalValue).toBe('10');
    const positions = (await e.callAs(account, 'GET', '/v1/positions')).body;
    expect(positions.find((x: { symbol: string }) => x.symbol === STOCK)).toBeUndefined();
    const listed = (await e.callAs(account, 'GET', '/v1/trades')).body.data;
    expect(listed).toHaveLength(3);
    expect(listed.find((x: { tradeId: string }) => x.tradeId === wrong.id)).toMatchObject({ voidedBy: voided.body.id });
  });

  it('refuses to void a purchase that a later sale needs, or a deposit that a later withdrawal needs', async () => {
    const account = await e.newAccount();
    const buy = await entry(account, { kind: 'BUY', symbol: STOCK, quantity: '2', price: '10', executedAt: minute(1) });
    await entry(account, { kind: 'SELL', symbol: STOCK, quantity: '2', price: '11', executedAt: minute(2) });
    await e.setPrice('EURUSD', '1.08');
    const deposit = await entry(account, { kind: 'DEPOSIT', amount: '50', currency: 'EUR', executedAt: minute(3) });
    await entry(account, { kind: 'WITHDRAWAL', amount: '40', currency: 'EUR', executedAt: minute(4) });
    const a = await e.callAs(account, 'POST', `/v1/trades/${buy.id}/void`);
    expect(a.status).toBe(422);
    expect(a.body.error.code).toBe('void_refused');
    const b = await e.callAs(account, 'POST', `/v1/trades/${deposit.id}/void`);
    expect(b.status).toBe(422);
    expect(b.body.error.message).toContain('EUR');
  });
});

describe("the trade logger's flow", () => {
  it('opens and closes positions at exit prices and shows P&L and the win rate', async () => {
    const account = await e.newAccount();
    // Win: in at 100, out at 120 (+200). Loss: in at 50, out at 45 (−50).
    await entry(account, { kind: 'BUY', symbol: STOCK, quantity: '10', price: '100', executedAt: minute(1) });
    await entry(account, { kind: 'SELL', symbol: STOCK, quantity: '10', price: '120', executedAt: minute(2) });
    await entry(account, { kind: 'BUY', symbol: OTHER, quantity: '10', price: '50', executedAt: minute(3) });
    await entry(account, { kind: 'SELL', symbol: OTHER, quantity: '10', price: '45', executedAt: minute(4) });
    const s = await settled(account, account, 4);
    expect(s).toMatchObject({ realizedPnl: '150', closedTrades: '2', winRate: '0.5', totalValue: '0' });
  });
});

describe('performance', () => {
  it('gives TWR and MWR through the workflow: a deposit is a flow, the rise after it is return', async () => {
    const account = await e.newAccount();
    const p = await newPortfolio(account);
    await e.setPrice(STOCK, '100');
    await entry(account, { portfolioId: p.id, kind: 'DEPOSIT', amount: '1000', currency: 'USD' });
    await entry(account, { portfolioId: p.id, kind: 'BUY', symbol: STOCK, quantity: '10', price: '100' });
    await settled(account, p.id, 2);
    await e.setPrice(STOCK, '110');
    const re = await e.callAs(account, 'POST', `/v1/portfolios/${p.id}/recalculate`);
    expect(re.status).toBe(200);
    expect(re.body.netWorth).toBe('1100');

    // A point 30 days back, as the series would hold had the deposit been valued then.
    const monthAgo = new Date(Date.now() - 30 * 86_400_000);
    await e.sql`INSERT INTO portfolio_snapshots (id, account_id, portfolio_id, at, mode, applied, total_value, total_cost, realized_pnl, unrealized_pnl,
        fees_paid, roi_pct, trades, net_worth, net_flows)
      VALUES (${randomUUID()}, ${account}, ${p.id}, ${monthAgo}, 'incremental', 1, 0, 0, 0, 0, 0, 0, 1, 1000, 1000)`;

    const perf = await e.callAs(account, 'GET', `/v1/portfolios/${p.id}/performance?range=MAX&series=true`);
    expect(perf.status, JSON.stringify(perf.body)).toBe(200);
    expect(perf.body).toMatchObject({ portfolioId: p.id, startValue: '1000', endValue: '1100', netFlows: '0', gain: '100', twr: '0.1', mwrPeriod: '0.1', workflowId: `portfolio-${p.id}` });
    expect(perf.body.series.length).toBeGreaterThanOrEqual(3);
    // +10 % in 30 days, annualised.
    expect(Number(perf.body.mwr)).toBeCloseTo(1.1 ** (365 / 30) - 1, 1);
    for (const range of ['1D', 'WTD', 'MTD', 'YTD', '1Y']) {
      const r = await e.callAs(account, 'GET', `/v1/portfolios/${p.id}/performance?range=${range}`);
      expect(r.status, `${range}: ${JSON.stringify(r.body)}`).toBe(200);
      expect(r.body.endValue).toBe('1100');
      expect(r.body.series).toEqual([]);
    }
    const year = await e.callAs(account, 'GET', `/v1/portfolios/${p.id}/performance?range=1Y`);
    expect(year.body.twr).toBe('0.1');
    const bad = await e.callAs(account, 'GET', `/v1/portfolios/${p.id}/performance?range=CUSTOM`);
    expect(bad.status).toBe(422);
    const future = await e.callAs(account, 'GET', `/v1/portfolios/${p.id}/performance?range=CUSTOM&from=2024-01-01T00:00:00Z&to=2999-01-01T00:00:00Z`);
    expect(future.status).toBe(422);
  });
});
