/**
 * `npm run bench [-- --quick] [-- --keep] [-- --only=e2e,floor,intake,performance,portfolio,replay,stream,twap] [-- --target=dev-server]`
 *
 * Starts its own engine (bench/lib/stack.ts), measures intake, end to end, the floor, portfolio
 * accounting and performance, replay and Binance orders on the user data stream (bench/phases/), writes
 * bench/results/latest.{json,md} (and <quick|full>.{json,md}), and stops everything it started,
 * also on failure or Ctrl-C.
 * Progress goes to stderr; the markdown table goes to stdout at the end.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ORDER_CHANNEL } from '../store/order-events.js';
import { createSql } from '../lib/db.js';
import { createLogger } from '../lib/logger.js';
import { CLUSTER_SHAPE } from '../lib/embedded/cluster-shape.js';
import { FLOOR_CHANNEL, FLOOR_TASK_QUEUE } from './floor/names.js';
import { Cleanup } from './lib/cleanup.js';
import { engineDataConverter } from './lib/data-converter.js';
import { connectEngineApi } from './lib/engine-api.js';
import { createHttpClient } from './lib/http.js';
import { watchMachine } from './lib/machine.js';
import { profiles } from './lib/profile.js';
import { goalsOf, markdown } from './lib/report.js';
import { BENCH_DATA_DIR, startStack, sweepStaleRuns, type StackTarget } from './lib/stack.js';
import { ratio, round } from './lib/stats.js';
import { floorStepAt, orderFacts, PortfolioTracker } from './lib/stages.js';
import { CompletionTracker, parseFloorChange, parseOrderChange } from './lib/tracker.js';
import { measureWorkerScaling, type WorkerScaling } from './phases/cluster.js';
import { measureDurable, ORDER_BODY, portfolioLoad, probeShape, describeSteps, type DurableContext, type DurableResults, type OrderShape, type PortfolioLoad } from './phases/durable.js';
import { measureIntake, type IntakeResults } from './phases/intake.js';
import type { PairResults } from './phases/measure.js';
import { measureHealth, measurePortfolio, type HealthResults, type PortfolioResults } from './phases/portfolio.js';
import { measurePortfolioThroughTemporal, type PortfolioTemporalResults } from './phases/portfolio-temporal.js';
import { measurePerformance, type PerformanceResults } from './phases/performance.js';
import { measureReplay, type ReplayResults } from './phases/replay.js';
import { measureStream, type StreamResults } from './phases/stream.js';
import { measureTwap, twapFigures, type TwapResults } from './phases/twap.js';

const PHASES = ['e2e', 'floor', 'intake', 'performance', 'portfolio', 'replay', 'stream', 'twap', 'cluster'] as const;
type Phase = (typeof PHASES)[number];

const args = process.argv.slice(2);
const profile = { ...profiles[args.includes('--quick') ? 'quick' : 'full'] };
// `--repeats=5`, `--e2eConcurrency=16`, …: any numeric setting of the profile, for experiments.
for (const a of args) {
  const m = /^--(\w+)=(\d+(?:\.\d+)?)$/.exec(a);
  if (!m) continue;
  const key = m[1] as keyof typeof profile;
  if (typeof profile[key] !== 'number') throw new Error(`--${m[1]}: not a numeric setting of the profile (${Object.keys(profile).filter((k) => typeof profile[k as keyof typeof profile] === 'number').join(', ')})`);
  (profile as Record<string, unknown>)[key] = Number(m[2]);
}
const keep = args.includes('--keep');
// What Temporal the engine runs on (bench/lib/stack.ts `StackTarget`); the cluster target of issue 18 plugs in there.
const targetArg = args.find((a) => a.startsWith('--target='))?.slice('--target='.length) ?? 'dev-server';
if (targetArg !== 'dev-server' && targetArg !== 'cluster') throw new Error(`--target: unknown target ${targetArg}; targets are dev-server and cluster`);
const target: StackTarget = targetArg;
const onlyArg = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const only = new Set<Phase>(onlyArg ? (onlyArg.split(',') as Phase[]) : PHASES);
// The worker-scaling phase needs the cluster's two workers.
if (target !== 'cluster') only.delete('cluster');
for (const p of only) if (!PHASES.includes(p)) throw new Error(`--only: unknown phase ${p}; phases are ${PHASES.join(', ')}`);
const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

const log = createLogger('bench', { level: 'info' });
const say = (line: string) => log.info(line);
const cleanup = new Cleanup(log);
Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });

let stopping = false;
/** Settles when start-up has finished or given up: a server still starting is registered only when it is up. */
let startup: Promise<unknown> = Promise.resolve();
/** The run's own files (Temporal's SQLite, PostgreSQL, logs); removed at the end unless --keep. */
let runDirectory: string | undefined;
async function stopAndExit(code: number, why: string): Promise<never> {
  if (stopping) return new Promise<never>(() => {});
  stopping = true;
  log.info(`stopping everything the bench started (${why})`);
  // Children still starting get stopped here, which makes a start-up in progress fail fast.
  await cleanup.run();
  const giveUp = new AbortController();
  await Promise.race([startup.catch(() => undefined), sleep(90_000, undefined, { signal: giveUp.signal }).catch(() => undefined)]);
  giveUp.abort();
  // A server that was coming up registered itself meanwhile.
  await cleanup.run();
  if (runDirectory && keep) log.info(`kept the run directory ${runDirectory}`);
  else if (runDirectory) rmSync(runDirectory, { recursive: true, force: true });
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAndExit(130, signal));

