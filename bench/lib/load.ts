/**
 * The two load shapes of the bench.
 *
 * Open loop: requests are scheduled at a fixed rate (t0 + i / rate) whether or not earlier ones
 * have answered, and each latency is measured from the request's *scheduled* time, so a stalled
 * server shows up as latency instead of silently lowering the offered load (coordinated omission).
 *
 * Closed loop: `concurrency` callers each send, wait, and send again; completions per second
 * inside the measured window is the saturation throughput.
 *
 * Both discard the first `warmupMs` (requests scheduled, resp. completed, before it).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Outcome {
  ok: boolean;
  /** performance.now() when the operation completed; defaults to when the promise settled. */
  doneAt?: number;
  error?: string;
  /**
   * Other stages of the same operation (when its order reached the venue, when the portfolio showed
   * its fill). Asked for by the open loop only, after a measured operation succeeded: the closed
   * loop measures throughput to `doneAt` and does not wait for them.
   */
  stages?: () => Promise<Stages>;
}

export interface Stages {
  /** When each stage was reached (performance.now()); its latency runs from the operation's start, like the operation's own. Undefined: never reached. */
  at: Record<string, number | undefined>;
  /** Durations between two stages of the operation itself (ms), e.g. from its end to a later stage. */
  spans?: Record<string, number | undefined>;
}

/** One operation: an HTTP request, or a request plus the wait for its order to fill. */
export type Fire = () => Promise<Outcome>;

export interface OpenLoopOptions {
  ratePerSec: number;
  warmupMs: number;
  durationMs: number;
  fire: Fire;
  /** How long to wait for stragglers after the last send before counting them as timeouts. */
  drainTimeoutMs?: number;
  /** Stop sending early when this settles (the measured window then ends there). */
  until?: Promise<unknown>;
}

export interface LoadResult {
  /** Latencies of the measured operations; `Infinity` for those that never completed. */
  latenciesMs: number[];
  ok: number;
  errors: number;
  timeouts: number;
  /** Successful completions per second inside the measured window. */
  completedPerSec: number;
  /** Successful operations including the warm-up (for CPU per operation). */
  totalOk: number;
  /** Open loop only: latencies of the operations' other stages by name (`Infinity` when never reached); spans as they are. */
  stagesMs?: Record<string, number[]>;
  /** Open loop only: the offered rate, and how late the generator itself sent (ms, worst case). */
  offeredPerSec?: number;
  maxSendLagMs?: number;
  errorSamples: string[];
}

