import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computePerformance, type PerformancePoint } from '../../domain/portfolio/performance.js';
import { InvalidPerformanceRangeError, resolvePerformanceRange, type PerformanceWindow } from '../../domain/portfolio/performance-range.js';
import { InvalidInputError } from '../../domain/portfolio/types.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2023, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();
/** A point `days` after 2023-01-01T00:00Z. */
const pt = (days: number, netWorth: string, netFlows: string): PerformancePoint => ({ at: iso(T0 + days * DAY), netWorth, netFlows });
const custom = (startDays: number, endDays: number): PerformanceWindow => ({ range: 'CUSTOM', start: iso(T0 + startDays * DAY), end: iso(T0 + endDays * DAY) });

/** NPV of dated flows at an annual rate, 365-day years: what an XIRR must bring to zero. */
function npv(rate: number, flows: Array<[days: number, amount: number]>): number {
  return flows.reduce((sum, [days, amount]) => sum + amount / (1 + rate) ** (days / 365), 0);
}

describe('performance ranges', () => {
  const asOf = '2024-06-09T18:00:00Z'; // a Sunday

  it('1D is the last 24 hours', () => {
    expect(resolvePerformanceRange('1D', { asOf })).toEqual({ range: '1D', start: '2024-06-08T18:00:00.000Z', end: '2024-06-09T18:00:00.000Z' });
  });

  it('WTD on a Sunday starts on the Monday before, at midnight UTC', () => {
    expect(resolvePerformanceRange('WTD', { asOf }).start).toBe('2024-06-03T00:00:00.000Z');
    expect(resolvePerformanceRange('WTD', { asOf: '2024-06-09T23:59:59.999Z' }).start).toBe('2024-06-03T00:00:00.000Z');
  });

  it('WTD on a Monday starts that Monday, an empty window at midnight exactly', () => {
    expect(resolvePerformanceRange('WTD', { asOf: '2024-06-10T00:00:00Z' })).toEqual({ range: 'WTD', start: '2024-06-10T00:00:00.000Z', end: '2024-06-10T00:00:00.000Z' });
    expect(resolvePerformanceRange('WTD', { asOf: '2024-06-10T09:30:00Z' }).start).toBe('2024-06-10T00:00:00.000Z');
  });

  it('MTD starts on the 1st at midnight UTC', () => {
    expect(resolvePerformanceRange('MTD', { asOf }).start).toBe('2024-06-01T00:00:00.000Z');
  });

  it('YTD on January 1st starts that same midnight', () => {
    expect(resolvePerformanceRange('YTD', { asOf: '2024-01-01T10:00:00Z' }).start).toBe('2024-01-01T00:00:00.000Z');
    expect(resolvePerformanceRange('YTD', { asOf: '2023-12-31T23:59:59Z' }).start).toBe('2023-01-01T00:00:00.000Z');
  });

  it('1Y goes back one calendar year, from 29 February to 28 February', () => {
    expect(resolvePerformanceRange('1Y', { asOf }).start).toBe('2023-06-09T18:00:00.000Z');
    expect(resolvePerformanceRange('1Y', { asOf: '2024-02-29T12:00:00Z' }).start).toBe('2023-02-28T12:00:00.000Z');
  });

  it('MAX has no start until the first point is known', () => {
    expect(resolvePerformanceRange('MAX', { asOf })).toEqual({ range: 'MAX', start: null, end: '2024-06-09T18:00:00.000Z' });
  });

  it('CUSTOM takes dates as midnight UTC and date-times with their offset', () => {
    expect(resolvePerformanceRange('CUSTOM', { asOf, from: '2024-01-01', to: '2024-03-01T12:00:00+02:00' })).toEqual({
      range: 'CUSTOM',
      start: '2024-01-01T00:00:00.000Z',
      end: '2024-03-01T10:00:00.000Z',
    });
  });

  it('CUSTOM without to ends at asOf', () => {
    expect(resolvePerformanceRange('CUSTOM', { asOf, from: '2024-06-01' })).toEqual({ range: 'CUSTOM', start: '2024-06-01T00:00:00.000Z', end: '2024-06-09T18:00:00.000Z' });
  });

  it('CUSTOM may end exactly at asOf', () => {
    expect(resolvePerformanceRange('CUSTOM', { asOf, from: '2024-06-01', to: asOf }).end).toBe('2024-06-09T18:00:00.000Z');
  });

  it.each([
    ['from equal to to', { from: '2024-02-01', to: '2024-02-01' }, /'from' before 'to'/],
    ['from after to', { from: '2024-03-01', to: '2024-02-01' }, /'from' before 'to'/],
    ['an unparsable from', { from: 'last tuesday', to: '2024-02-01' }, /'from' must be an ISO-8601/],
    ['a date that does not exist', { from: '2024-02-30', to: '2024-03-05' }, /'from' must be an ISO-8601/],
    ['a date-time without a time zone', { from: '2024-02-01T00:00:00', to: '2024-03-05' }, /with a time zone/],
    ['to after asOf', { from: '2024-06-01', to: '2024-06-09T18:00:01Z' }, /after the time it is computed at/],
    ['no from', { to: '2024-06-01' }, /needs 'from'/],
  ])('CUSTOM with %s is refused', (_, bounds, message) => {
    expect(() => resolvePerformanceRange('CUSTOM', { asOf, ...bounds })).toThrow(InvalidPerformanceRangeError);
    expect(() => resolvePerformanceRange('CUSTOM', { asOf, ...bounds })).toThrow(message);
  });

  it('a named range with from/to, an unknown range and an unparsable asOf are refused', () => {
    expect(() => resolvePerformanceRange('YTD', { asOf, from: '2024-01-01' })).toThrow(/CUSTOM range only/);
    expect(() => resolvePerformanceRange('2Y' as never, { asOf })).toThrow(/Unknown performance range "2Y"/);
    expect(() => resolvePerformanceRange('1D', { asOf: 'now' })).toThrow(/'asOf' must be/);
  });
});

