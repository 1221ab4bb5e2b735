/**
 * The performance read against a real PostgreSQL, without Temporal: the series the store returns
 * is the last point of each UTC day plus every point of the last 24 hours plus the starting point,
 * whatever the session's time zone, and the activity computes its figures from exactly that.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import postgres from 'postgres';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createPerformanceActivities } from '../../activities/portfolio/performance-activities.js';
import { computePerformance } from '../../domain/portfolio/performance.js';
import { resolvePerformanceRange } from '../../domain/portfolio/performance-range.js';
import { performanceSeries } from '../../store/performance.js';

// UTC+14: a day boundary taken from the session's time zone would be 14 hours off.
const sql = postgres(inject('databaseUrl'), { max: 2, onnotice: () => {}, connection: { TimeZone: 'Pacific/Kiritimati' } });
afterAll(() => sql.end({ timeout: 2 }));

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 2, 1);

interface Row {
  id: string;
  atMs: number;
  netWorth: string | null;
  netFlows: string | null;
}

async function account(): Promise<string> {
  const id = randomUUID();
  await sql`INSERT INTO accounts (id) VALUES (${id})`;
  return id;
}

async function insert(accountId: string, portfolioId: string, rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`INSERT INTO portfolio_snapshots ${sql(
    rows.map((r) => ({
      id: r.id,
      account_id: accountId,
      portfolio_id: portfolioId,
      at: new Date(r.atMs),
      mode: 'incremental',
      applied: 1,
      total_value: 0,
      total_cost: 0,
      realized_pnl: 0,
      unrealized_pnl: 0,
      fees_paid: 0,
      roi_pct: 0,
      trades: 0,
      net_worth: r.netWorth,
      net_flows: r.netFlows,
    })),
  )}`;
}

/** -1234 → '-12.34', without floats. */
const fromCents = (n: number) => `${n < 0 ? '-' : ''}${Math.floor(Math.abs(n) / 100)}.${String(Math.abs(n) % 100).padStart(2, '0')}`;

/** What the store must return, computed the slow way. */
function expected(rows: Row[], start: number | null, end: number) {
  const valued = rows.filter((r) => r.netWorth !== null && r.atMs <= end).sort((a, b) => a.atMs - b.atMs || (a.id < b.id ? -1 : 1));
  const s = start ?? valued[0]?.atMs;
  if (s === undefined) return [];
  const intraday = Math.max(s, end - DAY);
  // The last point at or before the start; for a series that begins inside the window, the last
  // point of its first instant.
  let base = valued.filter((r) => r.atMs <= s).at(-1);
  const first = valued.find((r) => r.atMs > s);
  if (!base && first) base = valued.filter((r) => r.atMs === first.atMs).at(-1);
  const lastOfDay = new Map<number, Row>();
  for (const r of valued) if (r.atMs > s && r.atMs <= intraday) lastOfDay.set(Math.floor(r.atMs / DAY), r);
  const picked = new Map<string, Row>();
  for (const r of [...(base ? [base] : []), ...lastOfDay.values(), ...valued.filter((r) => r.atMs > intraday)]) picked.set(r.id, r);
  return [...picked.values()]
    .sort((a, b) => a.atMs - b.atMs || (a.id < b.id ? -1 : 1))
    .map((r) => ({ at: new Date(r.atMs).toISOString(), netWorth: r.netWorth, netFlows: r.netFlows }));
}

const row = fc.record({
  /** Minutes after T0, over 12 days: several points a day, some days empty. */
  minute: fc.integer({ min: 0, max: 12 * 1440 }),
  cents: fc.integer({ min: 0, max: 10_000_000 }),
  flowCents: fc.integer({ min: -1_000_000, max: 10_000_000 }),
  legacy: fc.boolean(),
});

describe('performance series', () => {
  it('is the starting point, the last point of each UTC day, then every point of the last 24 hours', async () => {
    const accountId = await account();
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 60 }), fc.integer({ min: 0, max: 12 * 24 }), fc.integer({ min: 1, max: 12 * 24 }), fc.boolean(), async (xs, fromHour, lengthHours, max) => {
        const portfolioId = randomUUID();
        const rows: Row[] = xs.map((x) => ({
          id: randomUUID(),
          atMs: T0 + x.minute * 60_000,
          netWorth: x.legacy ? null : fromCents(x.cents),
          netFlows: x.legacy ? null : fromCents(x.flowCents),
        }));
        await insert(accountId, portfolioId, rows);
        const start = max ? null : T0 + fromHour * 3_600_000;
        const end = (start ?? T0) + lengthHours * 3_600_000;
        const got = await performanceSeries(sql, accountId, portfolioId, { start: start === null ? null : new Date(start), end: new Date(end) });
        expect(got).toEqual(expected(rows, start, end));
      }),
      { numRuns: 100 },
    );
  });

  it("reads nothing of another account's portfolio", async () => {
    const [owner, other] = [await account(), await account()];
    const portfolioId = randomUUID();
    await insert(owner, portfolioId, [{ id: randomUUID(), atMs: T0, netWorth: '100', netFlows: '100' }]);
    expect(await performanceSeries(sql, other, portfolioId, { start: null, end: new Date(T0 + DAY) })).toEqual([]);
    expect(await performanceSeries(sql, owner, portfolioId, { start: null, end: new Date(T0 + DAY) })).toHaveLength(1);
  });
});

describe('portfolioPerformance', () => {
  const { portfolioPerformance } = createPerformanceActivities({ sql });

  it('computes its figures from the series it returns', async () => {
    const accountId = await account();
    const portfolioId = randomUUID();
    await insert(accountId, portfolioId, [
      { id: randomUUID(), atMs: T0 - 10 * DAY, netWorth: null, netFlows: null },
      { id: randomUUID(), atMs: T0, netWorth: '1000', netFlows: '1000' },
      { id: randomUUID(), atMs: T0 + 3 * DAY, netWorth: '1100', netFlows: '1000' },
      { id: randomUUID(), atMs: T0 + 5 * DAY, netWorth: '1600', netFlows: '1500' },
      { id: randomUUID(), atMs: T0 + 9 * DAY, netWorth: '1760', netFlows: '1500' },
    ]);
    const asOf = new Date(T0 + 10 * DAY).toISOString();
    const result = await portfolioPerformance({ accountId, portfolioId, range: 'MAX', asOf, withSeries: true });
    // Without withSeries the points stay out of the result (and the workflow history).
    expect((await portfolioPerformance({ accountId, portfolioId, range: 'MAX', asOf })).series).toEqual([]);
    expect(result).toMatchObject({ startValue: '1000', endValue: '1760', netFlows: '500', gain: '260', twr: '0.21', points: 4 });
    expect(result.series.map((p) => p.netWorth)).toEqual(['1000', '1100', '1600', '1760']);
    const { series, ...figures } = result;
    expect(figures).toEqual(computePerformance(resolvePerformanceRange('MAX', { asOf }), series));
  });

  it('fails a bad range for good, as InvalidPerformanceRange', async () => {
    const failure = await portfolioPerformance({ accountId: randomUUID(), portfolioId: randomUUID(), range: 'CUSTOM', from: '2024-03-02', to: '2024-03-01', asOf: new Date(T0 + DAY).toISOString() }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'InvalidPerformanceRange', nonRetryable: true, message: expect.stringMatching(/'from' before 'to'/) });
  });
});
