/** Repeated closed- and open-loop runs of one operation, reduced to medians. */
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSnapshot, cpuUse, type CpuUse } from '../lib/cpu.js';
import { closedLoop, openLoop, type Fire, type LoadResult } from '../lib/load.js';
import type { Profile } from '../lib/profile.js';
import { median, round, summarize } from '../lib/stats.js';

export interface RunFigures {
  completedPerSec: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  ok: number;
  errors: number;
  timeouts: number;
  maxSendLagMs?: number;
  /** Closed loop: how long the warm-up lasted (until every caller had finished one operation). */
  warmupMs?: number;
  /** CPU of each part of the stack over the whole run (warm-up included), and of everything else on the machine. */
  cpu?: CpuUse;
  errorSamples?: string[];
}

export interface Measured {
  /** Medians over the runs. */
  perSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  runs: RunFigures[];
}

function figures(r: LoadResult & { warmupMs?: number }): RunFigures {
  const s = summarize(r.latenciesMs);
  return {
    completedPerSec: round(r.completedPerSec),
    p50Ms: s.p50Ms,
    p90Ms: s.p90Ms,
    p99Ms: s.p99Ms,
    maxMs: s.maxMs,
    ok: r.ok,
    errors: r.errors,
    timeouts: r.timeouts,
    ...(r.maxSendLagMs !== undefined ? { maxSendLagMs: r.maxSendLagMs } : {}),
    ...(r.warmupMs !== undefined ? { warmupMs: r.warmupMs } : {}),
    ...(r.errorSamples.length ? { errorSamples: r.errorSamples } : {}),
  };
}

function reduce(runs: RunFigures[]): Measured {
  return { perSec: median(runs.map((r) => r.completedPerSec)), p50Ms: median(runs.map((r) => r.p50Ms)), p99Ms: median(runs.map((r) => r.p99Ms)), runs };
}

export interface MeasureHooks {
  /** Called after every run, before the next: wait until the system has drained. */
  between?: () => Promise<void>;
  log?: (line: string) => void;
  /** Processes whose CPU is reported (name → pid). */
  cpuParts?: Record<string, number | undefined>;
}

/** `temporal 0.81, postgres 0.35, … (others 0.6)`: cores per part, for progress lines. */
function cpuLine(cpu: CpuUse | undefined): string {
  if (!cpu) return '';
  const busy = Object.entries(cpu.cores).filter(([, c]) => c >= 0.05).map(([k, c]) => `${k} ${c}`);
  return `; cores: ${busy.join(', ')} (rest of the machine ${cpu.otherCores})`;
}

async function withCpu<T extends LoadResult>(parts: Record<string, number | undefined> | undefined, run: () => Promise<T>): Promise<{ r: T; cpu?: CpuUse }> {
  const before = parts && cpuSnapshot(parts);
  const r = await run();
  const cpu = parts && cpuUse(before, cpuSnapshot(parts), r.totalOk);
  return cpu ? { r, cpu } : { r };
}

/** Closed loop at `concurrency`, `profile.repeats` times. */
export async function measureSaturation(label: string, fire: Fire, concurrency: number, profile: Profile, hooks: MeasureHooks = {}): Promise<Measured> {
  const runs: RunFigures[] = [];
  for (let i = 0; i < profile.repeats; i++) {
    const { r: raw, cpu } = await withCpu(hooks.cpuParts, () => closedLoop({ concurrency, warmupMs: profile.warmupMs, durationMs: profile.saturationMs, fire }));
    const r = { ...figures(raw), ...(cpu ? { cpu } : {}) };
    runs.push(r);
    hooks.log?.(`${label} saturation run ${i + 1}/${profile.repeats}: ${r.completedPerSec}/s at ${concurrency} callers (warm-up ${r.warmupMs} ms), p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms${r.errors ? `, ${r.errors} errors (${r.errorSamples?.[0]})` : ''}${r.timeouts ? `, ${r.timeouts} timeouts` : ''}${cpuLine(r.cpu)}`);
    await hooks.between?.();
    await sleep(500);
  }
  return reduce(runs);
}

/** Open loop at `ratePerSec`, `profile.repeats` times; latency from each request's scheduled time. */
export async function measureAtRate(label: string, fire: Fire, ratePerSec: number, profile: Profile, hooks: MeasureHooks & { drainTimeoutMs?: number } = {}): Promise<Measured & { ratePerSec: number }> {
  const runs: RunFigures[] = [];
  for (let i = 0; i < profile.repeats; i++) {
    const { r: raw, cpu } = await withCpu(hooks.cpuParts, () =>
      openLoop({ ratePerSec, warmupMs: profile.warmupMs, durationMs: profile.latencyMs, fire, drainTimeoutMs: hooks.drainTimeoutMs ?? profile.completionTimeoutMs }),
    );
    const r = { ...figures(raw), ...(cpu ? { cpu } : {}) };
    runs.push(r);
    hooks.log?.(`${label} at ${round(ratePerSec)}/s run ${i + 1}/${profile.repeats}: p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, completed ${r.completedPerSec}/s${r.errors ? `, ${r.errors} errors (${r.errorSamples?.[0]})` : ''}${r.timeouts ? `, ${r.timeouts} timeouts` : ''}${cpuLine(r.cpu)}`);
    await hooks.between?.();
    await sleep(500);
  }
  return { ratePerSec: round(ratePerSec), ...reduce(runs) };
}