describe('computePerformance, hand-computed', () => {
  it('a deposit mid-period is a flow, not a gain: TWR chains +10 %, 0 %, +10 %', () => {
    const r = computePerformance(custom(0, 365), [
      pt(0, '1000', '1000'),
      pt(182, '1100', '1000'), // +10 %
      pt(182.5, '1600', '1500'), // 500 deposited
      pt(365, '1760', '1500'), // +10 %
    ]);
    expect(r).toMatchObject({ startValue: '1000', endValue: '1760', netFlows: '500', gain: '260', twr: '0.21', points: 4 });
    // −1000 on day 0, −500 on day 182, +1760 on day 365: the returned rate zeroes the NPV.
    expect(Math.abs(npv(Number(r.mwr), [[0, -1000], [182, -500], [365, 1760]]))).toBeLessThan(1e-5);
    expect(r.mwr).toBe(r.mwrPeriod);
  });

  it('a withdrawal is a negative flow: TWR still +21 %, the gain counts what was taken out', () => {
    const r = computePerformance(custom(0, 365), [pt(0, '1000', '1000'), pt(100, '1100', '1000'), pt(101, '600', '500'), pt(365, '660', '500')]);
    expect(r).toMatchObject({ startValue: '1000', endValue: '660', netFlows: '-500', gain: '160', twr: '0.21' });
    expect(Math.abs(npv(Number(r.mwr), [[0, -1000], [101, 500], [365, 660]]))).toBeLessThan(1e-5);
  });

  it('a dividend kept as cash is return, not a flow', () => {
    const r = computePerformance(custom(0, 365), [pt(0, '1000', '1000'), pt(90, '1020', '1000'), pt(365, '1020', '1000')]);
    expect(r).toMatchObject({ netFlows: '0', gain: '20', twr: '0.02', mwr: '0.02', mwrPeriod: '0.02' });
  });

  it('a window starting from zero takes the first deposit as the starting capital', () => {
    const r = computePerformance(custom(0, 365), [pt(0, '0', '0'), pt(0.5, '1000', '1000'), pt(365, '1100', '1000')]);
    expect(r).toMatchObject({ startValue: '0', endValue: '1100', netFlows: '1000', gain: '100', twr: '0.1', mwr: '0.1', startedAt: iso(T0) });
  });

  it('a net deposit counts from the start of its sub-period: a day that began with dust gives a sane return', () => {
    // 0.01 held, 10000 deposited and +1 % in the same day: the flow-at-the-end form would give +1 000 000 %.
    const r = computePerformance(custom(0, 1), [pt(0, '0.01', '0.01'), pt(1, '10100.0101', '10000.01')]);
    expect(r.twr).toBe('0.01');
  });

  it('a one-point window carries the last value across: no change, no flows', () => {
    const window = resolvePerformanceRange('MTD', { asOf: '2023-03-20T00:00:00Z' });
    const r = computePerformance(window, [pt(10, '1000', '1000'), pt(40, '1234.5', '1000')]);
    expect(r).toMatchObject({ startValue: '1234.5', endValue: '1234.5', netFlows: '0', gain: '0', twr: '0', mwr: '0', mwrPeriod: '0', points: 1 });
    expect(r.startedAt).toBe('2023-03-01T00:00:00.000Z');
  });

  it('−1000 on day 0 and +1100 exactly 365 days later is an XIRR of 10 %', () => {
    const r = computePerformance(custom(0, 365), [pt(0, '1000', '1000'), pt(365, '1100', '1000')]);
    expect(r).toMatchObject({ twr: '0.1', mwr: '0.1', mwrPeriod: '0.1' });
  });

  it('+21 % over two years is 10 % a year', () => {
    const r = computePerformance(custom(0, 730), [pt(0, '1000', '1000'), pt(730, '1210', '1000')]);
    expect(r).toMatchObject({ mwr: '0.1', mwrPeriod: '0.21' });
  });

  it('+1 % in a day, dated to the minute, annualises to 1.01^365 − 1', () => {
    const r = computePerformance(resolvePerformanceRange('1D', { asOf: '2024-06-09T18:00:00Z' }), [
      { at: '2024-06-08T18:00:00Z', netWorth: '1000', netFlows: '1000' },
      { at: '2024-06-09T18:00:00Z', netWorth: '1010', netFlows: '1000' },
    ]);
    expect(r.mwrPeriod).toBe('0.01');
    expect(r.mwr).toBe(new Decimal('1.01').pow(365).minus(1).toDecimalPlaces(8).toString());
  });

  it('MAX starts at the first point; points before the window start are skipped', () => {
    const max = computePerformance({ range: 'MAX', start: null, end: iso(T0 + 30 * DAY) }, [pt(3, '500', '500'), pt(30, '550', '500')]);
    expect(max).toMatchObject({ window: { range: 'MAX', start: iso(T0 + 3 * DAY) }, startedAt: iso(T0 + 3 * DAY), twr: '0.1', points: 2 });
    const later = computePerformance(custom(5, 30), [pt(1, '1', '1'), pt(3, '500', '500'), pt(30, '550', '500')]);
    expect(later).toMatchObject({ startValue: '500', startedAt: iso(T0 + 5 * DAY), twr: '0.1', points: 2 });
  });

  it('a window before the series begins starts at its first point', () => {
    const r = computePerformance(custom(0, 30), [pt(10, '500', '500'), pt(30, '550', '500')]);
    expect(r).toMatchObject({ startValue: '500', startedAt: iso(T0 + 10 * DAY), twr: '0.1' });
  });

  it('no points, or never any capital at risk, have no returns', () => {
    expect(computePerformance(custom(0, 30), [])).toMatchObject({ startedAt: null, startValue: '0', twr: null, mwr: null, mwrPeriod: null, points: 0 });
    // Value appearing with no capital (a gap in the series) is not an infinite return.
    expect(computePerformance(custom(0, 30), [pt(0, '0', '0'), pt(30, '50', '0')])).toMatchObject({ twr: null, mwr: null, gain: '50' });
  });

  it('everything lost: TWR −100 %, MWR outside −0.9999 … 1e6 is null', () => {
    expect(computePerformance(custom(0, 365), [pt(0, '1000', '1000'), pt(365, '0', '1000')])).toMatchObject({ twr: '-1', mwr: null, mwrPeriod: null });
  });

  it('malformed points are refused with what is wrong', () => {
    expect(() => computePerformance(custom(0, 30), [pt(5, '1', '1'), pt(4, '1', '1')])).toThrow(/oldest first/);
    expect(() => computePerformance(custom(0, 30), [pt(31, '1', '1')])).toThrow(/after the window's end/);
    expect(() => computePerformance(custom(0, 30), [pt(1, '1e3', '1')])).toThrow(InvalidInputError);
  });
});

// Property tests. Values and flows in whole cents; every point a day apart.
const step = fc.record({
  /** Market move of the sub-period in basis points. */
  moveBp: fc.integer({ min: -1000, max: 1000 }),
  /** External flow at the point, in cents; kept from emptying the portfolio below. */
  flowCents: fc.integer({ min: -50_000, max: 100_000 }),
});
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** A daily series from `startCents`, each point moved by the market then receiving its flow. */
function series(startCents: number, steps: Step[], withFlows: boolean): PerformancePoint[] {
  let value = new Decimal(startCents).div(100);
  let flows = value;
  const out = [pt(0, value.toString(), flows.toString())];
  steps.forEach((s, i) => {
    value = value.mul(new Decimal(10_000 + s.moveBp).div(10_000)).toDecimalPlaces(2);
    let flow = withFlows ? new Decimal(s.flowCents).div(100) : new Decimal(0);
    if (value.plus(flow).lt(1)) flow = new Decimal(0);
    value = value.plus(flow);
    flows = flows.plus(flow);
    out.push(pt(i + 1, value.toString(), flows.toString()));
  });
  return out;
}
const twrOf = (points: PerformancePoint[], window = custom(0, points.length - 1)) => new Decimal(computePerformance(window, points).twr!);
const close = (a: Decimal, b: Decimal, tolerance: Decimal | number) => expect(a.minus(b).abs().lte(tolerance), `${a} vs ${b}`).toBe(true);

describe('computePerformance, properties', () => {
  const start = fc.integer({ min: 100, max: 10_000_000 });
  const steps = fc.array(step, { minLength: 1, maxLength: 30 });

  it('without flows, TWR is the simple return end / start − 1', () => {
    fc.assert(
      fc.property(start, steps, (cents, xs) => {
        const points = series(cents, xs, false);
        const simple = new Decimal(points.at(-1)!.netWorth).div(points[0]!.netWorth).minus(1);
        close(twrOf(points), simple, 1e-8);
      }),
    );
  });

  it('a point at which nothing changes leaves TWR as it was', () => {
    fc.assert(
      fc.property(start, steps, fc.nat(), (cents, xs, where) => {
        const points = series(cents, xs, true);
        const i = where % points.length;
        const copy = { ...points[i]!, at: iso(Date.parse(points[i]!.at) + DAY / 2) };
        const padded = [...points.slice(0, i + 1), copy, ...points.slice(i + 1)];
        // The window ends a day after the last point, so a copy of the last point fits in it too.
        expect(computePerformance(custom(0, points.length), padded).twr).toBe(computePerformance(custom(0, points.length), points).twr);
      }),
    );
  });

  it('chaining the two halves of a split window gives the whole window', () => {
    fc.assert(
      fc.property(start, fc.array(step, { minLength: 2, maxLength: 30 }), fc.nat(), (cents, xs, where) => {
        const points = series(cents, xs, true);
        const m = 1 + (where % (points.length - 2 || 1));
        const first = twrOf(points.slice(0, m + 1), custom(0, m));
        const second = twrOf(points.slice(m), custom(m, points.length - 1));
        const whole = twrOf(points);
        // Each half is rounded to 8 places before chaining.
        close(first.plus(1).mul(second.plus(1)).minus(1), whole, first.abs().plus(second.abs()).plus(2).mul(5e-9).plus(1e-8));
      }),
    );
  });

  it('MWR equals TWR with one flow at the start and none after, over exactly one year', () => {
    fc.assert(
      fc.property(start, fc.array(step, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 23 }), (cents, xs, hour) => {
        // Points spread over the year, from a start at any hour.
        const at0 = T0 + hour * 3_600_000;
        const points = series(cents, xs, false).map((p, i, all) => ({ ...p, at: iso(at0 + Math.round((i * 365 * DAY) / (all.length - 1))) }));
        const r = computePerformance({ range: 'CUSTOM', start: iso(at0), end: iso(at0 + 365 * DAY) }, points);
        close(new Decimal(r.mwr!), new Decimal(r.twr!), 1.5e-8);
      }),
    );
  });
});
