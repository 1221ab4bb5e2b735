/** Repeated closed- and open-loop runs of an operation and of its baseline, alternating, reduced to medians. */
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSnapshot, cpuUse, type CpuUse } from '../lib/cpu.js';
import { closedLoop, openLoop, type Fire, type LoadResult } from '../lib/load.js';
import type { Profile } from '../lib/profile.js';
import { median, round, summarize, type LatencySummary } from '../lib/stats.js';

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
  /** Open loop: the operations' other stages (bench/lib/load.ts `Stages`), by name; `missing` never reached. */
  stages?: Record<string, LatencySummary & { missing: number }>;
  errorSamples?: string[];
}

export interface Measured {
  /** Medians over the runs. */
  perSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  /** CPU of the whole stack per completed operation (ms): steadier than rates on a shared machine. */
  cpuMsPerOp: number | null;
  /** Medians over the runs of each stage's p50 and p99, when the operation has stages. */
  stages?: Record<string, { p50Ms: number | null; p99Ms: number | null }>;
  runs: RunFigures[];
}

function figures(r: LoadResult & { warmupMs?: number }): RunFigures {
  const s = summarize(r.latenciesMs);
  const stages = r.stagesMs && Object.fromEntries(Object.entries(r.stagesMs).map(([name, ms]) => [name, { ...summarize(ms), missing: ms.filter((x) => x === Infinity).length }]));
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
    ...(stages ? { stages } : {}),
    ...(r.errorSamples.length ? { errorSamples: r.errorSamples } : {}),
  };
}

function reduce(runs: RunFigures[]): Measured {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.stages ?? {})))];
  const stage = (name: string, p: 'p50Ms' | 'p99Ms') => median(runs.map((r) => r.stages?.[name]?.[p] ?? null));
  return {
    perSec: median(runs.map((r) => r.completedPerSec)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    cpuMsPerOp: median(runs.map((r) => r.cpu?.stackMsPerOp ?? null)),
    ...(names.length ? { stages: Object.fromEntries(names.map((n) => [n, { p50Ms: stage(n, 'p50Ms'), p99Ms: stage(n, 'p99Ms') }])) } : {}),
    runs,
  };
}

/** One thing to measure: the operation, and how to wait for the system to drain after a run. */
export interface Subject {
  label: string;
  fire: Fire;
  /** Called after every run of this subject: wait until the system has drained. */
  drained?: () => Promise<void>;
  /** Called before every run of this subject: put the system in the subject's shape (e.g. start a worker). */
  before?: () => Promise<void>;
}

export interface PairOptions {
  /** Callers of the closed-loop runs. */
  concurrency: number;
  profile: Profile;
  log: (line: string) => void;
  /** Processes whose CPU each run reports (name → pid). */
  cpuParts?: Record<string, number | undefined>;
}

export interface PairResults {
  saturation: Measured;
  latency: Measured & { ratePerSec: number };
  /** Latency with next to no queueing (`measureUnloaded`), for the subjects that were given it. */
  unloaded?: Measured & { ratePerSec: number };
}

/** `temporal 0.81, postgres 0.35, … (others 0.6)`: cores per part, for progress lines. */
function cpuLine(cpu: CpuUse | undefined): string {
  if (!cpu) return '';
  const busy = Object.entries(cpu.cores).filter(([, c]) => c >= 0.05).map(([k, c]) => `${k} ${c}`);
  return `; cores: ${busy.join(', ')} (rest of the machine ${cpu.otherCores})`;
}

function stagesLine(r: RunFigures): string {
  const stages = Object.entries(r.stages ?? {}).map(([name, s]) => `${name} ${s.p50Ms}/${s.p99Ms}${s.missing ? ` (${s.missing} missing)` : ''}`);
  return stages.length ? `; stages p50/p99 ms: ${stages.join(', ')}` : '';
}

