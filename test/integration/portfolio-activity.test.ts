/**
 * The recalculation activity against a real Postgres, without Temporal: random histories of order
 * fills and manual trades recorded in random batches (some sells arriving late), folded in
 * incrementally after each batch, must end exactly where a full recompute ends.
 */
import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createPortfolioActivities } from '../../activities/portfolio/portfolio-activities.js';
import { claimPortfolioWake, clearPortfolioWake, takeOverStaleWakes } from '../../store/portfolio.js';
import type { AccountingMethod, PortfolioResult } from '../../workflows/definitions.js';
import { testSql } from '../helpers/env.js';

const sql = testSql();
afterAll(() => sql.end({ timeout: 2 }));
const activities = createPortfolioActivities({ sql });

const SYMBOLS = ['PAXYZ', 'PAXYZUSDT'] as const;

interface Entry {
  source: 'manual' | 'paper';
  symbol: string;
  side: 'BUY' | 'SELL';
  quantity: string;
  price: string;
  fee: string;
  feeAsset: string | null;
  executedAt: Date;
}

const intent = fc.record({
  symbol: fc.nat(SYMBOLS.length - 1),
  source: fc.constantFrom('manual' as const, 'paper' as const),
  sell: fc.boolean(),
  /** Share of the holding a SELL takes, in ‰. */
  share: fc.integer({ min: 1, max: 1000 }),
  quantity: fc.integer({ min: 1, max: 100_000 }),
  price: fc.integer({ min: 1, max: 1_000_000 }),
  fee: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
  /** 0 makes equal execution times, which must keep their record order. */
  gapMs: fc.constantFrom(0, 1, 1000),
  late: fc.boolean(),
  cut: fc.boolean(),
});
type Intent = typeof intent extends fc.Arbitrary<infer T> ? T : never;

/** A valid history in execution order: sells never give up more than the position holds. */
function history(intents: Intent[]): Entry[] {
  const held = new Map<string, Decimal>();
  let at = Date.UTC(2024, 0, 1);
  return intents.map((x) => {
    const symbol = SYMBOLS[x.symbol]!;
    const key = `${x.source}:${symbol}`;
    const have = held.get(key) ?? new Decimal(0);
    let side: Entry['side'] = 'BUY';
    let quantity = new Decimal(x.quantity).div(1000);
    if (x.sell && have.gt(0)) {
      const sold = have.mul(x.share).div(1000).toDecimalPlaces(3, Decimal.ROUND_DOWN);
      if (sold.gt(0)) [side, quantity] = ['SELL', sold];
    }
    held.set(key, side === 'BUY' ? have.plus(quantity) : have.minus(quantity));
    at += x.gapMs;
    const quote = symbol.endsWith('USDT') ? 'USDT' : 'USD';
    return {
      source: x.source,
      symbol,
      side,
      quantity: quantity.toString(),
      price: new Decimal(x.price).div(100).toString(),
      fee: x.fee === undefined ? '0' : new Decimal(x.fee).div(100).toString(),
      feeAsset: x.fee === undefined ? null : quote,
      executedAt: new Date(at),
    };
  });
}

async function newAccount(): Promise<{ accountId: string; orderId: string }> {
  const accountId = randomUUID();
  const orderId = randomUUID();
  await sql`INSERT INTO accounts (id) VALUES (${accountId})`;
  await sql`INSERT INTO orders (id, account_id, venue, symbol, side, type, quantity, status, client_order_id, workflow_id)
    VALUES (${orderId}, ${accountId}, 'paper', 'PAXYZ', 'BUY', 'MARKET', 1, 'FILLED', ${`pa-${orderId}`}, ${`order-${orderId}`})`;
  return { accountId, orderId };
}

async function record(account: { accountId: string; orderId: string }, e: Entry): Promise<void> {
  if (e.source === 'manual') {
    await sql`INSERT INTO trades (id, account_id, symbol, side, quantity, price, fee, fee_asset, executed_at)
      VALUES (${randomUUID()}, ${account.accountId}, ${e.symbol}, ${e.side}, ${e.quantity}, ${e.price}, ${e.fee}, ${e.feeAsset}, ${e.executedAt})`;
  } else {
    await sql`INSERT INTO fills (venue, trade_id, order_id, account_id, symbol, side, price, quantity, commission, commission_asset, executed_at)
      VALUES ('paper', ${randomUUID()}, ${account.orderId}, ${account.accountId}, ${e.symbol}, ${e.side}, ${e.price}, ${e.quantity}, ${e.fee}, ${e.feeAsset}, ${e.executedAt})`;
  }
}

const recalc = (accountId: string, mode: 'incremental' | 'full', method?: AccountingMethod) =>
  activities.recalculatePortfolio({ accountId, mode, method, snapshotId: randomUUID() });
const numbers = (r: PortfolioResult) => ({ positions: r.positions, totals: r.totals, cursor: r.cursor, method: r.method });
const stored = async (accountId: string) => (await sql<{ state: unknown }[]>`SELECT state FROM portfolios WHERE account_id = ${accountId}`)[0]?.state;

