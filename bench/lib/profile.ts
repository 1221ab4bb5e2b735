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
  /** Open-loop rate as a fraction of the measured saturation throughput. */
  latencyLoadFraction: number;
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
    latencyLoadFraction: 0.5,
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
  },
  full: {
    name: 'full',
    repeats: 3,
    warmupMs: 5000,
    saturationMs: 15_000,
    latencyMs: 20_000,
    intakeConcurrency: 32,
    e2eConcurrency: 16,
    latencyLoadFraction: 0.5,
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
  },
};
