/**
 * One portfolio, for as long as it exists (workflow id `portfolio-<portfolioId>`; the account's
 * default portfolio has the account's id, so its workflow is `portfolio-<accountId>`).
 * Notifications (fills recorded, prices moved) only mark it dirty; the main loop waits a short
 * debounce and runs one recalculation per dirty period, so a burst of a thousand fills costs a
 * handful of recalculations. The `recalculate` Update runs a full recompute on demand. The
 * accounting runs in the activity, against Postgres; this file only decides when.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  uuid4,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import type { PortfolioActivities, RecalculateInput } from '../activities/portfolio/portfolio-activities.js';
import type { PerformanceActivities } from '../activities/portfolio/performance-activities.js';
import {
  fillsRecordedSignal,
  portfolioPricesMovedSignal,
  portfolioStatusQuery,
  performanceUpdate,
  recalculateUpdate,
  type AccountingMethod,
  type PortfolioInput,
  type PortfolioResult,
  type PortfolioSettings,
  type PortfolioStatus,
} from './definitions.js';
import { Mutex } from './lib/mutex.js';
import { presets } from './presets.js';

const activities = proxyActivities<PortfolioActivities>(presets.portfolioRecalculate);
const performanceActivities = proxyActivities<PerformanceActivities>(presets.portfolioPerformance);
const RANGES = ['1D', 'WTD', 'MTD', 'YTD', '1Y', 'MAX', 'CUSTOM'];

const METHODS: readonly AccountingMethod[] = ['average', 'fifo'];

/**
 * From this patch on, the first notification after a quiet spell (no notification and no
 * recalculation for the debounce) is recalculated at once instead of after the debounce: most
 * accounts trade far less often than that, so a lone fill skips the timer's workflow task and
 * 250 ms. Runs recorded before it keep the timer.
 */
const RECALCULATE_AT_ONCE_PATCH = 'portfolio-recalculate-at-once';

/**
 * From this patch on, a notification carrying other settings than the run's (the workers' current
 * PORTFOLIO_DEBOUNCE and PORTFOLIO_RECALCS_PER_RUN) is remembered, and the run continues as new
 * with them: a changed setting reaches running portfolios at their next run instead of never. The
 * run itself keeps the settings it started with. Runs recorded before it carry their own on.
 */
const ADOPT_SIGNALLED_SETTINGS_PATCH = 'portfolio-adopt-signalled-settings';

/** Settings a signal may hand on: anyone who can signal could send nonsense, which is ignored. */
function usableSettings(s: PortfolioSettings | undefined): s is PortfolioSettings {
  return (
    typeof s === 'object' && s !== null && Number.isInteger(s.recalcsPerRun) && s.recalcsPerRun >= 1 && s.recalcsPerRun <= 10_000 && Number.isFinite(s.debounceMs) && s.debounceMs >= 0 && s.debounceMs <= 86_400_000
  );
}

/** The workflow's memory; handlers and the main loop go through it, recalculations one at a time. */
class PortfolioEntity {
  readonly status: PortfolioStatus;
  /** Recalculations in this run, for continue-as-new. */
  private runRecalculations = 0;
  private readonly lock = new Mutex();

  constructor(
    private readonly accountId: string,
    private readonly portfolioId: string | undefined,
    private readonly debounceMs: number,
    carried: PortfolioStatus | undefined,
  ) {
    this.status = carried ?? { dirty: false, recalculating: false, recalculations: 0, notifications: { fills: 0, prices: 0 }, lastResult: null, lastError: null };
    this.status.recalculating = false;
    // A run continued as new follows a recalculation: its first notification is not a lone one.
    if (carried) this.lastEndedAt = Date.now();
  }

  notify(kind: 'fills' | 'prices'): void {
    // Decided here, at the signal, whose workflow time the history fixes. Quiet means no other
    // notification (a second one before the first's recalculation began makes a burst) and no
    // recalculation for the debounce: on a busy account the fills' wake claim lets one signal
    // through per recalculation, so signals alone would look quiet. A recalculation that folded
    // several fills lately means fills are still coming (their signals can lag it under load).
    const now = Date.now();
    const debounceMs = this.debounceMs;
    const burstLately = (this.status.lastResult?.applied ?? 0) > 1 && now - this.lastEndedAt < 10 * debounceMs;
    this.afterQuiet = now - this.lastNotifiedAt >= debounceMs && now - this.lastEndedAt >= debounceMs && !this.status.recalculating && !burstLately;
    this.lastNotifiedAt = now;
    this.status.dirty = true;
    this.status.notifications[kind]++;
  }

  /** Workflow time of the last notification (0: none yet in this run). */
  private lastNotifiedAt = 0;
  /** Workflow time the last recalculation's activity finished (the task that took its result; 0: none yet). */
  private lastEndedAt = 0;
  /** A notification came after at least the debounce without another or a recalculation: a lone fill, or a burst's first. */
  private afterQuiet = false;

  /** Whether the pending work started after a quiet spell; reset for the next. */
  takeAfterQuiet(): boolean {
    const quiet = this.afterQuiet;
    this.afterQuiet = false;
    return quiet;
  }

