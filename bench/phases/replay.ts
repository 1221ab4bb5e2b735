/**
 * Replay: recorded histories (test/histories) replayed by `Worker.runReplayHistories` against the
 * current workflow code, from a bundle built beforehand (bundling is not timed). The replay worker
 * replays one history at a time; the clock starts when it asks for the first history, so its
 * construction is not timed either. The set is repeated until the run lasts `minMs`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { PROJECT_ROOT } from '../../lib/embedded/temporal-cli.js';
import type { DataConverter } from '@temporalio/common';
import { WORKFLOWS_PATH } from '../../workers/create-workers.js';
import { replayDataConverter } from '../lib/data-converter.js';
import { median, round } from '../lib/stats.js';

export const HISTORIES_DIR = path.join(PROJECT_ROOT, 'test', 'histories');

export interface ReplayResults {
  histories: number;
  eventsPerPass: number;
  replayed: number;
  historiesPerSec: number | null;
  eventsPerSec: number | null;
  errors: string[];
  bundleMs: number;
}

type Loaded = { workflowId: string; history: ReturnType<typeof historyFromJSON>; events: number };

async function pass(workflowBundle: { code: string }, dataConverter: DataConverter | undefined, set: Loaded[], copies: number, tag: string) {
  let first: number | undefined;
  let count = 0;
  let events = 0;
  const errors: string[] = [];
  async function* feed() {
    for (let c = 0; c < copies; c++) {
      for (const h of set) {
        first ??= performance.now();
        events += h.events;
        yield { workflowId: `${h.workflowId}-${tag}-${c}`, history: h.history };
      }
    }
  }
  for await (const r of Worker.runReplayHistories({ workflowBundle, ...(dataConverter ? { dataConverter } : {}) }, feed())) {
    count++;
    if (r.error && errors.length < 5) errors.push(`${r.workflowId}: ${r.error.message}`);
  }
  return { ms: performance.now() - (first ?? performance.now()), count, events, errors };
}

export async function measureReplay(minMs: number, log: (line: string) => void): Promise<ReplayResults> {
  const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();
  const set: Loaded[] = files.map((f) => {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, f), 'utf8')));
    return { workflowId: path.basename(f, '.json'), history, events: history.events?.length ?? 0 };
  });
  const eventsPerPass = set.reduce((n, h) => n + h.events, 0);
  // As the replay test does: the test runs' payload codec, and its failure converter in the bundle.
  const dataConverter = await replayDataConverter();
  const failureConverterPath = dataConverter?.failureConverterPath;
  const t = performance.now();
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...(failureConverterPath ? { failureConverterPath } : {}), logger: new DefaultLogger('WARN') });
  const bundleMs = round(performance.now() - t);

  const warm = await pass({ code }, dataConverter, set, 1, 'warm');
  // Batches of about a second each, until minMs have been measured.
  const copies = Math.max(1, Math.ceil(1000 / Math.max(1, warm.ms)));
  const rates: number[] = [];
  const eventRates: number[] = [];
  const errors = [...warm.errors];
  let replayed = 0;
  let spent = 0;
  for (let b = 0; spent < minMs || rates.length < 3; b++) {
    const r = await pass({ code }, dataConverter, set, copies, `b${b}`);
    rates.push(r.count / (r.ms / 1000));
    eventRates.push(r.events / (r.ms / 1000));
    replayed += r.count;
    spent += r.ms;
    errors.push(...r.errors.slice(0, 5 - errors.length));
  }
  const result = { histories: set.length, eventsPerPass, replayed, historiesPerSec: median(rates), eventsPerSec: median(eventRates), errors, bundleMs };
  log(`replay: ${result.historiesPerSec} histories/s, ${result.eventsPerSec} events/s (${replayed} replays of ${set.length} histories, median of ${rates.length} batches)`);
  return result;
}
