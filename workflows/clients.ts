/**
 * How code outside a workflow (the API, and activities through the workers) reaches the running
 * workflows: signal-with-start for "something changed", update-with-start for "recalculate now",
 * and the wake-up signal of an order. Client-side code: not part of the workflow bundle.
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { Config } from '../lib/config.js';
import {
  fillsRecordedSignal,
  portfolioPricesMovedSignal,
  portfolioWorkflowId,
  priceMovedSignal,
  venueEventSignal,
  type VenueOrderEvent,
  recalculateUpdate,
  performanceUpdate,
  type PerformanceRequest,
  type PerformanceResult,
  type PortfolioInput,
  type PortfolioResult,
  type PortfolioSettings,
  type RecalculateRequest,
  type SignalledSettings,
} from './definitions.js';
import type { portfolio } from './portfolio.js';

export type FillsRecorded = { source: 'order' | 'manual'; orderId?: string | undefined };

/** The input a portfolio workflow starts with; settings come from configuration. The default portfolio's id is the account id, and is left out. */
export function portfolioInput(config: Config, accountId: string, portfolioId: string = accountId): PortfolioInput {
  const settings: PortfolioSettings = { debounceMs: config.PORTFOLIO_DEBOUNCE, recalcsPerRun: config.PORTFOLIO_RECALCS_PER_RUN };
  return portfolioId === accountId ? { accountId, settings } : { accountId, portfolioId, settings };
}

function startOptions(config: Config, accountId: string, portfolioId: string) {
  return {
    workflowId: portfolioWorkflowId(portfolioId),
    taskQueue: config.taskQueues.portfolio,
    args: [portfolioInput(config, accountId, portfolioId)] as [PortfolioInput],
    staticSummary:
      portfolioId === accountId
        ? `Portfolio of account ${accountId}: recalculated on fills and price moves`
        : `Portfolio ${portfolioId} of account ${accountId}: recalculated on fills and price moves`,
    staticDetails: `Recalculates a lone fill at once and a burst after ${config.PORTFOLIO_DEBOUNCE} ms of quiet; continues as new after ${config.PORTFOLIO_RECALCS_PER_RUN} recalculations. Query \`portfolioStatus\` for the last result.`,
  };
}

/**
 * @example const { portfolios } = createWorkflowClients(temporal, config); await portfolios.fillsRecorded(accountId, { source: 'manual' });
 */
export function createWorkflowClients(temporal: Client, config: Config) {
  return {
    portfolios: {
      /** Entries were recorded in the portfolio (default: the account's): its workflow (started if none) marks itself dirty. */
      async fillsRecorded(accountId: string, detail: FillsRecorded, portfolioId: string = accountId): Promise<void> {
        const start = startOptions(config, accountId, portfolioId);
        // A running portfolio takes the current settings up at its next run; a new one starts with them.
        await temporal.workflow.signalWithStart<typeof portfolio, [FillsRecorded & SignalledSettings]>('portfolio', {
          ...start,
          signal: fillsRecordedSignal,
          signalArgs: [{ ...detail, settings: start.args[0].settings }],
        });
      },

      /** Prices of `symbols`, which the account's portfolio holds, moved: it revalues soon. */
      async pricesMoved(accountId: string, symbols: string[], portfolioId: string = accountId): Promise<void> {
        const start = startOptions(config, accountId, portfolioId);
        await temporal.workflow.signalWithStart<typeof portfolio, [{ symbols: string[] } & SignalledSettings]>('portfolio', {
          ...start,
          signal: portfolioPricesMovedSignal,
          signalArgs: [{ symbols, settings: start.args[0].settings }],
        });
      },

      /**
       * A full recompute through the workflow's `recalculate` Update, starting the workflow first if
       * the account has none (update-with-start), so it works for a user who never traded.
       */
      async recalculate(accountId: string, request: RecalculateRequest = {}, portfolioId: string = accountId): Promise<PortfolioResult> {
        const startWorkflowOperation = new WithStartWorkflowOperation<typeof portfolio>('portfolio', {
          ...startOptions(config, accountId, portfolioId),
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
        return temporal.workflow.executeUpdateWithStart(recalculateUpdate, { args: [request], startWorkflowOperation });
      },

      /** TWR/MWR through the portfolio workflow's activity (update-with-start: works before the first entry). */
      async performance(accountId: string, request: PerformanceRequest, portfolioId: string = accountId): Promise<PerformanceResult> {
        const startWorkflowOperation = new WithStartWorkflowOperation<typeof portfolio>('portfolio', {
          ...startOptions(config, accountId, portfolioId),
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
        return temporal.workflow.executeUpdateWithStart(performanceUpdate, { args: [request], startWorkflowOperation });
      },
    },
    orders: orderClients(temporal),
  };
}

/** The signals an order workflow takes from outside. */
export function orderClients(temporal: Pick<Client, 'workflow'>) {
  return {
    /** Wakes an order workflow: a price moved for its symbol. Throws WorkflowNotFoundError when it has ended. */
    async priceMoved(workflowId: string, payload: { symbol: string; price: string }): Promise<void> {
      await temporal.workflow.getHandle(workflowId).signal(priceMovedSignal, payload);
    },

    /** Hands the order workflow what its venue reported. Throws WorkflowNotFoundError when it has ended. */
    async venueEvent(workflowId: string, event: VenueOrderEvent): Promise<void> {
      await temporal.workflow.getHandle(workflowId).signal(venueEventSignal, event);
    },
  };
}

export type WorkflowClients = ReturnType<typeof createWorkflowClients>;