describe.each(['average', 'fifo'] as const)('recalculatePortfolio (%s)', (method) => {
  it('ends, after incremental recalculations of random batches with late sells, exactly where a full recompute ends', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(intent, { minLength: 1, maxLength: 25 }), async (intents) => {
        const account = await newAccount();
        await recalc(account.accountId, 'full', method);
        const entries = history(intents);
        // Late sells are recorded after everything else: every state in between holds at least as much.
        const late = entries.filter((en, i) => en.side === 'SELL' && intents[i]!.late);
        const onTime = entries.filter((en) => !late.includes(en));
        const cuts = new Set(intents.flatMap((x, i) => (x.cut ? [i] : [])));
        for (const [i, en] of [...onTime, ...late.reverse()].entries()) {
          await record(account, en);
          if (cuts.has(i)) await recalc(account.accountId, 'incremental');
        }
        const incremental = await recalc(account.accountId, 'incremental');
        const state = await stored(account.accountId);
        const full = await recalc(account.accountId, 'full');
        expect(full.mode).toBe('full');
        expect(numbers(incremental)).toEqual(numbers(full));
        expect(await stored(account.accountId)).toEqual(state);
      }),
      { numRuns: 30 },
    );
  }, 60_000);
});

describe('recalculatePortfolio', () => {
  it('applies only the entries recorded after its cursor', async () => {
    const account = await newAccount();
    const base = Date.UTC(2024, 0, 1);
    for (let i = 0; i < 40; i++) {
      await record(account, { source: 'manual', symbol: 'PAXYZ', side: 'BUY', quantity: '1', price: '10', fee: '0', feeAsset: null, executedAt: new Date(base + i * 1000) });
    }
    const first = await recalc(account.accountId, 'incremental');
    expect(first).toMatchObject({ mode: 'incremental', applied: 40 });
    await record(account, { source: 'paper', symbol: 'PAXYZ', side: 'BUY', quantity: '5', price: '12', fee: '0', feeAsset: null, executedAt: new Date(base + 50_000) });
    await record(account, { source: 'manual', symbol: 'PAXYZ', side: 'SELL', quantity: '5', price: '12', fee: '0', feeAsset: null, executedAt: new Date(base + 60_000) });
    const next = await recalc(account.accountId, 'incremental');
    expect(next).toMatchObject({ mode: 'incremental', fullReason: null, applied: 2 });
    expect(BigInt(next.cursor)).toBeGreaterThan(BigInt(first.cursor));
    expect(next.totals).toMatchObject({ trades: '42', realizedPnl: '10' });
  });

  it('fails non-retryably, naming the position, when an order fill sells more than the ledger ever bought', async () => {
    const account = await newAccount();
    await record(account, { source: 'paper', symbol: 'PAXYZ', side: 'SELL', quantity: '1', price: '10', fee: '0', feeAsset: null, executedAt: new Date() });
    await expect(recalc(account.accountId, 'incremental')).rejects.toMatchObject({ type: 'InsufficientPositionError', nonRetryable: true, message: expect.stringMatching(/PAXYZ on paper/) });
  });
});

describe('the wake claim (who signals the portfolio after fills)', () => {
  const account = randomUUID();
  const claim = (token: string, staleAfterMs = 30_000) => claimPortfolioWake(sql, account, randomUUID(), token, staleAfterMs);

  it("goes to the first notification; others ride on its signal; its own retry keeps it; a recalculation's clear frees it", async () => {
    await sql`INSERT INTO accounts (id) VALUES (${account})`;
    // An order that names no portfolio books into the account's default one, whose id is the account's.
    expect(await claim('order-a')).toEqual({ portfolioId: account });
    expect(await claim('order-b')).toEqual({});
    expect(await claim('order-a')).toEqual({ portfolioId: account });
    await activities.recalculatePortfolio({ accountId: account, mode: 'incremental', snapshotId: randomUUID() });
    expect(await claim('order-b')).toEqual({ portfolioId: account });
    expect(await claim('order-a')).toEqual({});
  });

  it('is taken over once its holder has been stuck longer than the stale limit, which its own retries do not extend', async () => {
    await sql`UPDATE portfolio_wakes SET at = now() - interval '1 minute' WHERE portfolio_id = ${account}`;
    // The holder retrying keeps its claim, not a fresh time.
    expect(await claim('order-b')).toEqual({ portfolioId: account });
    expect(await claim('order-c')).toEqual({ portfolioId: account });
    expect(await claim('order-b')).toEqual({});
    await clearPortfolioWake(sql, account);
  });

  it("is taken over by the workers' sweeper when stale, which then holds it as a fresh claim", async () => {
    expect(await claim('order-d')).toEqual({ portfolioId: account });
    expect(await takeOverStaleWakes(sql, 60_000)).not.toContainEqual(expect.objectContaining({ portfolioId: account }));
    await sql`UPDATE portfolio_wakes SET at = now() - interval '1 minute' WHERE portfolio_id = ${account}`;
    expect(await takeOverStaleWakes(sql, 30_000)).toContainEqual({ portfolioId: account, accountId: account, sweeps: 1 });
    expect(await claim('order-e')).toEqual({});
    // Swept again and again without a recalculation: each sweep waits twice as long as the last.
    await sql`UPDATE portfolio_wakes SET at = now() - interval '50 seconds' WHERE portfolio_id = ${account}`;
    expect(await takeOverStaleWakes(sql, 30_000)).not.toContainEqual(expect.objectContaining({ portfolioId: account }));
    await sql`UPDATE portfolio_wakes SET at = now() - interval '70 seconds' WHERE portfolio_id = ${account}`;
    expect(await takeOverStaleWakes(sql, 30_000)).toContainEqual({ portfolioId: account, accountId: account, sweeps: 2 });
    // A notification taking the claim over starts the count again.
    await sql`UPDATE portfolio_wakes SET at = now() - interval '10 minutes' WHERE portfolio_id = ${account}`;
    expect(await claim('order-f')).toEqual({ portfolioId: account });
    expect(await sql`SELECT sweeps FROM portfolio_wakes WHERE portfolio_id = ${account}`).toEqual([{ sweeps: 0 }]);
    await clearPortfolioWake(sql, account);
  });
});