async function main(): Promise<number> {
  const startedAt = new Date();
  await sweepStaleRuns(log);
  const runDir: string = path.join(BENCH_DATA_DIR, `${process.pid}-${startedAt.getTime()}`);
  runDirectory = runDir;
  say(`${profile.name} run; phases: ${[...only].join(', ')}; files in ${runDir}`);
  const starting = startStack(runDir, cleanup, log, { target, workers: target === 'cluster' ? CLUSTER_SHAPE.workers : 1 });
  startup = starting;
  const stack = await starting;
  const machine = watchMachine(() => stack.temporal.version);
  void stack.firstExit.then((part) => stopAndExit(1, `${part} exited during the run`));
  say(`stack up in ${round((Date.now() - startedAt.getTime()) / 1000, 1)} s: API ${stack.urls.api}, Temporal ${stack.temporal.address}`);

  const sql = createSql(stack.databaseUrl, { max: 4, applicationName: 'bench' });
  cleanup.push('bench pool', () => sql.end({ timeout: 2 }));
  const connection = await Connection.connect({ address: stack.temporal.address });
  cleanup.push('bench Temporal connection', () => connection.close());
  const temporal = new Client({ connection, namespace: stack.config.TEMPORAL_NAMESPACE, dataConverter: await engineDataConverter(stack.config) });
  const orders = new CompletionTracker(parseOrderChange);
  const floor = new CompletionTracker(parseFloorChange);
  const portfolios = new PortfolioTracker(sql);
  await orders.listen(sql, ORDER_CHANNEL);
  await floor.listen(sql, FLOOR_CHANNEL);
  await portfolios.listen();
  const api = await connectEngineApi(stack.urls.api);
  // `--e2eAccounts=N`: end-to-end orders spread over N registered users, as real traffic is.
  const orderApis = [api];
  while (orderApis.length < profile.e2eAccounts) orderApis.push(await connectEngineApi(stack.urls.api));
  const intakeApi = await connectEngineApi(stack.urls.intakeApi);
  // The direct baseline checks the intake user's token as the intake API does, and writes its rows for that account.
  const baseline = createHttpClient({ baseUrl: stack.urls.baseline, headers: intakeApi.token ? { authorization: `Bearer ${intakeApi.token}` } : {} });
  cleanup.push('HTTP clients', async () => [...orderApis.map((a) => a.http), intakeApi.http, baseline].forEach((c) => c.close()));
  say(`API authentication: ${api.auth === 'bearer' ? 'registered a bench user (Bearer token)' : 'none (POST /v1/auth/register answered 404)'}`);

  const errors: Array<{ phase: string; message: string }> = [];
  const attempt = async <T>(phase: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log.error(`${phase} failed`, { message });
      errors.push({ phase, message: err instanceof Error ? err.message : String(err) });
      return undefined;
    }
  };

  const cpuParts = { ...stack.pids, bench: process.pid };
  const ctx: DurableContext = { api, orderApis, baseline, temporal, orders, floor, profile, log: say, cpuParts };
  let shape: OrderShape | undefined;
  if (only.has('e2e') || only.has('floor')) {
    shape = await attempt('probe', () => probeShape(ctx));
    if (shape) say(`a paper MARKET order runs ${shape.activities.length} activities (${describeSteps(shape.activities)}); FILLED is announced by #${shape.notifyAt}, the venue placed by #${shape.venueAt}; ${shape.events} history events`);
    // Latency runs also time each order to the venue and to its portfolio snapshot, and each floor run to the venue's step.
    if (shape) ctx.stages = { orderFacts: orderFacts(sql), portfolios, ...(shape.venueAt ? { floorStepAt: floorStepAt(sql, shape.venueAt) } : {}) };
  }
  let durable: DurableResults | undefined;
  if (shape && (only.has('e2e') || only.has('floor'))) {
    durable = await attempt('e2e/floor', () => measureDurable(ctx, shape!, { e2e: only.has('e2e'), floor: only.has('floor') }, { orders: stack.config.taskQueues.orders, floor: FLOOR_TASK_QUEUE }));
  }
  // 1 vs 2 workers on the same Temporal: what the second worker buys on this machine.
  let scaling: WorkerScaling | undefined;
  if (only.has('cluster')) scaling = await attempt('cluster', () => measureWorkerScaling(ctx, stack.workers, stack.config.taskQueues.orders));
  const e2e = durable?.e2e;
  // What those orders asked of the account's portfolio workflow.
  let portfolioOfOrders: PortfolioLoad | undefined;
  if (e2e) portfolioOfOrders = await attempt('portfolio load', () => portfolioLoad(temporal, sql, orderApis.map((a) => a.accountId)));
  const floorResults = durable?.floor;
  const shapedFloor = durable?.shapedFloor;
  let intake: IntakeResults | undefined;
  if (only.has('intake')) intake = await attempt('intake', () => measureIntake(intakeApi, baseline, { concurrency: profile.intakeConcurrency, profile, log: say, cpuParts }));
  let portfolio: PortfolioResults | undefined;
  let portfolioTemporal: PortfolioTemporalResults | undefined;
  let health: HealthResults | undefined;
  if (only.has('portfolio')) {
    portfolio = await attempt('portfolio', () => measurePortfolio(sql, profile, say));
    // The same accounts again, through the portfolio workflow on the engine's worker.
    if (portfolio) {
      const accounts = portfolio.accounts;
      portfolioTemporal = await attempt('portfolio/temporal', () => measurePortfolioThroughTemporal({ sql, temporal, config: stack.config, tracker: portfolios, profile, log: say, accounts }));
    }
    health = await attempt('health', () => measureHealth({ api: api.http, temporal, config: stack.config, sql, profile, log: say, accounts: portfolio?.accounts }));
  }
  // TWR and MWR over 5 years of points of a 100k-entry portfolio, on a database of its own.
  let performanceFigures: PerformanceResults | undefined;
  if (only.has('performance')) performanceFigures = await attempt('performance', () => measurePerformance({ databaseUrl: stack.databaseUrl, profile, log: say }));
  let replay: ReplayResults | undefined;
  if (only.has('replay')) replay = await attempt('replay', () => measureReplay(profile.replay.minMs, say));
  // Last: it starts engines of its own (own databases, own task queues) against the Binance fake.
  let stream: StreamResults | undefined;
  if (only.has('stream')) stream = await attempt('stream', () => measureStream({ env: stack.env, databaseUrl: stack.databaseUrl, runDir, cleanup, temporal, profile, log: say }));
  // A 100-slice TWAP on an engine of its own, whose worker it restarts once.
  let twap: TwapResults | undefined;
  if (only.has('twap')) twap = await attempt('twap', () => measureTwap({ env: stack.env, databaseUrl: stack.databaseUrl, runDir, cleanup, temporal, log: say }));

  const finishedAt = new Date();
  const liveEventsPerSec = e2e?.saturation.perSec && shape ? round(e2e.saturation.perSec * shape.events) : null;
  const machineInfo = machine.finish();
  const results: Record<string, unknown> = {
    mode: profile.name,
    target: stack.target,
    phases: [...only],
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
    machine: machineInfo,
    engine: {
      auth: api.auth,
      payloadEncryption: Boolean((stack.config as { payloadKeys?: unknown }).payloadKeys),
      settings: stack.settings,
      // The portfolio workflow's quiet time after a fill (the engine's default unless set): part of e2e.toPortfolio.
      portfolioDebounceMs: stack.config.PORTFOLIO_DEBOUNCE,
      order: ORDER_BODY,
      orderShape: shape && {
        activities: shape.activities,
        activityCount: shape.activities.length,
        localActivityCount: shape.localSteps.length,
        notifyAt: shape.notifyAt,
        eventsPerOrder: shape.events,
        floorEventsPerRun: shape.floorEvents,
        shapedFloorEventsPerRun: shape.shapedFloorEvents ?? null,
      },
    },
    method: {
      repeats: profile.repeats,
      warmupMs: profile.warmupMs,
      saturationMs: profile.saturationMs,
      latencyMs: profile.latencyMs,
      intakeConcurrency: profile.intakeConcurrency,
      e2eConcurrency: profile.e2eConcurrency,
      e2eAccounts: profile.e2eAccounts,
      latencyLoadFraction: profile.latencyLoadFraction,
      completionTimeoutMs: profile.completionTimeoutMs,
      stream: only.has('stream') ? profile.stream : undefined,
    },
    intake: intake && headline('acceptedPerSec', intake.intake),
    direct: intake && headline('acceptedPerSec', intake.direct),
    e2e: e2e && {
      ...headline('ordersPerSec', e2e),
      // Same latency runs as p50Ms/p99Ms (to FILLED): POST → the venue's stamp of the order, POST →
      // the portfolio snapshot that includes its fill, and FILLED → that snapshot per order.
      postToVenueP50Ms: stage(e2e, 'postToVenue', 'p50Ms'),
      postToVenueP99Ms: stage(e2e, 'postToVenue', 'p99Ms'),
      toPortfolioP50Ms: stage(e2e, 'toPortfolio', 'p50Ms'),
      toPortfolioP99Ms: stage(e2e, 'toPortfolio', 'p99Ms'),
      fillToPortfolioP50Ms: stage(e2e, 'fillToPortfolio', 'p50Ms'),
      fillToPortfolioP99Ms: stage(e2e, 'fillToPortfolio', 'p99Ms'),
      ...unloadedOf(e2e),
      portfolioSignalsPerOrder: portfolioOfOrders?.signalsPerOrder ?? null,
      portfolioRecalculationsPerOrder: portfolioOfOrders?.recalculationsPerOrder ?? null,
      portfolioLoad: portfolioOfOrders ?? null,
      liveEventsPerSec,
    },
    floor: floorResults && { ...headline('ordersPerSec', floorResults), ...venueStep(floorResults) },
    // The floor again, with the order's own mix of ordinary and local activities: what the order's
    // logic costs on the same shape (the issue's floor runs every step as an ordinary activity).
    shapedFloor: shapedFloor && { ...headline('ordersPerSec', shapedFloor), ...venueStep(shapedFloor), ...unloadedOf(shapedFloor) },
    ratios: {
      overheadVsShapedFloor: ratio(e2e?.latency.p50Ms, shapedFloor?.latency.p50Ms),
      throughputVsShapedFloor: ratio(e2e?.saturation.perSec, shapedFloor?.saturation.perSec),
      postToVenueVsShapedFloor: ratio(stage(e2e, 'postToVenue', 'p50Ms'), stage(shapedFloor, 'postToVenueStep', 'p50Ms')),
      cpuPerOrderVsShapedFloor: ratio(e2e?.saturation.cpuMsPerOp, shapedFloor?.saturation.cpuMsPerOp),
      unloadedOverheadVsShapedFloor: ratio(e2e?.unloaded?.p50Ms, shapedFloor?.unloaded?.p50Ms),
      overheadVsFloor: ratio(e2e?.latency.p50Ms, floorResults?.latency.p50Ms),
      throughputVsFloor: ratio(e2e?.saturation.perSec, floorResults?.saturation.perSec),
      p99VsFloor: ratio(e2e?.latency.p99Ms, floorResults?.latency.p99Ms),
      intakeVsDirect: ratio(intake?.intake.saturation.perSec, intake?.direct.saturation.perSec),
      // CPU the stack spends per order (saturation runs): what the rates above would show on a quiet machine.
      cpuPerOrderVsFloor: ratio(e2e?.saturation.cpuMsPerOp, floorResults?.saturation.cpuMsPerOp),
      cpuPerIntakeVsDirect: ratio(intake?.intake.saturation.cpuMsPerOp, intake?.direct.saturation.cpuMsPerOp),
    },
    portfolio: (portfolio || health || performanceFigures) && {
      full1kMs: portfolio?.pure.full1kMs ?? null,
      full10kMs: portfolio?.pure.full10kMs ?? null,
      full100kMs: portfolio?.pure.full100kMs ?? null,
      incrementalMs: portfolio?.pure.incrementalMs ?? null,
      pure: portfolio?.pure,
      pureCpu: portfolio?.pureCpu,
      fifo: portfolio?.fifo,
      activity: portfolio?.activity,
      // The same recalculations through the portfolio workflow on the engine's worker (the in-process `activity` is their baseline).
      temporal: portfolioTemporal,
      performance100kMs: performanceFigures?.performance100kMs ?? null,
      performanceBaselineMs: performanceFigures?.baselineMs ?? null,
      performance: performanceFigures,
      fills: 'the history of bench/portfolio.ts: 10 symbols (crypto/USDT, equities/USD) on paper and manual, 3 buys then a sell of a third, fractional quantities, quote-currency fees; average cost unless named',
      health,
    },
    cluster: scaling && {
      ordersPerSec1Worker: scaling.oneWorker.saturation.perSec,
      ordersPerSec2Workers: scaling.twoWorkers.saturation.perSec,
      twoVsOneWorker: ratio(scaling.twoWorkers.saturation.perSec, scaling.oneWorker.saturation.perSec),
      p50Ms1Worker: scaling.oneWorker.latency.p50Ms,
      p50Ms2Workers: scaling.twoWorkers.latency.p50Ms,
      cpuMsPerOrder1Worker: scaling.oneWorker.saturation.cpuMsPerOp,
      cpuMsPerOrder2Workers: scaling.twoWorkers.saturation.cpuMsPerOp,
      oneWorker: scaling.oneWorker,
      twoWorkers: scaling.twoWorkers,
    },
    replay: replay && {
      ...replay,
      vsLiveEventRate: ratio(replay.eventsPerSec, liveEventsPerSec),
    },
    stream: stream && streamFigures(stream),
    twap: twap && twapFigures(twap),
    errors,
  };
  // How much of the machine other work took while the rates were measured.
  const otherCores = [e2e, floorResults, shapedFloor, intake?.intake, intake?.direct]
    .flatMap((p) => (p ? [...p.saturation.runs, ...p.latency.runs] : []))
    .map((r) => r.cpu?.otherCores)
    .filter((c): c is number => c !== undefined);
  machineInfo.otherCoresDuringRuns = otherCores.length
    ? { mean: round(otherCores.reduce((a, b) => a + b, 0) / otherCores.length), max: Math.max(...otherCores) }
    : null;
  results.goals = goalsOf(results);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const write = (name: string, text: string) => {
    const file = path.join(RESULTS_DIR, name);
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  };
  const json = JSON.stringify(results, null, 2) + '\n';
  const md = markdown(results);
  // A partial run (--only) never replaces the record of a complete one.
  // Each target keeps its own record: `full.json` (dev server) beside `cluster-full.json`.
  // Orders spread over accounts are a load of their own: `partial-full-accounts8.json` beside `partial-full.json`.
  const prefix = target === 'cluster' ? 'cluster-' : '';
  const spread = profile.e2eAccounts > 1 ? `-accounts${profile.e2eAccounts}` : '';
  const names = onlyArg ? [`${prefix}partial-${profile.name}${spread}`] : [`${prefix}latest`, `${prefix}${profile.name}${spread}`];
  for (const n of names) {
    write(`${n}.json`, json);
    write(`${n}.md`, md);
  }
  process.stdout.write(`\n${md}\nWritten: ${names.map((n) => `bench/results/${n}.{json,md}`).join(', ')}\n`);
  if (errors.length) log.error(`${errors.length} phase(s) failed: ${errors.map((e) => e.phase).join(', ')}`);
  return errors.length ? 1 : 0;
}