  /** The Web UI's current details: the last valuation, or the last failure. */
  showDetails(): void {
    const { lastResult: r, lastError: e, recalculations } = this.status;
    const lines = [
      r ? `**${r.totals.totalValue} USD** · ${r.positions.length} positions · ${r.method} cost · ${r.mode} recalculation at ${r.asOf}` : 'not valued yet',
      `${recalculations + (this.status.recalculating ? 1 : 0)} recalculations · ${this.status.notifications.fills} fill and ${this.status.notifications.prices} price notifications`,
      e ? `last failure (${e.type}): ${e.message}` : '',
    ];
    setCurrentDetails(lines.filter(Boolean).join('\n\n'));
  }

  get runCount(): number {
    return this.runRecalculations;
  }

  /** Runs after any recalculation already under way; notifications from its start on need another pass. */
  recalculate(mode: RecalculateInput['mode'], method?: AccountingMethod): Promise<PortfolioResult> {
    return this.lock.runExclusive(async () => {
      this.status.dirty = false;
      // This pass covers any quiet notification too: the next one is judged afresh.
      this.afterQuiet = false;
      this.status.recalculating = true;
      try {
        const result = await activities.recalculatePortfolio.executeWithOptions({ summary: `${mode} recalculation${method ? ` (${method})` : ''}` }, [
          { accountId: this.accountId, ...(this.portfolioId === undefined ? {} : { portfolioId: this.portfolioId }), mode, method, snapshotId: uuid4() },
        ]);
        this.status.lastResult = result;
        this.status.lastError = null;
        this.showDetails();
        return result;
      } catch (err) {
        const cause = err instanceof ActivityFailure ? err.cause : undefined;
        if (cause instanceof ApplicationFailure) this.status.lastError = { type: cause.type ?? 'Error', message: cause.message, at: new Date().toISOString() };
        this.showDetails();
        throw err;
      } finally {
        this.status.recalculating = false;
        this.status.recalculations++;
        this.runRecalculations++;
        this.lastEndedAt = Date.now();
      }
    });
  }
}

export async function portfolio(input: PortfolioInput): Promise<void> {
  const { accountId, portfolioId, settings } = input;
  const entity = new PortfolioEntity(accountId, portfolioId, settings.debounceMs, input.carried);
  let nextRunSettings: PortfolioSettings = settings;
  const adopt = (signalled: PortfolioSettings | undefined) => {
    if (!usableSettings(signalled)) return;
    const next = { debounceMs: signalled.debounceMs, recalcsPerRun: signalled.recalcsPerRun };
    if (next.debounceMs === nextRunSettings.debounceMs && next.recalcsPerRun === nextRunSettings.recalcsPerRun) return;
    if (patched(ADOPT_SIGNALLED_SETTINGS_PATCH)) nextRunSettings = next;
  };

  setHandler(fillsRecordedSignal, (detail) => {
    adopt(detail?.settings);
    entity.notify('fills');
  });
  setHandler(portfolioPricesMovedSignal, (detail) => {
    adopt(detail?.settings);
    entity.notify('prices');
  });
  setHandler(portfolioStatusQuery, () => entity.status);
  setHandler(
    recalculateUpdate,
    async ({ method }) => {
      try {
        return await entity.recalculate('full', method);
      } catch (err) {
        // The caller gets the core's reason (e.g. InsufficientPositionError), not "activity failed".
        const cause = err instanceof ActivityFailure ? err.cause : undefined;
        if (cause instanceof ApplicationFailure) throw ApplicationFailure.create({ type: cause.type ?? undefined, message: cause.message, nonRetryable: true });
        throw err;
      }
    },
    {
      validator: ({ method }) => {
        if (method !== undefined && !METHODS.includes(method)) throw new Error(`method must be one of ${METHODS.join(', ')}, got ${JSON.stringify(method)}`);
      },
    },
  );

  setHandler(
    performanceUpdate,
    async ({ range, from, to, withSeries }) => {
      try {
        return await performanceActivities.portfolioPerformance.executeWithOptions({ summary: `performance ${range}` }, [
          { accountId, portfolioId: portfolioId ?? accountId, range, from, to, withSeries, asOf: new Date().toISOString() },
        ]);
      } catch (err) {
        const cause = err instanceof ActivityFailure ? err.cause : undefined;
        if (cause instanceof ApplicationFailure) throw ApplicationFailure.create({ type: cause.type ?? undefined, message: cause.message, nonRetryable: true });
        throw err;
      }
    },
    {
      validator: ({ range }) => {
        if (!RANGES.includes(range)) throw new Error(`range must be one of ${RANGES.join(', ')}, got ${JSON.stringify(range)}`);
      },
    },
  );

  const timeToContinue = () => entity.runCount >= settings.recalcsPerRun || workflowInfo().continueAsNewSuggested;
  for (;;) {
    await condition(() => entity.status.dirty || timeToContinue());
    if (timeToContinue()) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof portfolio>({ accountId, ...(portfolioId === undefined ? {} : { portfolioId }), settings: nextRunSettings, carried: entity.status });
    }
    // Let the rest of a burst arrive; everything that lands meanwhile rides on this recalculation.
    // After a quiet spell the first notification is taken at once: it is most often a lone fill.
    const atOnce = entity.takeAfterQuiet() && patched(RECALCULATE_AT_ONCE_PATCH);
    if (settings.debounceMs > 0 && !atOnce) await sleep(settings.debounceMs, { summary: `let the burst settle (${settings.debounceMs} ms)` });
    if (!entity.status.dirty) continue; // an Update's full recompute already covered it
    try {
      await entity.recalculate('incremental');
    } catch (err) {
      // A final failure is kept in status.lastError; the next notification tries again.
      if (!(err instanceof ActivityFailure)) throw err;
    }
  }
}
