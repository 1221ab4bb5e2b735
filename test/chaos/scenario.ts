/**
 * One scenario from start to verdict: a fresh Temporal dev server (its own SQLite file), a fresh
 * database on the run's PostgreSQL, a fresh Binance fake, a worker and an API process; the orders
 * submitted while the scenario's fault plays; the market moved until every order is terminal; a
 * second submission of every key; then the audit. Everything it starts it stops, even on failure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Balance } from '../../domain/exchange.js';
import { createSql, type Sql } from '../../lib/db.js';
import { sleep } from '../../lib/embedded/process.js';
import { startBinanceFake, type BinanceFake, type BinanceFakeOptions } from '../fakes/binance/index.js';
import { freePort } from '../helpers/ports.js';
import { audit, type Submission, type Verdict } from './audit.js';
import { ApiClient } from './client.js';
import { FAKE_KEY, FAKE_SECRET, PAPER_CASH, engineCodec, engineEnv } from './engine-env.js';
import { closedWorkflows, explainFailure } from './evidence.js';
import type { TemporalServerBinaries } from '../../lib/embedded/temporal-server.js';
import { startChaosTemporal, startChaosTemporalServer, type ChaosPostgres, type ChaosTemporal } from './infra.js';
import { MarketDriver } from './market.js';
import { planOrders, seededRandom, between, type Intent, type PlannedOrder } from './plan.js';
import { silentlyStalePortfolios } from './portfolios.js';
import { Part } from './processes.js';

export type ChaosTarget = 'dev' | 'cluster';

export interface RunContext {
  root: string;
  /** This scenario's Temporal and database, when already started (see `prepareScenario`); started here otherwise. */
  prepared?: Promise<Prepared> | undefined;
  /** Called once the scenario's fault has played out and only the drain is left: the run may start the next one's servers. */
  onDraining?: (() => void) | undefined;
  /** `dev`: the Temporal dev server, one worker, one API. `cluster`: the Temporal server on PostgreSQL, two of each. */
  target: ChaosTarget;
  /** The Temporal server and its schema tool, for the cluster target. */
  serverBinaries?: TemporalServerBinaries | undefined;
  temporalBinary: string;
  pg: ChaosPostgres;
  seed: number;
  /** The workers' workflow bundle, built once for the run. */
  workflowBundlePath: string;
}

/** What a scenario's fault needs to reach. */
export interface Stack {
  temporal: ChaosTemporal;
  /** The `temporal` CLI binary the run starts its servers with. */
  temporalBinary: string;
  pg: ChaosPostgres;
  /** The harness's own connection to the scenario's database (for reading, never writing orders). */
  sql: Sql;
  fake: BinanceFake;
  market: MarketDriver;
  target: ChaosTarget;
  /** The first worker and the first API: the only ones on the dev target. */
  worker: Part;
  api: Part;
  /** Every worker and API (two of each on the cluster target). */
  workers: Part[];
  apis: Part[];
  client: ApiClient;
  progress: { accepted: number; finished: number; total: number };
  /** Orders the API accepted so far, in the order of their answers. */
  accepted: Array<{ id: string; planned: PlannedOrder }>;
  /** Something worth knowing that is not a count (a kill, an unexpected exit). */
  note(text: string): void;
  /** The scenario did something to order `id` that leaves it only these end statuses; the audit holds it to them. */
  expect(id: string, statuses: readonly string[], why: string): void;
}

