/**
 * One replay process of the replay phase (bench/phases/replay.ts starts one per core): loads the
 * recorded histories and the prebuilt bundle, replays the set once to warm up, says `ready`, and
 * on `go` replays the set over and over with `Worker.runReplayHistories` for `durationMs`, then
 * sends when each replay finished (ms after `go`) and how many events it had.
 */
import { readFileSync } from 'node:fs';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { replayDataConverter } from '../lib/data-converter.js';
import { loadHistories } from './replay-histories.js';

interface Go {
  type: 'go';
  durationMs: number;
}

// tsx turns on Node's source maps for readable stack traces of the TypeScript source. Replay needs
// none, and with them on Node inspects every function the SDK compiles while replaying (its
// stack-trace promise hook makes one per promise): about 10 % of replay time here.
process.setSourceMapsEnabled(false);

const bundlePath = process.env.BENCH_REPLAY_BUNDLE;
if (!bundlePath) throw new Error('BENCH_REPLAY_BUNDLE (the prebuilt workflow bundle) is not set');
Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
const workflowBundle = { code: readFileSync(bundlePath, 'utf8') };
const dataConverter = await replayDataConverter();
const set = loadHistories();

/** Replays the set until `until()` says stop; calls `done` after each history. */
async function replay(tag: string, until: () => boolean, done: (events: number, error?: string) => void): Promise<void> {
  const eventsOf = new Map<string, number>();
  async function* feed() {
    for (let round = 0; !until(); round++) {
      for (const h of set) {
        if (until()) return;
        const workflowId = `${h.workflowId}-${tag}-${round}`;
        eventsOf.set(workflowId, h.events);
        yield { workflowId, history: h.history };
      }
    }
  }
  for await (const r of Worker.runReplayHistories({ workflowBundle, ...(dataConverter ? { dataConverter } : {}) }, feed())) {
    done(eventsOf.get(r.workflowId) ?? 0, r.error ? `${r.workflowId}: ${r.error.message}` : undefined);
    eventsOf.delete(r.workflowId);
  }
}

let warmed = 0;
await replay('warm', () => warmed >= set.length, () => warmed++);
process.send?.({ type: 'ready' });

process.on('message', (m: Go) => {
  if (m?.type !== 'go') return;
  void (async () => {
    const start = performance.now();
    const finished: Array<[number, number]> = [];
    const errors: string[] = [];
    await replay('m', () => performance.now() - start >= m.durationMs, (events, error) => {
      finished.push([performance.now() - start, events]);
      if (error && errors.length < 5) errors.push(error);
    });
    process.send?.({ type: 'done', finished, errors }, () => process.exit(0));
  })();
});
