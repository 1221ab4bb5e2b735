/**
 * Timings of the portfolio accounting core: a full recompute of 1k, 10k and 100k fills under both
 * methods, and one incremental update of a 100k-fill state the way the recalculation activity does
 * it (parse the stored state, apply the new fill, value it, serialize it). Figures only.
 *
 *   node --import tsx bench/portfolio.ts
 */
import { performance } from 'node:perf_hooks';
import {
  applyTrade,
  parseState,
  recompute,
  serializeState,
  summarize,
  type AccountingMethod,
  type Trade,
} from '../domain/portfolio/accounting.js';

import { historyFills as fills, PRICES, SYMBOLS } from './phases/fills.js';

function time<T>(fn: () => T, runs: number): { ms: number; value: T } {
  const samples: number[] = [];
  let value!: T;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    value = fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)]!, value };
}

const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`);

console.log(`node ${process.version}, ${SYMBOLS.length} symbols × 2 venues, quote-currency fees; median of runs\n`);
console.log('full recompute (and, apart, summarize of its result)');
const histories = new Map<number, Trade[]>();
for (const n of [1_000, 10_000, 100_000]) histories.set(n, fills(n));
for (const method of ['average', 'fifo'] as AccountingMethod[]) {
  for (const [n, trades] of histories) {
    const runs = n >= 100_000 ? 3 : 9;
    const { ms, value: state } = time(() => recompute(trades, method), runs);
    const valued = time(() => summarize(state, PRICES, { usdtUsdRate: '0.9995' }), runs);
    const perFill = (ms * 1000) / n;
    console.log(`  ${method.padEnd(7)} ${String(n).padStart(7)} fills: ${fmt(ms).padStart(9)}  (${perFill.toFixed(2)} µs/fill), summarize ${fmt(valued.ms)}`);
  }
}

console.log('\none incremental update of a 100k-fill state (what the activity does per new fill, without Postgres)');
const base = histories.get(100_000)!;
const next: Trade = { ...base.at(-1)!, id: 'b-next', side: 'BUY', quantity: '1', executedAt: new Date(Date.parse(base.at(-1)!.executedAt) + 1000).toISOString() };
for (const method of ['average', 'fifo'] as AccountingMethod[]) {
  const stored = serializeState(recompute(base, method));
  const bytes = Buffer.byteLength(JSON.stringify(stored));
  const parse = time(() => parseState(stored), 21);
  const apply = time(() => applyTrade(parse.value, next), 201);
  const value = time(() => summarize(apply.value, PRICES, { usdtUsdRate: '0.9995' }), 21);
  const write = time(() => serializeState(apply.value), 21);
  const total = parse.ms + apply.ms + value.ms + write.ms;
  console.log(
    `  ${method.padEnd(7)} parse ${fmt(parse.ms)}, apply ${fmt(apply.ms)}, summarize ${fmt(value.ms)}, serialize ${fmt(write.ms)}: ${fmt(total)} in all (state ${(bytes / 1024).toFixed(1)} KiB)`,
  );
}