main()
  .then((code) => stopAndExit(code, 'done'))
  .catch((err) => {
    // Once stopping, start-up fails because its parts are being stopped: nothing to report.
    if (!stopping) log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return stopAndExit(1, 'failed');
  });

/** The stream phase's headline figures beside their baselines, then everything it measured. */
function streamFigures(s: StreamResults) {
  return {
    fillToDbP50Ms: s.fillToDb.p50Ms,
    fillToDbP99Ms: s.fillToDb.p99Ms,
    fillToDbP50MsPolls: s.fillToDbPolls.p50Ms,
    fillToDbP99MsPolls: s.fillToDbPolls.p99Ms,
    restingWeightPct: s.resting.stream.pct,
    restingWeightPctSteady: s.resting.stream.steadyPct,
    restingWeightPctPolls: s.resting.polls.pct,
    restingOrders: s.resting.orders,
    restingWindowMs: s.resting.windowMs,
    rateLimitedResponses: s.load.limited?.rateLimitedResponses ?? null,
    rateLimitedResponsesUnbudgeted: s.load.unbudgeted?.rateLimitedResponses ?? null,
    weightLimitPerMin: s.load.limited?.limitPerMinute ?? null,
    peakWeightAskedPerMin: s.load.demand?.peakWeightPerMinute ?? null,
    peakWeightSentPerMin: s.load.limited?.peakWeightPerMinute ?? null,
    ...s,
  };
}