function outcomeLine(r: RunFigures): string {
  return `p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms${stagesLine(r)}${r.errors ? `, ${r.errors} errors (${r.errorSamples?.[0]})` : ''}${r.timeouts ? `, ${r.timeouts} timeouts` : ''}${cpuLine(r.cpu)}`;
}

async function withCpu<T extends LoadResult>(parts: Record<string, number | undefined> | undefined, run: () => Promise<T>): Promise<RunFigures> {
  const before = parts && cpuSnapshot(parts);
  const r = await run();
  const cpu = parts && cpuUse(before, cpuSnapshot(parts), r.totalOk);
  return { ...figures(r), ...(cpu ? { cpu } : {}) };
}

/**
 * Saturation (closed loop) of `main`, then latency (open loop) at `latencyLoadFraction` of its
 * saturation throughput; `others` (baselines) get the same concurrency and the same rate. Runs
 * alternate between them (main, other, main, other, …), so load from outside the bench that
 * comes and goes during the phase hits all alike.
 */
export async function measurePair(main: Subject, others: Subject[], o: PairOptions): Promise<{ main: PairResults; others: PairResults[] }> {
  const { profile, log } = o;
  const subjects = [main, ...others];
  const sat = new Map<Subject, RunFigures[]>(subjects.map((s) => [s, []]));
  for (let i = 0; i < profile.repeats; i++) {
    for (const s of subjects) {
      await s.before?.();
      const r = await withCpu(o.cpuParts, () => closedLoop({ concurrency: o.concurrency, warmupMs: profile.warmupMs, durationMs: profile.saturationMs, fire: s.fire }));
      sat.get(s)!.push(r);
      log(`${s.label} saturation run ${i + 1}/${profile.repeats}: ${r.completedPerSec}/s at ${o.concurrency} callers (warm-up ${r.warmupMs} ms), ${outcomeLine(r)}`);
      await s.drained?.();
      await sleep(200);
    }
  }
  const mainSaturation = reduce(sat.get(main)!);
  const latency = await openLoopRuns(subjects, (mainSaturation.perSec ?? 1) * profile.latencyLoadFraction, profile.latencyMs, '', o);
  const results = (s: Subject, i: number): PairResults => ({ saturation: reduce(sat.get(s)!), latency: latency[i]! });
  return { main: results(main, 0), others: others.map((s, i) => results(s, i + 1)) };
}

/**
 * Latency at a rate low enough that an operation rarely waits behind another (`unloadedLoadFraction`
 * of a saturation throughput): what the path itself costs. At half of saturation both sides also
 * wait in the same queues, which narrows their ratio. Runs alternate between the subjects.
 */
export function measureUnloaded(subjects: Subject[], ratePerSec: number, o: PairOptions): Promise<Array<Measured & { ratePerSec: number }>> {
  return openLoopRuns(subjects, ratePerSec, o.profile.unloadedMs, ' unloaded', o);
}

/** Open-loop runs of every subject at one rate, alternating, `repeats` of each, reduced to medians. */
async function openLoopRuns(subjects: Subject[], ratePerSec: number, durationMs: number, what: string, o: PairOptions): Promise<Array<Measured & { ratePerSec: number }>> {
  const { profile, log } = o;
  const rate = round(Math.max(0.5, ratePerSec));
  const runs = new Map<Subject, RunFigures[]>(subjects.map((s) => [s, []]));
  for (let i = 0; i < profile.repeats; i++) {
    for (const s of subjects) {
      await s.before?.();
      const r = await withCpu(o.cpuParts, () => openLoop({ ratePerSec: rate, warmupMs: profile.warmupMs, durationMs, fire: s.fire, drainTimeoutMs: profile.completionTimeoutMs }));
      runs.get(s)!.push(r);
      log(`${s.label}${what} at ${rate}/s run ${i + 1}/${profile.repeats}: completed ${r.completedPerSec}/s, ${outcomeLine(r)}`);
      await s.drained?.();
      await sleep(200);
    }
  }
  return subjects.map((s) => ({ ratePerSec: rate, ...reduce(runs.get(s)!) }));
}
