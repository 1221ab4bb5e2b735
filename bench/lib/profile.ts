/** How long and how often each figure is measured: `--quick` for development, the default for the record. */

export interface Profile {
  name: 'quick' | 'full';
  /** Runs per figure; the report gives the median of the runs. */
  repeats: number;
  /** Load discarded at the start of every run. */
  warmupMs: number;
  /** Measured part of a saturation (closed-loop) run. */
  saturationMs: number;
  /** Measured part of a fixed-rate (open-loop) run. */
  latencyMs: number;
  /** Callers of the closed loops: enough to keep the system busy (Little: rate × latency). */
  intakeConcurrency: number;
  e2eConcurrency: number;
  /**
   * Accounts the end-to-end orders are spread over, round robin (1: every order on one account, the
   * worst case for the per-account locks and the best for the portfolio's coalescing).
   */
  e2eAccounts: number;
  /** Open-loop rate as a fraction of the measured saturation throughput. */
  latencyLoadFraction: number;
  /** The unloaded runs (end to end and the shaped floor): their rate as a fraction of the end-to-end saturation, and their length. */
  unloadedLoadFraction: number;
  unloadedMs: number;
  /** How long an order may take to fill before it counts as a timeout. */
  completionTimeoutMs: number;
  portfolio: {
    /** Fill counts of the pure full recompute, with the runs each gets. */
    pureSizes: Array<{ fills: number; repeats: number }>;
    /** Fill counts recomputed through the portfolio activity (Postgres read + fold + write). */
    activitySizes: number[];
    incrementalRepeats: number;
  };
  health: {
    ratePerSec: number;
    idleMs: number;
    /** Ledger size of the account whose full recalculations make the burst, and how many are queued at once. */
    burstFills: number;
    burstRecalcs: number;
  };
  replay: { minMs: number };
  stream: StreamProfile;
}

/** The stream phase (bench/phases/stream.ts): Binance orders on the fake, user data stream against polls. */
export interface StreamProfile {
  /** Resting Binance LIMIT orders tracked while request weight is counted. */
  restingOrders: number;
  /** Pause after the last order rests before the window opens: every polled order has reached ORDER_POLL_MAX_INTERVAL. */
  settleMs: number;
  /** The window in which request weight is counted (the goal's 5 minutes in a full run). */
  windowMs: number;
  /** Stream on: fills one at a time, each after the previous one is FILLED in PostgreSQL, `fillGapMs` apart. */
  fillSamples: number;
  fillGapMs: number;
  /** Stream off (polls only): fills `pollFillSpacingMs` apart, each waited for up to ORDER_POLL_MAX_INTERVAL + 30 s. */
  pollFillSamples: number;
  pollFillSpacingMs: number;
  /** The chaos-shaped order load of the two-worker rate-limit run (test/chaos: worker-kill's shape). */
  loadOrders: number;
  loadConcurrency: number;
  loadPacingMs: [number, number];
  /** After the submissions, how long the market is moved until every Binance order of the load is final. */
  loadSettleMs: number;
}

export const profiles: Record<Profile['name'], Profile> = {
  quick: {
    name: 'quick',
    repeats: 2,
    warmupMs: 1000,
    saturationMs: 4000,
    latencyMs: 3000,
    intakeConcurrency: 32,
    e2eConcurrency: 8,
    e2eAccounts: 1,
    latencyLoadFraction: 0.5,
    unloadedLoadFraction: 0.1,
    unloadedMs: 10_000,
    completionTimeoutMs: 60_000,
    portfolio: {
      pureSizes: [
        { fills: 1_000, repeats: 5 },
        { fills: 10_000, repeats: 3 },
        { fills: 100_000, repeats: 1 },
      ],
      activitySizes: [1_000, 10_000],
      incrementalRepeats: 5,
    },
    health: { ratePerSec: 20, idleMs: 2000, burstFills: 10_000, burstRecalcs: 3 },
    replay: { minMs: 3000 },
    stream: {
      restingOrders: 200,
      settleMs: 35_000,
      windowMs: 30_000,
      fillSamples: 200,
      fillGapMs: 100,
      pollFillSamples: 200,
      pollFillSpacingMs: 50,
      loadOrders: 80,
      loadConcurrency: 6,
      loadPacingMs: [800, 2000],
      loadSettleMs: 120_000,
    },
  },
  full: {
    name: 'full',
    repeats: 3,
    warmupMs: 5000,
    saturationMs: 15_000,
    latencyMs: 20_000,
    intakeConcurrency: 32,
    e2eConcurrency: 16,
    e2eAccounts: 1,
    latencyLoadFraction: 0.5,
    unloadedLoadFraction: 0.1,
    unloadedMs: 20_000,
    completionTimeoutMs: 120_000,
    portfolio: {
      pureSizes: [
        { fills: 1_000, repeats: 9 },
        { fills: 10_000, repeats: 5 },
        { fills: 100_000, repeats: 3 },
      ],
      activitySizes: [1_000, 10_000, 100_000],
      incrementalRepeats: 9,
    },
    health: { ratePerSec: 20, idleMs: 10_000, burstFills: 100_000, burstRecalcs: 3 },
    replay: { minMs: 15_000 },
    stream: {
      restingOrders: 1000,
      settleMs: 35_000,
      windowMs: 300_000,
      fillSamples: 300,
      fillGapMs: 250,
      pollFillSamples: 200,
      pollFillSpacingMs: 150,
      loadOrders: 200,
      loadConcurrency: 6,
      loadPacingMs: [800, 2000],
      loadSettleMs: 150_000,
    },
  },
};
