/**
 * One reconciliation of our orders against the venues, started by the `reconcile-orders`
 * schedule. Account by account, each venue's open orders are compared with ours: an unfinished
 * order whose workflow is not running gets its tracking restarted, and open venue orders we never
 * placed are recorded as EXTERNAL. A failing account is reported and the others go on.
 */
import { ActivityFailure, ApplicationFailure, continueAsNew, log, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { AccountReconciliation, ReconcileActivities, RestartedOrder } from '../activities/reconcile/reconcile-activities.js';
import type { Venue } from './definitions.js';
import { presets } from './presets.js';

/** Accounts listed per query, and reconciled at the same time. */
const PAGE_SIZE = 100;
const PARALLEL = 10;
const VENUES: readonly Venue[] = ['paper', 'binance'];

export interface ReconcileOrdersInput {
  /** Orders younger than this are left alone: the API may have just started their workflow. */
  graceMs: number;
  /** Only these accounts (an operator's or a test's run); every account when absent. */
  accountIds?: string[] | undefined;
  /** Set by continue-as-new: where the previous run stopped and what it found. */
  carried?: { venue: Venue; after: string | null; result: ReconcileOrdersResult } | undefined;
}

export interface VenueReconciliation {
  /** Accounts whose reconciliation completed. */
  accounts: number;
  restarted: RestartedOrder[];
  /** Open venue orders we never placed. */
  external: number;
  /** Our orders final in our table but still open on the venue. */
  openButFinal: string[];
  failures: Array<{ accountId: string; type: string; message: string }>;
}

export type ReconcileOrdersResult = Record<Venue, VenueReconciliation>;

const activities = proxyActivities<ReconcileActivities>(presets.db);
const { reconcileAccount } = proxyActivities<ReconcileActivities>(presets.reconcileAccount);

export async function reconcileOrders(input: ReconcileOrdersInput): Promise<ReconcileOrdersResult> {
  const result = input.carried?.result ?? { paper: emptyOutcome(), binance: emptyOutcome() };
  const from = input.carried ? VENUES.indexOf(input.carried.venue) : 0;
  for (const venue of VENUES.slice(from)) {
    let after = venue === input.carried?.venue ? input.carried.after : null;
    for (;;) {
      if (workflowInfo().continueAsNewSuggested) {
        return continueAsNew<typeof reconcileOrders>({ ...input, carried: { venue, after, result } });
      }
      const accounts = await activities.listAccountsToReconcile.executeWithOptions({ summary: `list ${venue} accounts with open orders` }, [
        { venue, after, limit: PAGE_SIZE, accountIds: input.accountIds },
      ]);
      for (let i = 0; i < accounts.length; i += PARALLEL) {
        await Promise.all(accounts.slice(i, i + PARALLEL).map((accountId) => reconcileOne(result[venue], venue, accountId)));
      }
      showProgress(result);
      if (accounts.length < PAGE_SIZE) break;
      after = accounts.at(-1)!;
    }
  }
  return result;

  async function reconcileOne(outcome: VenueReconciliation, venue: Venue, accountId: string): Promise<void> {
    let found: AccountReconciliation;
    try {
      found = await reconcileAccount.executeWithOptions({ summary: `${venue} account ${accountId}` }, [
        { venue, accountId, graceMs: input.graceMs },
      ]);
    } catch (err) {
      const failure = err instanceof ActivityFailure ? err.cause : err;
      const type = failure instanceof ApplicationFailure ? (failure.type ?? failure.name) : failure instanceof Error ? failure.name : 'Error';
      const message = failure instanceof Error ? failure.message : String(failure);
      log.warn('account reconciliation failed', { venue, accountId, type, message });
      outcome.failures.push({ accountId, type, message });
      return;
    }
    outcome.accounts++;
    outcome.restarted.push(...found.restarted);
    outcome.external += found.external;
    outcome.openButFinal.push(...found.openButFinal);
  }
}

/** The Web UI's current details: accounts looked at, orders restarted, failures, per venue. */
function showProgress(result: ReconcileOrdersResult): void {
  setCurrentDetails(
    VENUES.map((v) => `${v}: ${result[v].accounts} accounts · ${result[v].restarted.length} orders restarted · ${result[v].external} external · ${result[v].failures.length} failed`).join('\n\n'),
  );
}

function emptyOutcome(): VenueReconciliation {
  return { accounts: 0, restarted: [], external: 0, openButFinal: [], failures: [] };
}