export interface ScenarioDefinition {
  name: string;
  orders: number;
  /** Share of orders on the Binance fake; the rest go to the paper venue. */
  binanceShare: number;
  /** Clients submitting at once, and the pause of each between two orders (ms). */
  concurrency: number;
  pacingMs: [number, number];
  /** Intent weights of the planned orders (plan.ts's default mix when absent). */
  mix?: Partial<Record<Intent, number>>;
  /** Whether the market cycles through the resting orders during submissions; true by default. */
  marketCycle?: boolean;
  /** Share of the orders that must end FILLED for the run to prove anything; 0.5 by default. */
  minFilledShare?: number;
  /** Engine settings of this scenario over the suite's (engine-env.ts). */
  env?: Record<string, string>;
  /** Where the scenario runs; every target when absent. */
  targets?: readonly ChaosTarget[];
  /**
   * Settings that differ on the cluster target: with two APIs a killed one no longer stalls the
   * clients, so a scenario timed by submissions may need more of them there.
   */
  onCluster?: Partial<Pick<ScenarioDefinition, 'orders' | 'pacingMs' | 'concurrency' | 'fake'>>;
  /** Options of the Binance fake for this scenario (e.g. its user data stream's timings). */
  fake?: Pick<BinanceFakeOptions, 'userStream' | 'rateLimits' | 'banGraceMs'>;
  /**
   * The next scenario's stack starts only once this one has ended, not while it drains: its check
   * depends on how fast processes hear each other, which another stack booting on the same cores
   * would slow down.
   */
  quietDrain?: boolean;
  /** Runs alongside the submissions; resolves when the fault has played out. */
  chaos(stack: Stack, rng: () => number): Promise<void>;
  /**
   * Counts of the scenario's own, after the drain (e.g. requests that reached the venue during a
   * ban): each is printed on the line as `name=value` and must be 0 for the scenario to pass.
   */
  counts?(stack: Stack): Promise<Record<string, number>> | Record<string, number>;
}

export interface ScenarioResult {
  name: string;
  passed: boolean;
  line: string;
  verdict: Verdict | undefined;
  notes: string[];
  /** Findings, histories and log tails: printed when the scenario fails. */
  details: string[];
  dir: string;
  seconds: number;
}

const FAKE_BALANCES = { USDT: '10000000', BTC: '100', ETH: '1000', BNB: '100', SOL: '1000' };
const SUBMIT_WINDOW_MS = 240_000;
/** The drain: long enough for a hidden order (3 × 5 s) and the reconciler's grace (30 s) several times over. */
const SETTLE_MS = 120_000;
/**
 * Past SETTLE_MS the drain goes on while orders still move (one ended, or changed status, in the
 * last SETTLE_QUIET_MS), up to SETTLE_CAP_MS: a slow machine is given time, a stuck order is not.
 */
const SETTLE_QUIET_MS = 45_000;
const SETTLE_CAP_MS = 300_000;

async function submitAll(plan: PlannedOrder[], s: Stack, def: ScenarioDefinition, seed: number): Promise<Submission[]> {
  const results: Submission[] = [];
  const deadline = Date.now() + SUBMIT_WINDOW_MS;
  let next = 0;
  const client = async (slot: number) => {
    const rng = seededRandom(seed * 31 + slot);
    for (let i = next++; i < plan.length; i = next++) {
      const p = plan[i]!;
      const outcome = await s.client.submit(p.key, p.body, deadline);
      if (outcome.kind === 'accepted') {
        s.progress.accepted++;
        s.accepted.push({ id: outcome.id, planned: p });
      }
      s.progress.finished++;
      results[i] = { key: p.key, body: p.body, outcome, ids: outcome.kind === 'accepted' ? [outcome.id] : [] };
      await sleep(between(rng, def.pacingMs[0], def.pacingMs[1]));
    }
  };
  await Promise.all(Array.from({ length: def.concurrency }, (_, slot) => client(slot)));
  return results;
}

/** Every key once more: the API must answer with the same order, never make a second one. */
async function resubmitAll(submissions: Submission[], s: Stack): Promise<void> {
  const deadline = Date.now() + 60_000;
  const queue = submissions.filter((x) => x.outcome.kind === 'accepted');
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let x = queue.shift(); x; x = queue.shift()) {
        const again = await s.client.submit(x.key, x.body, deadline);
        if (again.kind === 'accepted') x.ids.push(again.id);
      }
    }),
  );
}

