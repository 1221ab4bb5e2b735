/** A portfolio recalculation's outcome, as the workflow keeps it and the API returns it. */
import type { PortfolioSummary } from './summary.js';

export type AccountingMethod = 'average' | 'fifo';

/** What a recalculation returns and the workflow remembers: summarize()'s output plus how it was made. */
export interface PortfolioResult extends PortfolioSummary {
  accountId: string;
  /** The account's default portfolio has the account's id. */
  portfolioId: string;
  method: AccountingMethod;
  /** 'incremental': only fills after the cursor were applied; 'full': every fill was re-read. */
  mode: 'incremental' | 'full';
  /** Why a full recompute ran: 'requested', 'method-changed', 'late-fill', 'void' or 'unreadable-state'. */
  fullReason: string | null;
  /** Ledger entries folded in by this recalculation. */
  applied: number;
  /** ledger_seq of the last fill in the state. */
  cursor: string;
  /** USD per USDT used; '1' with totals.usdtRateAssumed when the feed has no USDTUSD. */
  usdtUsdRate: string;
  asOf: string;
  /** USD: external flows (deposits, implicit funding, minus withdrawals) folded so far, each at the rate of the recalculation that first saw it. */
  netFlows: string;
}
