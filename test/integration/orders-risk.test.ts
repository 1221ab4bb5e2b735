/**
 * The daily notional limit of the risk check, on the paper venue: reached one order after
 * another, held under orders checked at the same moment, given back by a rejected order, and
 * reserved once per order however often its check runs.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reserveDailyNotional } from '../../store/risk.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';
import { isTerminal } from '../../workflows/definitions.js';

// A symbol of this file only; at 50000 USDT, 0.004 is a notional of 200.
const BTC = 'RBTCUSDT';

let e: TestEngine;
beforeAll(async () => {
  e = await startEngine({ RISK_MAX_DAILY_NOTIONAL: '1000', PAPER_STARTING_CASH: '600' });
  await e.setPrice(BTC, '50000');
});
afterAll(() => e.stop());

async function buy(account: string, quantity: string): Promise<string> {
  const res = await e.callAs(account, 'POST', '/v1/orders', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity, venue: 'paper' });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

async function settled(account: string, id: string): Promise<{ status: string; rejectCode: string | null; rejectReason: string | null }> {
  return waitFor(
    async () => (await e.callAs(account, 'GET', `/v1/orders/${id}`)).body,
    (o) => o !== undefined && isTerminal(o.status),
    { timeoutMs: 30_000, what: `order ${id} to end` },
  );
}

/** An account whose paper cash (100000 USDT) is far above the daily limit. */
async function richAccount(): Promise<string> {
  const account = await e.newAccount();
  await e.sql`INSERT INTO paper_balances (account_id, asset, free) VALUES (${account}, 'USDT', 100000)`;
  return account;
}

async function reservedToday(account: string): Promise<string> {
  const [row] = await e.sql<{ notional: string }[]>`SELECT notional::text FROM risk_daily_notional
    WHERE account_id = ${account} AND day = (now() AT TIME ZONE 'UTC')::date`;
  return row?.notional ?? '0';
}

describe('the daily notional limit', () => {
  it('refuses the order that would pass it, naming the total it would reach', async () => {
    const account = await richAccount();
    expect((await settled(account, await buy(account, '0.01'))).status).toBe('FILLED');
    expect((await settled(account, await buy(account, '0.008'))).status).toBe('FILLED');
    const third = await settled(account, await buy(account, '0.004'));
    expect(third.status).toBe('REJECTED');
    expect(third.rejectCode).toBe('RISK_MAX_DAILY_NOTIONAL');
    expect(third.rejectReason).toBe("Today's notional would reach 1100, over the daily limit 1000");
    expect(await reservedToday(account)).toBe('900');
  });

  it('lets exactly as many orders through as fit when they are checked at the same moment', async () => {
    const account = await richAccount();
    // Six orders of 200 against a limit of 1000: five fit, whatever order their checks run in.
    const ids = await Promise.all(Array.from({ length: 6 }, () => buy(account, '0.004')));
    const ends = await Promise.all(ids.map((id) => settled(account, id)));
    const refused = ends.filter((o) => o.rejectCode === 'RISK_MAX_DAILY_NOTIONAL');
    expect(ends.filter((o) => o.status === 'FILLED')).toHaveLength(5);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.rejectReason).toBe("Today's notional would reach 1200, over the daily limit 1000");
    expect(await reservedToday(account)).toBe('1000');
  });

  it('gives a rejected order’s share back, so the next order still fits', async () => {
    const account = await e.newAccount();
    // 800 fits the daily limit but not the 600 USDT of cash: rejected by the balance check.
    const big = await settled(account, await buy(account, '0.016'));
    expect(big.status).toBe('REJECTED');
    expect(big.rejectCode).toBe('-2010');
    expect(await reservedToday(account)).toBe('0');
    // Had the 800 stayed reserved, 800 + 500 would pass 1000.
    expect((await settled(account, await buy(account, '0.01'))).status).toBe('FILLED');
    expect(await reservedToday(account)).toBe('500');
  });

  it('answers a repeated reservation of an order without adding it again, and refuses an unrecorded order', async () => {
    const account = await richAccount();
    const id = await buy(account, '0.004');
    expect((await settled(account, id)).status).toBe('FILLED');
    expect(await reservedToday(account)).toBe('200');
    // A retried risk check of the same order: already held, so nothing is added.
    expect(await reserveDailyNotional(e.sql, { orderId: id, accountId: account, notional: '200', limit: '1000' })).toEqual({ ok: true });
    expect(await reservedToday(account)).toBe('200');
    await expect(reserveDailyNotional(e.sql, { orderId: randomUUID(), accountId: account, notional: '200', limit: '1000' })).rejects.toThrow(/is not recorded/);
    expect(await reservedToday(account)).toBe('200');
  });
});