async function settle(fire: Fire): Promise<Outcome> {
  try {
    const r = await fire();
    return { ...r, doneAt: r.doneAt ?? performance.now() };
  } catch (err) {
    return { ok: false, doneAt: performance.now(), error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * @example const r = await openLoop({ ratePerSec: 50, warmupMs: 2000, durationMs: 10_000, fire: () => post() });
 */
export async function openLoop(o: OpenLoopOptions): Promise<LoadResult> {
  const interval = 1000 / o.ratePerSec;
  const total = Math.max(1, Math.round(((o.warmupMs + o.durationMs) / 1000) * o.ratePerSec));
  const t0 = performance.now() + 5;
  const measureFrom = t0 + o.warmupMs;
  let windowEnd = measureFrom + o.durationMs;
  let stopped = false;
  void o.until?.finally(() => {
    stopped = true;
    windowEnd = Math.min(windowEnd, performance.now());
  });
  const inFlight = new Set<Promise<void>>();
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let ok = 0;
  let errors = 0;
  let completedInWindow = 0;
  let maxLag = 0;
  let pendingMeasured = 0;
  let timedOut = 0;
  let totalOk = 0;
  const stagesMs: Record<string, number[]> = {};
  const note = (name: string, ms: number) => (stagesMs[name] ??= []).push(ms);
  const stagesOf = async (r: Outcome, scheduled: number) => {
    let s: Stages;
    try {
      s = await r.stages!();
    } catch {
      s = { at: {} };
    }
    for (const [name, at] of Object.entries(s.at)) note(name, at === undefined ? Infinity : at - scheduled);
    for (const [name, ms] of Object.entries(s.spans ?? {})) note(name, ms ?? Infinity);
  };

  const launch = (scheduled: number) => {
    const measured = scheduled >= measureFrom;
    maxLag = Math.max(maxLag, performance.now() - scheduled);
    if (measured) pendingMeasured++;
    const p = settle(o.fire).then((r) => {
      if (r.ok) totalOk++;
      if (r.ok && r.doneAt! >= measureFrom && r.doneAt! <= windowEnd) completedInWindow++;
      if (!measured) return;
      pendingMeasured--;
      if (r.ok) {
        ok++;
        latencies.push(r.doneAt! - scheduled);
        if (r.stages) return stagesOf(r, scheduled);
      } else if (r.doneAt === Infinity) {
        timedOut++;
        latencies.push(Infinity);
      } else {
        errors++;
        if (r.error && errorSamples.length < 5) errorSamples.push(r.error);
      }
    });
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  for (let i = 0; i < total && !stopped; ) {
    const now = performance.now();
    while (i < total && t0 + i * interval <= now) launch(t0 + i++ * interval);
    if (i < total) await sleep(Math.min(50, Math.max(0, t0 + i * interval - performance.now())));
  }
  const giveUp = new AbortController();
  await Promise.race([Promise.all([...inFlight]), sleep(o.drainTimeoutMs ?? 60_000, undefined, { signal: giveUp.signal }).catch(() => {})]);
  giveUp.abort();
  const stragglers = pendingMeasured;
  for (let k = 0; k < stragglers; k++) latencies.push(Infinity);
  const timeouts = stragglers + timedOut;
  return {
    latenciesMs: latencies,
    ok,
    errors,
    timeouts,
    completedPerSec: completedInWindow / (Math.max(1, windowEnd - measureFrom) / 1000),
    totalOk,
    ...(Object.keys(stagesMs).length ? { stagesMs } : {}),
    offeredPerSec: o.ratePerSec,
    maxSendLagMs: Math.round(maxLag * 10) / 10,
    errorSamples,
  };
}

export interface ClosedLoopOptions {
  concurrency: number;
  /** Least warm-up; it lasts at least until every caller has finished one operation (steady state). */
  warmupMs: number;
  durationMs: number;
  fire: Fire;
  /** Warm-up ends here even if some caller has not finished an operation yet. */
  maxWarmupMs?: number;
  /**
   * Callers start this far apart in total (default: over the least warm-up, at most 1 s), so they do
   * not move through the system in lockstep and completions do not arrive in waves.
   */
  staggerMs?: number;
}

/**
 * All callers start at once, so the first completions arrive only after one full latency at
 * saturation; the measured window therefore opens once every caller has completed an operation.
 * @example const r = await closedLoop({ concurrency: 32, warmupMs: 2000, durationMs: 10_000, fire: () => post() });
 */
export async function closedLoop(o: ClosedLoopOptions): Promise<LoadResult & { warmupMs: number }> {
  const t0 = performance.now();
  let measureFrom = Infinity;
  let end = Infinity;
  const warmedUp = new Set<number>();
  const openWindow = (now: number) => {
    if (measureFrom !== Infinity) return;
    measureFrom = Math.max(now, t0 + o.warmupMs);
    end = measureFrom + o.durationMs;
  };
  const forced = setTimeout(() => openWindow(performance.now()), o.maxWarmupMs ?? 60_000);
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let ok = 0;
  let errors = 0;
  let completedInWindow = 0;
  let timeouts = 0;
  let totalOk = 0;

  const stagger = o.staggerMs ?? Math.min(o.warmupMs, 1000);
  async function caller(id: number) {
    await sleep((id * stagger) / o.concurrency);
    while (performance.now() < end) {
      const started = performance.now();
      const r = await settle(o.fire);
      if (r.ok) totalOk++;
      if (!warmedUp.has(id)) {
        warmedUp.add(id);
        if (warmedUp.size === o.concurrency) openWindow(performance.now());
      }
      if (r.doneAt === Infinity) {
        if (started >= measureFrom) timeouts++;
        continue;
      }
      const inWindow = r.doneAt! >= measureFrom && r.doneAt! <= end;
      if (!inWindow) continue;
      if (r.ok) {
        ok++;
        completedInWindow++;
        latencies.push(r.doneAt! - started);
      } else {
        errors++;
        if (r.error && errorSamples.length < 5) errorSamples.push(r.error);
        // A failing system answers fast; do not spin a core on it.
        await sleep(10);
      }
    }
  }
  await Promise.all(Array.from({ length: o.concurrency }, (_, i) => caller(i)));
  clearTimeout(forced);
  return {
    latenciesMs: latencies,
    ok,
    errors,
    timeouts,
    completedPerSec: completedInWindow / (o.durationMs / 1000),
    totalOk,
    errorSamples,
    warmupMs: Math.round(measureFrom - t0),
  };
}
