/**
 * The shared request budget's bookkeeping as the venue adapters see it: a count per scope and
 * limiter in fixed windows, and a block after a 429/418. venues/binance/request-budget.ts decides
 * what to ask; store/request-budget.ts keeps the counts in PostgreSQL, where every worker process
 * sees the same ones.
 */

/** Who spends the budget, most urgent first. */
export type RequestPriority = 'cancel' | 'order' | 'reconcile' | 'poll';

/** One limiter a request must fit in before it is sent. */
export interface BudgetClaim {
  /** `ip:<venue host>` or `key:<SHA-256 fingerprint of the API key>`: never a secret. */
  scope: string;
  /** The venue's limiter and interval as its headers spell them: `REQUEST_WEIGHT:1M`, `ORDERS:10S`. */
  limiter: string;
  /** Length of the limiter's fixed windows; they start at multiples of it since the Unix epoch. */
  windowMs: number;
  /** The venue's limit per window (kept beside the count for operators and other processes). */
  limit: number;
  cost: number;
  /** The count this request may bring the window to: its priority's share of the limit. */
  cap: number;
}

/** A limiter's row after a reservation was tried. Times are epoch ms on the ledger's clock. */
export interface BudgetState {
  granted: boolean;
  /** The window's count, this request included when granted. */
  used: number;
  windowStart: number;
  /** The ledger's clock when it decided. */
  now: number;
  /** End of a 429/418 back-off of this limiter; 0 when there is none. */
  blockedUntil: number;
  blockedStatus: number | undefined;
  blockedCode: number | undefined;
}

/** A limit some process has recorded for a scope. */
export interface KnownLimit {
  limiter: string;
  windowMs: number;
  limit: number;
}

/** A back-off some process recorded, as every process hears it. */
export interface BlockNotice {
  scope: string;
  limiter: string;
  /** End of the back-off, epoch ms on the ledger's clock (a notice may arrive late; this stays true). */
  until: number;
  status: number;
  code: number | undefined;
}

/** Where the counts live. Every method is one atomic statement on the ledger's own clock. */
export interface RequestLedger {
  /** Adds `cost` to the current window unless that passes `cap` or a back-off runs. */
  reserve(claim: BudgetClaim): Promise<BudgetState>;
  /** Gives back what a request that was not sent reserved, if its window is still the current one. */
  release(claim: BudgetClaim, windowStart: number): Promise<void>;
  /** Raises the count to what the venue reports, if `windowStart` is still the current window. */
  observe(claim: Pick<BudgetClaim, 'scope' | 'limiter'>, windowStart: number, used: number): Promise<void>;
  /** Holds every request of the limiter back for `retryAfterMs` from now; never shortens a running back-off. */
  block(claim: Omit<BudgetClaim, 'cost' | 'cap'>, retryAfterMs: number, status: number, code: number | undefined): Promise<void>;
  /** The limits recorded for a scope. */
  knownLimits(scope: string): Promise<KnownLimit[]>;
  /**
   * Calls `listener` with each back-off any process records from now on, within milliseconds:
   * a request another process already reserved must not go out after it. Resolves once listening.
   */
  onBlock?(listener: (notice: BlockNotice) => void): Promise<void>;
}
