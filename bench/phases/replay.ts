/**
 * Replay: recorded histories (test/histories) replayed by `Worker.runReplayHistories` against the
 * current workflow code, from a bundle built beforehand (bundling is not timed). A replay worker
 * replays one history at a time on one core, so the phase runs it in one process, then in one
 * process per core at once (as a test runner or a fleet of restarted workers would); each process
 * warms up before the common clock starts. The figure is completions per second of wall clock,
 * the median over one-second slices.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflows } from '../../workers/workflow-bundle.js';
import { startChild, type Child } from '../lib/children.js';
import { replayDataConverter } from '../lib/data-converter.js';
import { median, round } from '../lib/stats.js';
import { loadHistories } from './replay-histories.js';

export interface ReplayRun {
  processes: number;
  historiesPerSec: number | null;
  eventsPerSec: number | null;
  replayed: number;
}

export interface ReplayResults {
  histories: number;
  eventsPerPass: number;
  /** One process per core, all at once: the headline figures. */
  processes: number;
  historiesPerSec: number | null;
  eventsPerSec: number | null;
  replayed: number;
  /** One replay process alone. */
  singleProcess: ReplayRun;
  errors: string[];
  bundleMs: number;
}

type Done = { type: 'done'; finished: Array<[number, number]>; errors: string[] };

/** `processes` replay processes, started and warmed up, then measured together for `durationMs`. */
async function measure(processes: number, durationMs: number, bundlePath: string, dir: string): Promise<ReplayRun & { errors: string[] }> {
  const children: Array<{ child: Child; done: Promise<Done> }> = [];
  try {
    for (let i = 0; i < processes; i++) {
      let resolveDone!: (d: Done) => void;
      const done = new Promise<Done>((resolve) => (resolveDone = resolve));
      const child = await startChild({
        name: `replay-${i + 1}`,
        entry: 'bench/phases/replay-process.ts',
        env: { ...process.env, BENCH_REPLAY_BUNDLE: bundlePath },
        logFile: path.join(dir, `replay-${processes}-${i + 1}.log`),
        onMessage: (m) => {
          if ((m as Done)?.type === 'done') resolveDone(m as Done);
        },
      });
      children.push({ child, done });
    }
    for (const { child } of children) child.send({ type: 'go', durationMs });
    const results = await Promise.all(children.map((c) => c.done));
    const finished = results.flatMap((r) => r.finished).filter(([at]) => at <= durationMs);
    const slices = Math.floor(durationMs / 1000);
    const counts = Array.from({ length: slices }, () => 0);
    const events = Array.from({ length: slices }, () => 0);
    for (const [at, n] of finished) {
      const slice = Math.floor(at / 1000);
      if (slice < slices) {
        counts[slice]!++;
        events[slice]! += n;
      }
    }
    return { processes, historiesPerSec: median(counts), eventsPerSec: median(events), replayed: finished.length, errors: results.flatMap((r) => r.errors) };
  } finally {
    await Promise.all(children.map(({ child }) => child.stop()));
  }
}

export async function measureReplay(minMs: number, log: (line: string) => void): Promise<ReplayResults> {
  const set = loadHistories();
  const eventsPerPass = set.reduce((n, h) => n + h.events, 0);
  // As the replay test does: the test runs' payload codec, and its failure converter in the bundle.
  const dataConverter = await replayDataConverter();
  const t = performance.now();
  const { code } = await bundleWorkflows({ failureConverterPath: dataConverter?.failureConverterPath });
  const bundleMs = round(performance.now() - t);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-replay-'));
  try {
    const bundlePath = path.join(dir, 'workflow-bundle.js');
    writeFileSync(bundlePath, code);
    const durationMs = Math.max(2000, minMs);
    const single = await measure(1, durationMs, bundlePath, dir);
    log(`replay, 1 process: ${single.historiesPerSec} histories/s, ${single.eventsPerSec} events/s (${single.replayed} replays of ${set.length} histories)`);
    const cores = os.availableParallelism();
    const all = cores > 1 ? await measure(cores, durationMs, bundlePath, dir) : single;
    if (cores > 1) log(`replay, ${cores} processes: ${all.historiesPerSec} histories/s, ${all.eventsPerSec} events/s (${all.replayed} replays)`);
    const { errors: singleErrors, ...singleProcess } = single;
    return {
      histories: set.length,
      eventsPerPass,
      processes: all.processes,
      historiesPerSec: all.historiesPerSec,
      eventsPerSec: all.eventsPerSec,
      replayed: all.replayed,
      singleProcess,
      errors: [...singleErrors, ...(cores > 1 ? all.errors : [])].slice(0, 5),
      bundleMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