/** Accepted orders not (yet) terminal in Postgres, missing rows included. */
async function openOrders(sql: Sql, ids: string[]): Promise<string[]> {
  return [...(await openOrderStates(sql, ids)).keys()];
}

/** The orders of `ids` not terminal, each with what it shows now (`status:filled`, or `absent`). */
async function openOrderStates(sql: Sql, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<{ id: string; shown: string; terminal: boolean }[]>`
    SELECT id, status || ':' || executed_qty::text AS shown, status_rank = 9 AS terminal FROM orders WHERE id IN ${sql(ids)}`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  return new Map(ids.filter((id) => !byId.get(id)?.terminal).map((id) => [id, byId.get(id)?.shown ?? 'absent']));
}

/**
 * True once every order is terminal, or once every order that is not has had a closed workflow on
 * two looks 10 s apart (it can never get there, so waiting longer would only make a failing run
 * slower). Two looks, because the reconciler restarts a terminated workflow within its interval.
 */
function settledCheck(sql: Sql, temporal: ChaosTemporal, ids: string[], seen: (open: Map<string, string>) => void): () => Promise<boolean> {
  let lastLook = Date.now();
  let closedBefore = new Set<string>();
  return async () => {
    const states = await openOrderStates(sql, ids);
    seen(states);
    const open = [...states.keys()];
    if (open.length === 0) return true;
    if (Date.now() - lastLook < 10_000) return false;
    lastLook = Date.now();
    const closed = new Set(await closedWorkflows(temporal.address, open));
    const hopeless = open.every((id) => closed.has(id) && closedBefore.has(id));
    closedBefore = closed;
    return hopeless;
  };
}

/**
 * The drain's deadline: SETTLE_MS from its start, pushed to SETTLE_QUIET_MS past the last time an
 * open order ended or changed status (or filled more), never past SETTLE_CAP_MS.
 */
function drainProgress(): { look: (open: Map<string, string>) => void; deadline: () => number; waitedMs: () => number } {
  const started = Date.now();
  let movedAt = started;
  let before = '';
  return {
    look(open) {
      const now = [...open].join(',');
      if (now !== before) movedAt = Date.now();
      before = now;
    },
    deadline: () => Math.min(started + SETTLE_CAP_MS, Math.max(started + SETTLE_MS, movedAt + SETTLE_QUIET_MS)),
    waitedMs: () => Date.now() - started,
  };
}

/** The most request weight the fake counted in one minute (it answers 429 past 6000, as Binance does). */
function peakWeight(fake: BinanceFake): number {
  const perMinute = new Map<number, number>();
  for (const r of fake.requests()) perMinute.set(Math.floor(r.time / 60_000), (perMinute.get(Math.floor(r.time / 60_000)) ?? 0) + r.weight);
  return Math.max(0, ...perMinute.values());
}

/** How often each injected fault fired, e.g. `accept-then-500×9 unknown-1006×4`. */
function faultHits(fake: BinanceFake): string {
  const hits = new Map<string, number>();
  for (const r of fake.requests()) if (r.fault) hits.set(r.fault, (hits.get(r.fault) ?? 0) + 1);
  return [...hits].map(([kind, n]) => `${kind}×${n}`).join(' ');
}

/** Orders among `ids` that were UNKNOWN at some point (their order_events say so). */
async function unknownCount(sql: Sql, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const [row] = await sql<{ n: number }[]>`SELECT count(DISTINCT order_id)::int AS n FROM order_events WHERE status = 'UNKNOWN' AND order_id IN ${sql(ids)}`;
  return row?.n ?? 0;
}

/** Stops of the scenario running now, newest last: run by `stopRunningScenario` on Ctrl-C. */
let running: Array<() => Promise<unknown>> = [];

/** Stops of servers started ahead for a scenario that has not taken them over yet. */
const pending = new Map<Promise<Prepared>, () => Promise<unknown>>();

