/**
 * The workers' sweeper of portfolio wake claims (activities/portfolio): every few seconds it
 * signals the portfolios whose claim went stale, so a fill whose notification rode on another
 * order's signal is folded in even when that signal never came (its holder's workflow terminated,
 * Temporal away while it retried) or reached a workflow that ended before recalculating. Each
 * worker process runs one; a stale claim is taken over by one of them only, and a claim swept
 * again and again waits longer each time.
 */
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Config } from '../lib/config.js';
import type { Sql } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';
import { dataConverterFor } from '../lib/secrets.js';
import type { Tracing } from '../lib/tracing.js';
import { sweepPortfolioWakes, wakeClaimStaleMs } from '../activities/portfolio/portfolio-activities.js';
import { createWorkflowClients } from '../workflows/clients.js';

/**
 * @example const sweeper = startPortfolioWakeSweeper({ config, sql, connection, log }); … await sweeper.stop();
 */
export function startPortfolioWakeSweeper(o: { config: Config; sql: Sql; connection: NativeConnection; log: Logger; tracing?: Tracing | undefined }): { stop(): Promise<void> } {
  const temporal = new Client({ connection: o.connection, namespace: o.config.TEMPORAL_NAMESPACE, dataConverter: dataConverterFor(o.config), interceptors: o.tracing?.clientInterceptors });
  const staleAfterMs = wakeClaimStaleMs(o.config.PORTFOLIO_DEBOUNCE);
  const deps = { sql: o.sql, portfolios: createWorkflowClients(temporal, o.config).portfolios, staleAfterMs };
  const everyMs = staleAfterMs / 2;
  let running: Promise<void> = Promise.resolve();
  let lastError: string | undefined;
  const timer = setInterval(() => {
    running = sweepPortfolioWakes(deps).then(
      ({ woken, stuck }) => {
        if (stuck.length > 0) {
          o.log.warn('portfolios keep not recalculating after their fills: signalled again, less often each time; look at their workflows in the Temporal UI', { portfolios: stuck });
        } else if (woken > 0) o.log.info('woke portfolios whose wake claim went stale', { portfolios: woken });
        lastError = undefined;
      },
      (err: unknown) => {
        // Tried again next tick; said once per new reason, not every few seconds.
        const why = (err as Error).message;
        if (why !== lastError) o.log.warn('portfolio wake sweep failed; trying again', { error: why, everyMs });
        lastError = why;
      },
    );
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