/** p50 or p99 of one of a subject's stages in its latency runs (bench/lib/load.ts `Stages`). */
function stage(p: PairResults | undefined, name: string, which: 'p50Ms' | 'p99Ms'): number | null {
  return p?.latency.stages?.[name]?.[which] ?? null;
}

/** Latency with nearly no queueing (a tenth of saturation): the path's own cost, and the runs behind it. */
function unloadedOf(p: PairResults) {
  return { unloadedP50Ms: p.unloaded?.p50Ms ?? null, unloadedP99Ms: p.unloaded?.p99Ms ?? null, unloadedRatePerSec: p.unloaded?.ratePerSec ?? null, unloaded: p.unloaded ?? null };
}

/** A floor's time from its POST to the step at the venue's position (the order's `submitOrder`). */
function venueStep(p: PairResults) {
  return { postToVenueStepP50Ms: stage(p, 'postToVenueStep', 'p50Ms'), postToVenueStepP99Ms: stage(p, 'postToVenueStep', 'p99Ms') };
}

/** A measured subject's headline figures (throughput at saturation, latency at the fixed rate) and the runs behind them. */
function headline<K extends 'acceptedPerSec' | 'ordersPerSec'>(perSecKey: K, p: PairResults) {
  return {
    ...({ [perSecKey]: p.saturation.perSec } as Record<K, number | null>),
    p50Ms: p.latency.p50Ms,
    p99Ms: p.latency.p99Ms,
    ratePerSec: p.latency.ratePerSec,
    cpuMsPerOrder: p.saturation.cpuMsPerOp,
    saturation: p.saturation,
    latency: p.latency,
  };
}