/** Stops every process and server of the scenario in progress (for the harness's signal handler). */
export async function stopRunningScenario(): Promise<void> {
  const stops = [...pending.values(), ...running];
  running = [];
  pending.clear();
  for (const stop of stops.reverse()) await stop().catch(() => {});
}

/** The seed of one scenario's plan, faults and chaos, from the run's. */
const scenarioSeed = (runSeed: number, def: ScenarioDefinition) => runSeed * 1000 + def.name.length;

/**
 * A scenario's stack, started and ready: its own Temporal (dev server, or the Temporal server on
 * PostgreSQL), its fresh database, its Binance fake with prices published, and its worker and
 * API processes (two of each on the cluster target).
 */
export interface Prepared {
  temporal: ChaosTemporal;
  sql: Sql;
  fake: BinanceFake;
  /** The fake's balances before the engine traded. */
  fakeStart: Balance[];
  market: MarketDriver;
  workers: Part[];
  apis: Part[];
  ports: number[];
  /** Stops everything above, in the order it started (run them in reverse). */
  stops: Array<() => Promise<unknown>>;
  /**
   * Where notes of the parts (an unexpected exit) go: kept until the scenario takes them over.
   * The exits are counted too: a process that dies of a fault fails the scenario, restart or not.
   */
  notes: { early: string[]; to?: (text: string) => void; unexpectedExits: number };
}

/**
 * Starts a scenario's whole stack: Temporal and the database side by side, then the fake and the
 * engine's processes (the suite's time is mostly such waits). The run prepares the next
 * scenario while the current one drains; whatever is started is stopped by
 * `stopRunningScenario` until the scenario takes it over, and by the preparation itself when a
 * later step fails.
 * @example const prepared = prepareScenario(workerKill, ctx);
 */
export function prepareScenario(def: ScenarioDefinition, ctx: Omit<RunContext, 'prepared' | 'onDraining'>): Promise<Prepared> {
  const dir = path.join(ctx.root, def.name);
  mkdirSync(dir, { recursive: true });
  const id = def.name.replace(/-/g, '_');
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  const startedTemporal = ctx.target === 'cluster' ? startChaosTemporalServer({ bin: ctx.serverBinaries!, dir, pg: ctx.pg, name: id }) : startChaosTemporal({ binary: ctx.temporalBinary, dir });
  stops.push(() => startedTemporal.then((t) => t.stop()));
  const both = Promise.allSettled([startedTemporal, ctx.pg.freshDatabase(`chaos_${id}`)]).then(async ([t, db]): Promise<Prepared> => {
    try {
      if (t.status === 'rejected') throw t.reason;
      if (db.status === 'rejected') throw db.reason;
      const temporal = t.value;
      const databaseUrl = db.value;
      const sql = createSql(databaseUrl, { max: 4, connectTimeout: 2, applicationName: 'chaos-harness' });
      stops.push(() => sql.end({ timeout: 2 }));
      const fake = await startBinanceFake({ apiKey: FAKE_KEY, apiSecret: FAKE_SECRET, balances: FAKE_BALANCES, faultSeed: scenarioSeed(ctx.seed, def), ...def.fake });
      stops.push(() => fake.close());
      const fakeStart: Balance[] = fake.balances();
      const market = new MarketDriver(sql, fake);
      await market.publish();
      stops.push(() => market.stop());

      const instances = ctx.target === 'cluster' ? 2 : 1;
      const ports = await Promise.all(Array.from({ length: instances }, () => freePort()));
      const env = engineEnv({ temporal: temporal.address, databaseUrl, fakeUrl: fake.url, wsApiUrl: fake.wsApiUrl, port: ports[0]!, dir, workflowBundlePath: ctx.workflowBundlePath, overrides: def.env });
      const notes: Prepared['notes'] = { early: [], unexpectedExits: 0 };
      const onUnexpectedExit = (why: string) => {
        notes.unexpectedExits += 1;
        const text = `${why}; restarted as npm start's supervisor would`;
        if (notes.to) notes.to(text);
        else notes.early.push(text);
      };
      const suffix = (i: number) => (instances > 1 ? `-${i + 1}` : '');
      const workers = Array.from({ length: instances }, (_, i) => new Part({ name: `worker${suffix(i)}`, entry: 'workers/main.ts', env, logFile: path.join(dir, `worker${suffix(i)}.log`), onUnexpectedExit }));
      const apis = ports.map((port, i) => new Part({ name: `api${suffix(i)}`, entry: 'api/main.ts', env: { ...env, PORT: String(port) }, logFile: path.join(dir, `api${suffix(i)}.log`), onUnexpectedExit }));
      stops.push(...workers.map((w) => () => w.stop()), ...apis.map((a) => () => a.stop()));
      await Promise.all([...workers, ...apis].map((part) => part.start()));
      return { temporal, sql, fake, fakeStart, market, workers, apis, ports, stops, notes };
    } catch (err) {
      await stopAll();
      throw err;
    }
  });
  // Until the scenario takes it over, a Ctrl-C stops it from here.
  pending.set(both, stopAll);
  void both.catch(() => pending.delete(both));
  return both;
}

