/** The goals of issues #7, #14, #15, #16 and #18 checked against a result, and the markdown table of `bench/results/latest.md`. */
import type { Machine } from './machine.js';

export interface Goal {
  figure: string;
  target: string;
  value: number | null;
  met: boolean | null;
}

const check = (figure: string, value: number | null | undefined, op: '<=' | '>=', limit: number, unit = ''): Goal => ({
  figure,
  target: `${op === '<=' ? '≤' : '≥'} ${limit}${unit}`,
  value: value ?? null,
  met: value == null ? null : op === '<=' ? value <= limit : value >= limit,
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Results = Record<string, any>;

export function goalsOf(r: Results): Goal[] {
  return [
    // Against the floor with the order's own shape (issue #18): the all-ordinary floor's ratios
    // stay in the table as information, since the order no longer has that shape.
    check('ratios.overheadVsShapedFloor', r.ratios?.overheadVsShapedFloor, '<=', 1.05),
    check('ratios.throughputVsShapedFloor', r.ratios?.throughputVsShapedFloor, '>=', 0.95),
    check('intake.p99Ms (at half of saturation)', r.intake?.p99Ms, '<=', 50, ' ms'),
    check('portfolio.full100kMs (pure core)', r.portfolio?.full100kMs, '<=', 1000, ' ms'),
    check('portfolio.temporal.full100kMs (through the portfolio workflow)', r.portfolio?.temporal?.full100kMs, '<=', 1000, ' ms'),
    check('portfolio.incrementalMs (pure core)', r.portfolio?.incrementalMs, '<=', 5, ' ms'),
    check('portfolio.temporal.incrementalMs (the activity through Temporal)', r.portfolio?.temporal?.incrementalMs, '<=', 5, ' ms'),
    check('portfolio.performance100kMs (TWR + MWR, MAX, 5 years, 100k entries)', r.portfolio?.performance100kMs, '<=', 1000, ' ms'),
    check('replay.vsLiveEventRate', r.replay?.vsLiveEventRate, '>=', 10),
    check('stream.fillToDbP99Ms (venue fill → FILLED in PostgreSQL)', r.stream?.fillToDbP99Ms, '<=', 250, ' ms'),
    check('stream.restingWeightPct (resting orders, % of 6000/min)', r.stream?.restingWeightPct, '<=', 10),
    check('stream.restingWeightPctSteady (with safety polls at their steady rate)', r.stream?.restingWeightPctSteady, '<=', 10),
    check('stream.rateLimitedResponses (429/418, two workers)', r.stream?.rateLimitedResponses, '<=', 0),
    check('twap.sliceDeviationP99Ms (100 slices)', r.twap?.sliceDeviationP99Ms, '<=', 1000, ' ms'),
    ...(r.twap?.withRestartBoundMs == null
      ? []
      : [check('twap.sliceDeviationP99MsWithRestart (1 s + the restart time)', r.twap.sliceDeviationP99MsWithRestart, '<=', r.twap.withRestartBoundMs, ' ms')]),
  ];
}

const fmt = (v: unknown) => (v === null || v === undefined ? '—' : String(v));

export function markdown(r: Results): string {
  const m = r.machine as Machine;
  const rows: Array<[string, unknown, string]> = [
    ['Intake: accepted/s at saturation', r.intake?.acceptedPerSec, `closed loop, ${r.method?.intakeConcurrency} callers`],
    ['Intake: p50 / p99 ms', `${fmt(r.intake?.p50Ms)} / ${fmt(r.intake?.p99Ms)}`, `open loop at ${fmt(r.intake?.ratePerSec)}/s (half of saturation)`],
    ['Direct INSERT: accepted/s at saturation', r.direct?.acceptedPerSec, "Hono → the API's auth, JSON body and rate-limit middleware → postgres.js, no workflow start"],
    ['Direct INSERT: p50 / p99 ms', `${fmt(r.direct?.p50Ms)} / ${fmt(r.direct?.p99Ms)}`, `same rate as intake`],
    ['Intake ÷ direct (throughput)', r.ratios?.intakeVsDirect, 'what the durable start costs'],
    ['End to end: orders/s at saturation', r.e2e?.ordersPerSec, `POST → FILLED, closed loop, ${r.method?.e2eConcurrency} callers`],
    ['End to end: p50 / p99 ms', `${fmt(r.e2e?.p50Ms)} / ${fmt(r.e2e?.p99Ms)}`, `open loop at ${fmt(r.e2e?.ratePerSec)}/s`],
    [
      'End to end: POST → on the venue p50 / p99 ms',
      `${fmt(r.e2e?.postToVenueP50Ms)} / ${fmt(r.e2e?.postToVenueP99Ms)}`,
      `the paper venue's stamp of the order; shaped floor to the same step ${fmt(r.shapedFloor?.postToVenueStepP50Ms)} / ${fmt(r.shapedFloor?.postToVenueStepP99Ms)} (ratio ${fmt(r.ratios?.postToVenueVsShapedFloor)}), floor ${fmt(r.floor?.postToVenueStepP50Ms)} / ${fmt(r.floor?.postToVenueStepP99Ms)}`,
    ],
    [
      'End to end: POST → portfolio snapshot p50 / p99 ms',
      `${fmt(r.e2e?.toPortfolioP50Ms)} / ${fmt(r.e2e?.toPortfolioP99Ms)}`,
      `the first snapshot that includes the fill, same runs as FILLED (${fmt(r.e2e?.p50Ms)} / ${fmt(r.e2e?.p99Ms)}); FILLED → snapshot ${fmt(r.e2e?.fillToPortfolioP50Ms)} / ${fmt(r.e2e?.fillToPortfolioP99Ms)} per order, of which the workflow's debounce ${fmt(r.engine?.portfolioDebounceMs)} ms`,
    ],
    ['Floor: runs/s at saturation', r.floor?.ordersPerSec, `${fmt(r.engine?.orderShape?.activityCount)} ordinary activities, one Postgres transaction each`],
    ['Floor: p50 / p99 ms', `${fmt(r.floor?.p50Ms)} / ${fmt(r.floor?.p99Ms)}`, 'same rate as end to end'],
    ['Overhead vs floor (p50)', r.ratios?.overheadVsFloor, 'e2e p50 ÷ floor p50'],
    ['Throughput vs floor', r.ratios?.throughputVsFloor, 'e2e orders/s ÷ floor runs/s'],
    ['Shaped floor: runs/s, p50 / p99 ms', `${fmt(r.shapedFloor?.ordersPerSec)}; ${fmt(r.shapedFloor?.p50Ms)} / ${fmt(r.shapedFloor?.p99Ms)}`, `the floor with the order's ${fmt(r.engine?.orderShape?.localActivityCount)} local activities local too`],
    ['vs shaped floor: p50, throughput, CPU', `${fmt(r.ratios?.overheadVsShapedFloor)}, ${fmt(r.ratios?.throughputVsShapedFloor)}, ${fmt(r.ratios?.cpuPerOrderVsShapedFloor)}`, 'what the order logic costs on the same shape'],
    [
      'Unloaded p50 / p99 ms: e2e; shaped floor (ratio)',
      `${fmt(r.e2e?.unloadedP50Ms)} / ${fmt(r.e2e?.unloadedP99Ms)}; ${fmt(r.shapedFloor?.unloadedP50Ms)} / ${fmt(r.shapedFloor?.unloadedP99Ms)} (${fmt(r.ratios?.unloadedOverheadVsShapedFloor)})`,
      `open loop at ${fmt(r.e2e?.unloadedRatePerSec)}/s, a tenth of saturation: the path without queueing (information)`,
    ],
    ['CPU per order: e2e / floor ms (ratio)', `${fmt(r.e2e?.saturation?.cpuMsPerOp)} / ${fmt(r.floor?.saturation?.cpuMsPerOp)} (${fmt(r.ratios?.cpuPerOrderVsFloor)})`, 'whole stack, saturation runs'],
    ['CPU per accepted order: intake / direct ms', `${fmt(r.intake?.saturation?.cpuMsPerOp)} / ${fmt(r.direct?.saturation?.cpuMsPerOp)}`, 'whole stack, saturation runs'],
    ['Portfolio full recompute 1k / 10k / 100k ms', `${fmt(r.portfolio?.full1kMs)} / ${fmt(r.portfolio?.full10kMs)} / ${fmt(r.portfolio?.full100kMs)}`, 'pure core'],
    [
      'Portfolio full recalculation 1k / 10k / 100k ms: Temporal; in process',
      `${fmt(r.portfolio?.temporal?.full1kMs)} / ${fmt(r.portfolio?.temporal?.full10kMs)} / ${fmt(r.portfolio?.temporal?.full100kMs)}; ${fmt(r.portfolio?.activity?.full1kMs)} / ${fmt(r.portfolio?.activity?.full10kMs)} / ${fmt(r.portfolio?.activity?.full100kMs)}`,
      "the portfolio workflow's recalculate Update on the engine's worker; the activity's function called in the bench process (baseline)",
    ],
    [
      'Portfolio incremental ms: Temporal; in process; pure',
      `${fmt(r.portfolio?.temporal?.incrementalMs)}; ${fmt(r.portfolio?.activity?.incrementalMs)}; ${fmt(r.portfolio?.incrementalMs)}`,
      `one fill onto ${fmt(r.portfolio?.temporal?.incrementalOnFills)}: the workflow's activity, scheduled → completed (signal → snapshot ${fmt(r.portfolio?.temporal?.incrementalSignalToSnapshotMs)} ms, of which the ${fmt(r.portfolio?.temporal?.debounceMs)} ms debounce timer took ${fmt(r.portfolio?.temporal?.incrementalSpans?.timerMs)} ms); the activity's function in process; the fold in memory`,
    ],
    [
      'Performance (TWR + MWR) ms: MAX / 1Y / YTD; baseline MAX',
      `${fmt(r.portfolio?.performance?.large?.ranges?.MAX?.p50Ms)} / ${fmt(r.portfolio?.performance?.large?.ranges?.['1Y']?.p50Ms)} / ${fmt(r.portfolio?.performance?.large?.ranges?.YTD?.p50Ms)}; ${fmt(r.portfolio?.performanceBaselineMs)}`,
      `portfolioPerformance (series read + decimal.js), median; ${fmt(r.portfolio?.performance?.large?.transactions)} entries and ${fmt(r.portfolio?.performance?.large?.snapshots)} points over 5 years; baseline ${fmt(r.portfolio?.performance?.baseline?.transactions)} entries over 1 year`,
    ],
    ['/health p99 ms idle / during recalculations', `${fmt(r.portfolio?.health?.idle?.p99Ms)} / ${fmt(r.portfolio?.health?.burst?.p99Ms)}`, `${fmt(r.portfolio?.health?.burst?.recalculations)} full recalculations of ${fmt(r.portfolio?.health?.burst?.fills)} fills`],
    [
      'Cluster: orders/s, 1 worker / 2 workers (ratio)',
      r.cluster ? `${fmt(r.cluster.ordersPerSec1Worker)} / ${fmt(r.cluster.ordersPerSec2Workers)} (${fmt(r.cluster.twoVsOneWorker)})` : null,
      r.cluster ? `same Temporal server and PostgreSQL, runs alternating; p50 ${fmt(r.cluster.p50Ms1Worker)} / ${fmt(r.cluster.p50Ms2Workers)} ms, CPU ms/order ${fmt(r.cluster.cpuMsPerOrder1Worker)} / ${fmt(r.cluster.cpuMsPerOrder2Workers)}` : 'the cluster target only',
    ],
    [
      'Replay: histories/s, all cores / one process',
      `${fmt(r.replay?.historiesPerSec)} / ${fmt(r.replay?.singleProcess?.historiesPerSec)}`,
      `${fmt(r.replay?.processes)} replay processes at once, then one alone; ${fmt(r.replay?.histories)} histories in test/histories, repeated`,
    ],
    ['Replay ÷ live event rate', r.replay?.vsLiveEventRate, `replayed events/s ÷ (e2e orders/s × ${fmt(r.engine?.orderShape?.eventsPerOrder)} events)`],
    [
      'Binance fill → FILLED in DB p50 / p99 ms: stream / polls only',
      `${fmt(r.stream?.fillToDbP50Ms)} / ${fmt(r.stream?.fillToDbP99Ms)}; ${fmt(r.stream?.fillToDbP50MsPolls)} / ${fmt(r.stream?.fillToDbP99MsPolls)}`,
      `resting LIMIT filled on the fake; ${fmt(r.stream?.fillToDb?.count)} and ${fmt(r.stream?.fillToDbPolls?.count)} fills (timeouts ${fmt(r.stream?.fillToDb?.timeouts)} / ${fmt(r.stream?.fillToDbPolls?.timeouts)})`,
    ],
    [
      'Resting orders: weight % of 6000/min, stream (steady) / polls only',
      `${fmt(r.stream?.restingWeightPct)} (${fmt(r.stream?.restingWeightPctSteady)}) / ${fmt(r.stream?.restingWeightPctPolls)}`,
      `${fmt(r.stream?.restingOrders)} resting Binance orders, window ${r.stream ? Math.round(r.stream.restingWindowMs / 1000) : '—'} s`,
    ],
    [
      '429/418 with two workers: shared budget / budget off',
      `${fmt(r.stream?.rateLimitedResponses)} / ${fmt(r.stream?.rateLimitedResponsesUnbudgeted)}`,
      `chaos-shaped load; limit ${fmt(r.stream?.weightLimitPerMin)}/min, the load asks up to ${fmt(r.stream?.peakWeightAskedPerMin)}/min unthrottled`,
    ],
  ];
  const goals = (r.goals as Goal[]).map((g) => `| ${g.figure} | ${g.target} | ${fmt(g.value)} | ${g.met === null ? 'not measured' : g.met ? 'met' : '**not met**'} |`);
  return [
    `# Durable Trader bench: ${r.mode} run, ${r.finishedAt}`,
    '',
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, Temporal CLI ${m.temporalCli}.`,
    `Load average (1 min) during the run: ${m.loadAverage.start} at start, ${m.loadAverage.max} at most, ${m.loadAverage.end} at the end.` +
      (m.otherCoresDuringRuns ? ` Other work on the machine kept ${m.otherCoresDuringRuns.mean} of ${m.cpus} cores busy on average during the measured runs (${m.otherCoresDuringRuns.max} at most).` : ''),
    `Runs per figure: ${r.method?.repeats} (median reported); warm-up ${r.method?.warmupMs} ms per run.`,
    '',
    '| figure | value | how |',
    '| --- | --- | --- |',
    ...rows.map(([a, b, c]) => `| ${a} | ${fmt(b)} | ${c} |`),
    '',
    '| goal | target | value | |',
    '| --- | --- | --- | --- |',
    ...goals,
    '',
  ].join('\n');
}
