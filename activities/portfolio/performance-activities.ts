/**
 * The performance read of a portfolio (issue 16): TWR and MWR over a named or custom range, from
 * the value series its recalculations write. Read-only, and deterministic for a given `asOf`, so
 * a retry returns what the first attempt would have.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Sql } from '../../lib/db.js';
import { computePerformance, type PerformanceSummary } from '../../domain/portfolio/performance.js';
import { resolvePerformanceRange, type PerformanceRange } from '../../domain/portfolio/performance-range.js';
import { performanceSeries } from '../../store/performance.js';

/** Domain errors no retry can fix, by error name → the ApplicationFailure type the workflow sees. */
export const NON_RETRYABLE_PERFORMANCE_ERRORS: ReadonlyMap<string, string> = new Map([
  ['InvalidPerformanceRangeError', 'InvalidPerformanceRange'],
  // A stored point that is not a decimal fails the same way on every attempt.
  ['InvalidInputError', 'InvalidInputError'],
]);

export interface PerformanceInput {
  accountId: string;
  portfolioId: string;
  range: PerformanceRange;
  /** CUSTOM only: ISO-8601 date or date-time with a time zone. */
  from?: string | undefined;
  to?: string | undefined;
  /** Chosen by the workflow (its clock), so retries compute the same window. */
  asOf: string;
  /** Return the points too (they go into the workflow history: leave out unless asked for). */
  withSeries?: boolean | undefined;
}

export interface PerformanceResult extends PerformanceSummary {
  /** The points the figures were computed from: the starting one, one a day, every one in the last 24 hours. */
  series: Array<{ at: string; netWorth: string; netFlows: string }>;
}

export interface PerformanceActivityDeps {
  sql: Sql;
}

/**
 * @example worker activities: { ...createPortfolioActivities({ sql }), ...createPerformanceActivities({ sql }) }
 * @example in a workflow: await portfolioPerformance({ accountId, portfolioId, range: 'YTD', asOf: new Date().toISOString() })
 */
export function createPerformanceActivities({ sql }: PerformanceActivityDeps) {
  return {
    /**
     * Resolves the range at `asOf`, reads the portfolio's series for the window and computes
     * start and end value, flows, gain, TWR and MWR. A bad range fails for good with type
     * 'InvalidPerformanceRange'.
     */
    async portfolioPerformance(input: PerformanceInput): Promise<PerformanceResult> {
      try {
        const window = resolvePerformanceRange(input.range, { asOf: input.asOf, from: input.from, to: input.to });
        const series = await performanceSeries(sql, input.accountId, input.portfolioId, {
          start: window.start === null ? null : new Date(window.start),
          end: new Date(window.end),
        });
        return { ...computePerformance(window, series), series: input.withSeries ? series : [] };
      } catch (err) {
        const type = err instanceof Error ? NON_RETRYABLE_PERFORMANCE_ERRORS.get(err.name) : undefined;
        if (type) throw ApplicationFailure.create({ type, message: (err as Error).message, nonRetryable: true });
        throw err;
      }
    },
  };
}

export type PerformanceActivities = ReturnType<typeof createPerformanceActivities>;