/**
 * @example const result = await runScenario(workerKill, ctx);
 */
export async function runScenario(def: ScenarioDefinition, ctx: RunContext): Promise<ScenarioResult> {
  const started = Date.now();
  const dir = path.join(ctx.root, def.name);
  mkdirSync(dir, { recursive: true });
  const notes: string[] = [];
  const details: string[] = [];
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const note = (text: string) => notes.push(`[${elapsed()}] ${text}`);
  const cleanups: Array<() => Promise<unknown>> = [];
  running = cleanups;
  const seed = scenarioSeed(ctx.seed, def);
  let verdict: Verdict | undefined;
  let error: unknown;
  let stack: Stack | undefined;
  let extra: Record<string, number> = {};
  try {
    const preparing = ctx.prepared ?? prepareScenario(def, ctx);
    const { temporal, sql, fake, fakeStart, market, workers, apis, ports, stops, notes: partNotes } = await preparing;
    pending.delete(preparing);
    cleanups.push(...stops);
    partNotes.to = note;
    for (const text of partNotes.early.splice(0)) note(`before the scenario began: ${text}`);
    const client = new ApiClient({ baseUrls: ports.map((port) => `http://127.0.0.1:${port}`), label: def.name });
    await client.authenticate(Date.now() + 60_000);
    if (!client.authenticated) note('the API has no POST /v1/auth/register: orders are sent without a token');

    const plan = planOrders({ scenario: def.name, orders: def.orders, seed, binanceShare: def.binanceShare, mix: def.mix });
    const expectations = new Map<string, { statuses: readonly string[]; why: string }>();
    stack = {
      temporal,
      temporalBinary: ctx.temporalBinary,
      pg: ctx.pg,
      sql,
      fake,
      market,
      target: ctx.target,
      worker: workers[0]!,
      api: apis[0]!,
      workers,
      apis,
      client,
      progress: { accepted: 0, finished: 0, total: plan.length },
      accepted: [],
      note,
      expect: (id, statuses, why) => void expectations.set(id, { statuses, why }),
    };
    market.start({ cycle: def.marketCycle ?? true });
    let chaosError: unknown;
    const chaos = def.chaos(stack, seededRandom(seed + 7)).catch((err: unknown) => (chaosError = err));
    const submissions = await submitAll(plan, stack, def, seed);
    note(`all ${plan.length} submissions answered`);
    await chaos;
    if (chaosError) throw chaosError;
    ctx.onDraining?.();
    await market.stop();
    const ids = submissions.flatMap((x) => (x.outcome.kind === 'accepted' ? [x.outcome.id] : []));
    const drain = drainProgress();
    await market.settle(settledCheck(sql, temporal, ids, drain.look), drain.deadline);
    const waited = Math.round(drain.waitedMs() / 1000);
    const open = await openOrders(sql, ids);
    if (open.length) note(`${open.length} orders not terminal at the end (waited ${waited} s: ${SETTLE_MS / 1000} s, more while orders still moved, at most ${SETTLE_CAP_MS / 1000} s; less when their workflows had closed)`);
    else if (waited > SETTLE_MS / 1000) note(`the drain took ${waited} s (orders still moving past ${SETTLE_MS / 1000} s)`);
    await resubmitAll(submissions, stack);
    extra = (await def.counts?.(stack)) ?? {};
    // Every fill reaches its portfolio, or the portfolio says why it could not fold it in.
    const stale = await silentlyStalePortfolios({ sql, temporalAddress: temporal.address, codec: engineCodec(), orderIds: ids, timeoutMs: 90_000 });
    for (const line of stale.lines) note(line);
    extra = { ...extra, portfoliosSilentlyBehind: stale.count };
    verdict = await audit({ sql, fake, fakeStart, paperStartingCash: PAPER_CASH, submissions, expectations });
    extra = { ...extra, unexpectedExits: partNotes.unexpectedExits };
    const rejected = Object.entries(verdict.rejections).map(([code, n]) => `${n}×${code}`).join(' ');
    note(`${verdict.statuses.FILLED ?? 0} filled (${verdict.restedThenFilled} after resting), ${verdict.statuses.CANCELED ?? 0} canceled, ${verdict.statuses.REJECTED ?? 0} rejected${rejected ? ` (${rejected})` : ''}, ${fake.trades().length} Binance trades, peak Binance weight ${peakWeight(fake)}/min`);
    const hits = faultHits(fake);
    if (hits) note(`Binance faults that fired: ${hits}; ${await unknownCount(sql, ids)} orders went through UNKNOWN`);
    for (const s of submissions) if (s.outcome.kind !== 'accepted') details.push(`not accepted: ${s.key}: ${JSON.stringify(s.outcome)}`);
  } catch (err) {
    error = err;
  }
  // A run where most orders never filled proves nothing about the ledger: fail it, and say why.
  const filled = verdict?.statuses.FILLED ?? 0;
  const minFilled = verdict ? Math.ceil(verdict.orders * (def.minFilledShare ?? 0.5)) : 0;
  if (verdict && !error && filled < minFilled) error = new Error(`only ${filled} of ${verdict.orders} orders FILLED, fewer than ${minFilled} (rejections: ${JSON.stringify(verdict.rejections)}); the harness's orders or prices no longer fit the engine`);
  const extraZero = Object.values(extra).every((n) => n === 0);
  const passed =
    !error && !!verdict && extraZero && verdict.terminal === verdict.orders && verdict.duplicates === 0 && verdict.lost === 0 && verdict.ledgerMismatches === 0 && verdict.moneyCreated === 0;
  if (!passed) {
    details.push(...(await explainFailure({ verdict, error, temporalAddress: stack?.temporal.address, parts: stack ? [...stack.workers, ...stack.apis] : [], dir, codec: engineCodec() })));
    writeFileSync(path.join(dir, 'failure.txt'), `${details.join('\n')}\n`);
  }
  running = [];
  for (const c of cleanups.reverse()) await c().catch((err: unknown) => notes.push(`cleanup: ${(err as Error).message}`));
  const v = verdict;
  const own = Object.entries(extra).map(([name, n]) => ` ${name}=${n}`).join('');
  const line = `scenario=${def.name} orders=${v?.orders ?? def.orders} terminal=${v?.terminal ?? 0} duplicates=${v?.duplicates ?? 0} lost=${v?.lost ?? 0} ledgerMismatches=${v?.ledgerMismatches ?? 0} moneyCreated=${v?.moneyCreated ?? 0}${own}`;
  return { name: def.name, passed, line, verdict, notes, details, dir, seconds: Math.round((Date.now() - started) / 1000) };
}
