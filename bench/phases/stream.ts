/**
 * Binance orders tracked by the user data stream against the same orders tracked by polls, on the
 * Binance fake (test/fakes/binance) running in the bench process:
 *
 * - fill → FILLED in PostgreSQL: a resting LIMIT order is filled on the fake, and the latency runs
 *   until the engine's NOTIFY of FILLED (sent in the transaction that records it) reaches the bench;
 * - request weight while resting orders are tracked for a window, as a share of Binance's default
 *   REQUEST_WEIGHT budget (6000 per minute), polls only against the stream;
 * - 429 and 418 answers to two worker processes under a chaos-shaped order load (test/chaos/plan.ts,
 *   worker-kill's shape) against a fake whose weight limit that load would exceed unthrottled.
 *
 * Each engine runs as `npm start` runs it (workers/main.ts twice, as a team running two workers
 * would, and api/main.ts), on a database of its own on the bench's PostgreSQL (migrated fresh) and
 * with a TASK_QUEUE_PREFIX of its own on the bench's Temporal, so it shares nothing with the main
 * stack or with the other engines of this phase: its reconciler sees only its own account, its
 * workers spend only its own request budget. Each engine also gets a fresh fake.
 */
import { freshDatabase } from '../lib/fresh-database.js';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { Decimal } from 'decimal.js';
import { loadConfig, variables, type Config } from '../../lib/config.js';
import { createSql, type Sql } from '../../lib/db.js';
import { ORDER_CHANNEL } from '../../store/order-events.js';
import { storeQuotes } from '../../store/prices.js';
import { priceRefreshScheduleId, reconcileScheduleId } from '../../workflows/schedules.js';
import { startBinanceFake, type BinanceFake, type RateLimitsOptions, type RequestLogEntry } from '../../test/fakes/binance/index.js';
import { MarketDriver } from '../../test/chaos/market.js';
import { between, planOrders, seededRandom } from '../../test/chaos/plan.js';
import { freePort } from '../../test/helpers/ports.js';
import { startChild, type Child } from '../lib/children.js';
import type { Cleanup } from '../lib/cleanup.js';
import { connectEngineApi, type EngineApi } from '../lib/engine-api.js';
import type { Profile } from '../lib/profile.js';
import { round, summarize, type LatencySummary } from '../lib/stats.js';
import { CompletionTracker, parseOrderChange, type ParseNotification } from '../lib/tracker.js';

/** Binance's documented REQUEST_WEIGHT limit (and the fake's default): the budget the resting figures are a share of. */
export const BINANCE_WEIGHT_PER_MINUTE = 6000;
/** Weight of GET /api/v3/order, one status poll of one order. */
const POLL_WEIGHT = 4;

const KEY = `bench-stream-${randomBytes(4).toString('hex')}`;
const SECRET = randomBytes(24).toString('hex');
/** Enough of everything that no order of the phase is refused for balance. */
const FAKE_BALANCES = { USDT: '100000000', BTC: '1000', ETH: '10000', BNB: '10000', SOL: '100000' };
/**
 * Limits of the fakes of the resting and latency measurements: so high that nothing is throttled.
 * Placing 1000 orders (about 22 weight each: the risk check's GET /api/v3/account and the POST)
 * would otherwise take four minutes under 6000/min and 50 orders/10 s, and the polls-only
 * baseline shows what polling asks for rather than what a limiter lets through.
 */
const ROOMY: RateLimitsOptions = {
  requestWeight: { interval: 'MINUTE', intervalNum: 1, limit: 1_000_000 },
  orders: [
    { interval: 'SECOND', intervalNum: 10, limit: 100_000 },
    { interval: 'DAY', intervalNum: 1, limit: 100_000_000 },
  ],
};

/** Resting BUYs 20 % under the fake's price, about 10 USDT each (NOTIONAL minimum 5), round-robin over the fake's symbols. */
const RESTING = [
  { symbol: 'BTCUSDT', quantity: '0.0002' },
  { symbol: 'ETHUSDT', quantity: '0.004' },
  { symbol: 'BNBUSDT', quantity: '0.02' },
  { symbol: 'SOLUSDT', quantity: '0.1' },
] as const;

export interface StreamContext {
  /** The environment the main stack's engine runs with (bench/lib/stack.ts); each engine here overrides a few. */
  env: NodeJS.ProcessEnv;
  /** The main stack's database: each engine gets a database of its own beside it. */
  databaseUrl: string;
  runDir: string;
  cleanup: Cleanup;
  temporal: Client;
  profile: Profile;
  log: (line: string) => void;
}

interface Engine {
  tag: string;
  fake: BinanceFake;
  /** A user registered at start; its token lasts JWT_TTL (15 min): later work logs in afresh (`login`). */
  api: EngineApi;
  /** Registers a fresh bench user and returns its client (close it when done). */
  login(): Promise<EngineApi>;
  /** The bench's pool on this engine's database. */
  sql: Sql;
  config: Config;
  /** Engine settings of this engine beyond the main stack's (for the report). */
  settings: Record<string, string>;
  /** Throws when a part of this engine exited on its own. */
  assertAlive(): void;
  stop(): Promise<void>;
}

interface RestingOrder {
  id: string;
  clientOrderId: string;
  symbol: string;
  quantity: string;
}

export interface WeightCount {
  weight: number;
  requests: number;
  /** GET /api/v3/order: status polls (and the lookups of an order an event could not settle). */
  polls: number;
  rateLimited: number;
  byEndpoint: Record<string, { requests: number; weight: number }>;
}

/** When an engine's window ran, against when its orders were placed. */
export interface WindowTiming {
  placingS: number;
  /** From the last order resting to the window's start. */
  windowFromLastPlacedS: number;
  /** From the first order placed to the window's end: under ORDER_SAFETY_POLL_INTERVAL, no safety poll of the stream was due in it. */
  windowEndFromFirstPlacedS: number;
}

export interface FillLatency extends LatencySummary {
  timeouts: number;
  how: string;
}

export interface LoadRun {
  /** The fake's REQUEST_WEIGHT limit during the run. */
  limitPerMinute: number;
  orders: {
    planned: number;
    accepted: number;
    binance: number;
    refused: number;
    statuses: Record<string, number>;
    rejectReasons: Record<string, number>;
    notFinalAfterSettle: number;
    /** Binance orders whose submission the workflow recorded as ambiguous ("submit outcome unknown"), by why. */
    submitOutcomeUnknown: Record<string, number>;
  };
  /** Highest weight that reached the fake in one of its 1-minute windows (429s included). */
  peakWeightPerMinute: number;
  weightByMinute: number[];
  /** 429 and 418 answers of the fake from its start to the end of the load (`fake.rateLimitedResponses()`). */
  rateLimitedResponses: number;
  banViolations: number;
  durationS: number;
  byEndpoint: WeightCount['byEndpoint'];
}

export interface StreamResults {
  fillToDb: FillLatency;
  fillToDbPolls: FillLatency;
  resting: {
    orders: number;
    windowMs: number;
    budgetPerMinute: number;
    stream: WeightCount & WindowTiming & { pct: number; steadyPct: number; userStream: unknown };
    polls: WeightCount & WindowTiming & { pct: number };
  };
  load: { shape: Record<string, unknown>; demand: LoadRun | null; limited: LoadRun | null; budgetSwitch: string | null; unbudgeted: LoadRun | null };
  settings: { stream: Record<string, string>; polls: Record<string, string>; pollMaxMs: number; safetyPollMs: number };
  durationS: number;
}

const at = (price: string, factor: Decimal.Value) => new Decimal(price).times(factor).toDecimalPlaces(2).toFixed(2);

/**
 * A fresh, migrated database beside the main stack's, with the fake's prices (and USDTUSD) stored
 * as the main stack stores its own, for valuations and MARKET notional checks; returns its URL.
 */
function freshStreamDatabase(databaseUrl: string, name: string, fake: BinanceFake): Promise<string> {
  return freshDatabase(databaseUrl, name, async (db) => {
    const asOf = new Date().toISOString();
    await storeQuotes(db, [...RESTING.map((r) => ({ symbol: r.symbol, price: fake.price(r.symbol), source: 'simulated' as const, asOf })), { symbol: 'USDTUSD', price: '1', source: 'simulated' as const, asOf }]);
  });
}

/**
 * Starts one engine against `fake`: two workers and an API, on a database and task queues of
 * their own. `settings` are engine variables over the main stack's; every order change it
 * announces goes to `onOrderChange`.
 */
async function startEngine(ctx: StreamContext, tag: string, fake: BinanceFake, settings: Record<string, string>, onOrderChange: (payload: string) => void): Promise<Engine> {
  const port = await freePort();
  const databaseUrl = await freshStreamDatabase(ctx.databaseUrl, `bench_stream_${tag}`, fake);
  const sql = createSql(databaseUrl, { max: 4, applicationName: 'bench' });
  const listener = await sql.listen(ORDER_CHANNEL, onOrderChange);
  const env: NodeJS.ProcessEnv = {
    ...ctx.env,
    ...settings,
    // The reconciler's open-order reads are part of what tracking orders costs: its default here.
    RECONCILE_INTERVAL: '',
    DATABASE_URL: databaseUrl,
    TASK_QUEUE_PREFIX: `bench-${tag}-`,
    BINANCE_BASE_URL: fake.url,
    BINANCE_WS_API_URL: fake.wsApiUrl,
    BINANCE_API_KEY: KEY,
    BINANCE_API_SECRET: SECRET,
  };
  const config = loadConfig(env);
  const children: Child[] = [];
  let stopping = false;
  let died: string | undefined;
  const start = (part: string, entry: string, extra: Record<string, string> = {}) =>
    startChild({
      name: `${tag}-${part}`,
      entry,
      env: { ...env, ...extra },
      logFile: path.join(ctx.runDir, `${tag}-${part}.log`),
      onSpawn: (c) => {
        children.push(c);
        ctx.cleanup.push(c.name, c.stop, 'processes');
        void c.exited.then(() => {
          if (!stopping) died ??= `${c.name} exited (log: ${c.logFile})`;
        });
      },
    });
  const stopParts = async () => {
    stopping = true;
    await Promise.all(children.map((c) => c.stop()));
    await listener.unlisten().catch(() => undefined);
    await sql.end({ timeout: 2 });
  };
  try {
    await Promise.all([start('worker-1', 'workers/main.ts'), start('worker-2', 'workers/main.ts'), start('api', 'api/main.ts', { PORT: String(port) })]);
    const apiUrl = `http://127.0.0.1:${port}`;
    const api = await connectEngineApi(apiUrl, 64);
    return {
      tag,
      fake,
      api,
      login: () => connectEngineApi(apiUrl, 64),
      sql,
      config,
      settings: { TASK_QUEUE_PREFIX: config.TASK_QUEUE_PREFIX, ...settings },
      assertAlive() {
        if (died) throw new Error(`${tag}: ${died}`);
      },
      async stop() {
        if (stopping) return;
        api.http.close();
        await stopParts();
        await forget(ctx.temporal, config);
      },
    };
  } catch (err) {
    await stopParts();
    throw err;
  }
}

/** Removes what an engine left in Temporal: its schedules, and any workflow still running on its queues. */
async function forget(temporal: Client, config: Config): Promise<void> {
  for (const id of [priceRefreshScheduleId(config), reconcileScheduleId(config)]) await temporal.schedule.getHandle(id).delete().catch(() => undefined);
  for (const queue of Object.values(config.taskQueues)) {
    try {
      for await (const wf of temporal.workflow.list({ query: `TaskQueue = '${queue}' AND ExecutionStatus = 'Running'` })) {
        await temporal.workflow.getHandle(wf.workflowId, wf.runId).terminate('bench: the stream phase is done with this engine').catch(() => undefined);
      }
    } catch {
      // Visibility unavailable: the workflows have no worker any more and cost nothing but rows.
    }
  }
}

function fakeFor(limits: RateLimitsOptions): Promise<BinanceFake> {
  return startBinanceFake({ apiKey: KEY, apiSecret: SECRET, balances: FAKE_BALANCES, rateLimits: limits });
}

/** `order_changes` payloads while orders are placed: done once NEW (resting), failed at UNKNOWN or any end. */
const parseResting: ParseNotification = (payload) => {
  const change = JSON.parse(payload) as { orderId?: string; status?: string };
  if (!change.orderId || !change.status) return undefined;
  if (change.status === 'NEW') return { id: change.orderId, ok: true };
  if (['UNKNOWN', 'FILLED', 'REJECTED', 'CANCELED', 'EXPIRED'].includes(change.status)) return { id: change.orderId, ok: false, error: `went ${change.status} instead of resting` };
  return undefined;
};

/**
 * Places `n` resting BUY LIMITs through the API, 8 callers each waiting for its order to rest
 * (NEW) before sending the next: a burst of a thousand at once is not what is measured, and on
 * two cores it starves the submissions past their 30 s timeout (they go UNKNOWN for minutes).
 * Throws unless every order rests; returns them in the order they rested.
 */
async function placeResting(engine: Engine, resting: CompletionTracker, n: number): Promise<RestingOrder[]> {
  const api = await engine.login();
  const out: RestingOrder[] = [];
  const failed: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = next++; i < n && failed.length === 0; i = next++) {
        engine.assertAlive();
        const r = RESTING[i % RESTING.length]!;
        const body = { venue: 'binance', symbol: r.symbol, side: 'BUY', type: 'LIMIT', quantity: r.quantity, price: at(engine.fake.price(r.symbol), '0.8'), timeInForce: 'GTC' };
        const res = await api.http.request('POST', '/v1/orders', body);
        if (res.status !== 202) {
          failed.push(`POST /v1/orders answered ${res.status} ${res.body.slice(0, 200)}`);
          continue;
        }
        const { id } = JSON.parse(res.body) as { id: string };
        const done = await resting.wait(id, 120_000);
        if (!done.ok) failed.push(`order ${id} ${done.error}`);
        else out.push({ id, clientOrderId: '', symbol: r.symbol, quantity: r.quantity });
      }
    }),
  );
  api.http.close();
  if (failed.length) throw new Error(`${engine.tag}: ${failed.length} of the resting orders did not rest, e.g. ${failed[0]}`);
  return out;
}

/** Fills in each order's client order id (the fake knows the orders by it). */
async function withClientIds(sql: Sql, orders: RestingOrder[]): Promise<RestingOrder[]> {
  const rows = await sql<{ id: string; client_order_id: string }[]>`SELECT id, client_order_id FROM orders WHERE id IN ${sql(orders.map((o) => o.id))}`;
  const ids = new Map(rows.map((r) => [r.id, r.client_order_id]));
  return orders.map((o) => ({ ...o, clientOrderId: ids.get(o.id) ?? '' }));
}

/** Request weight that reached `fake` in [from, to), by endpoint (WebSocket API requests by method). */
export function countWeight(entries: readonly RequestLogEntry[], from: number, to: number): WeightCount {
  const out: WeightCount = { weight: 0, requests: 0, polls: 0, rateLimited: 0, byEndpoint: {} };
  for (const r of entries) {
    if (r.time < from || r.time >= to) continue;
    const key = r.method === 'WS' ? `WS ${r.wsMethod ?? r.path}` : `${r.method} ${r.path}`;
    const e = (out.byEndpoint[key] ??= { requests: 0, weight: 0 });
    e.requests++;
    e.weight += r.weight;
    out.requests++;
    out.weight += r.weight;
    if (key === 'GET /api/v3/order') out.polls++;
    if (r.status === 429 || r.status === 418) out.rateLimited++;
  }
  return out;
}

/** Weight per 1-minute window of the fake (aligned on the minute, as it counts) over [from, to]. */
function weightByMinute(entries: readonly RequestLogEntry[], from: number, to: number): number[] {
  const first = Math.floor(from / 60_000);
  const last = Math.floor(to / 60_000);
  const sums = Array.from({ length: last - first + 1 }, () => 0);
  for (const r of entries) {
    const m = Math.floor(r.time / 60_000);
    if (m >= first && m <= last) sums[m - first]! += r.weight;
  }
  return sums;
}

/** Every `step`-th order, so the sample spreads over symbols and placement times. */
function sampleOf(orders: readonly RestingOrder[], n: number): RestingOrder[] {
  const step = Math.max(1, Math.floor(orders.length / n));
  return orders.filter((_, i) => i % step === 0).slice(0, n);
}

function latency(latencies: number[], how: string): FillLatency {
  return { ...summarize(latencies), timeouts: latencies.filter((x) => !Number.isFinite(x)).length, how };
}

/** Stream on: one fill at a time, the next only once the previous is FILLED in PostgreSQL. */
async function fillsOneByOne(engine: Engine, tracker: CompletionTracker, orders: RestingOrder[], gapMs: number): Promise<number[]> {
  const out: number[] = [];
  for (const o of orders) {
    engine.assertAlive();
    const t0 = performance.now();
    engine.fake.fillPartially(o.clientOrderId, o.quantity);
    const done = await tracker.wait(o.id, 30_000);
    out.push(done.ok && done.doneAt !== undefined ? done.doneAt - t0 : Infinity);
    await sleep(gapMs);
  }
  return out;
}

/** Polls only: fills `spacingMs` apart (each order polls on its own timer, so they do not queue), each waited for up to `boundMs`. */
async function fillsSpread(engine: Engine, tracker: CompletionTracker, orders: RestingOrder[], spacingMs: number, boundMs: number): Promise<number[]> {
  const waits: Array<Promise<number>> = [];
  for (const o of orders) {
    engine.assertAlive();
    const t0 = performance.now();
    engine.fake.fillPartially(o.clientOrderId, o.quantity);
    waits.push(tracker.wait(o.id, boundMs).then((done) => (done.ok && done.doneAt !== undefined ? done.doneAt - t0 : Infinity)));
    await sleep(spacingMs);
  }
  return Promise.all(waits);
}

async function openCount(sql: Sql, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM orders WHERE id IN ${sql(ids as string[])} AND status_rank <> 9`;
  return row!.n;
}

/** Orders not final in the engine's database (it is the engine's own: every order is the bench's). */
async function openOrders(sql: Sql): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`SELECT id FROM orders WHERE status_rank <> 9`;
  return rows.map((r) => r.id);
}

/** Moves the fake's market through every resting BUY and waits until the engine has no open order. */
async function drainResting(engine: Engine, timeoutMs: number): Promise<number> {
  const { sql } = engine;
  const base = Object.fromEntries(RESTING.map((r) => [r.symbol, engine.fake.price(r.symbol)]));
  for (const r of RESTING) engine.fake.setPrice(r.symbol, at(base[r.symbol]!, '0.7'));
  const deadline = Date.now() + timeoutMs;
  let open = await openOrders(sql);
  while (open.length > 0 && Date.now() < deadline) {
    engine.assertAlive();
    await sleep(500);
    open = await openOrders(sql);
  }
  for (const r of RESTING) engine.fake.setPrice(r.symbol, base[r.symbol]!);
  return open.length;
}

/**
 * The chaos suite's order load (test/chaos/plan.ts with worker-kill's shape: half on Binance; half
 * MARKET, a quarter marketable LIMIT, a quarter resting LIMIT; callers pausing between orders),
 * with the market cycling through the resting orders as the suite's MarketDriver does, then held
 * down and up until every Binance order is final. Counts what reached the fake meanwhile.
 */
async function chaosLoad(ctx: StreamContext, engine: Engine, seed: number): Promise<LoadRun> {
  const p = ctx.profile.stream;
  const { fake } = engine;
  const { sql } = engine;
  const market = new MarketDriver(sql, fake);
  await market.publish();
  const plan = planOrders({ scenario: `bench-${engine.tag}`, orders: p.loadOrders, seed, binanceShare: 0.5 });
  // The engine's first user may be older than its token by now.
  const api = await engine.login();
  const from = Date.now();
  const accepted: Array<{ id: string; venue: string }> = [];
  const refused: string[] = [];
  let next = 0;
  market.start({ cycle: true });
  try {
    await Promise.all(
      Array.from({ length: p.loadConcurrency }, async (_, slot) => {
        const rng = seededRandom(seed * 31 + slot);
        for (let i = next++; i < plan.length; i = next++) {
          engine.assertAlive();
          const o = plan[i]!;
          const r = await api.http.request('POST', '/v1/orders', o.body, { 'idempotency-key': o.key });
          if (r.status === 202) accepted.push({ id: (JSON.parse(r.body) as { id: string }).id, venue: o.body.venue });
          else refused.push(`${r.status} ${r.body.slice(0, 200)}`);
          await sleep(between(rng, p.loadPacingMs[0], p.loadPacingMs[1]));
        }
      }),
    );
  } finally {
    await market.stop();
    api.http.close();
  }
  if (refused.length > plan.length / 10) throw new Error(`${engine.tag}: the API refused ${refused.length} of ${plan.length} orders of the load, e.g. ${refused[0]}`);
  const binance = accepted.filter((a) => a.venue === 'binance').map((a) => a.id);
  const settleBy = Date.now() + p.loadSettleMs;
  await market.settle(async () => (await openCount(sql, binance)) === 0, () => settleBy);
  engine.assertAlive();
  const to = Date.now();
  const rateLimitedResponses = fake.rateLimitedResponses();
  const notFinal = await openCount(sql, binance);
  const statuses: Record<string, number> = {};
  const rejectReasons: Record<string, number> = {};
  const submitOutcomeUnknown: Record<string, number> = {};
  if (binance.length) {
    for (const r of await sql<{ why: string; n: number }[]>`SELECT regexp_replace(left(coalesce(detail->>'why', '?'), 160), '[0-9]+ s$', 'N s') AS why, count(DISTINCT order_id)::int AS n
        FROM order_events WHERE order_id IN ${sql(binance)} AND cause = 'submit outcome unknown' GROUP BY 1 ORDER BY 2 DESC LIMIT 5`) submitOutcomeUnknown[r.why] = r.n;
    for (const r of await sql<{ status: string; n: number }[]>`SELECT status, count(*)::int AS n FROM orders WHERE id IN ${sql(binance)} GROUP BY status ORDER BY status`) statuses[r.status] = r.n;
    for (const r of await sql<{ reason: string; n: number }[]>`SELECT coalesce(reject_code, '?') || ': ' || left(coalesce(reject_reason, ''), 120) AS reason, count(*)::int AS n
        FROM orders WHERE id IN ${sql(binance)} AND status = 'REJECTED' GROUP BY 1 ORDER BY 2 DESC LIMIT 5`) rejectReasons[r.reason] = r.n;
  }
  const entries = fake.requests();
  const byMinute = weightByMinute(entries, from, to);
  return {
    limitPerMinute: 0,
    orders: { planned: plan.length, accepted: accepted.length, binance: binance.length, refused: refused.length, statuses, rejectReasons, notFinalAfterSettle: notFinal, submitOutcomeUnknown },
    peakWeightPerMinute: Math.max(0, ...byMinute),
    weightByMinute: byMinute,
    rateLimitedResponses,
    banViolations: fake.banViolations().length,
    durationS: round((to - from) / 1000, 1),
    byEndpoint: countWeight(entries, from, to + 1).byEndpoint,
  };
}

/** A budget on/off switch among the engine's variables (a boolean named …BUDGET…), if the engine has one. */
function budgetSwitch(): string | null {
  const found = Object.entries(variables).find(([name, spec]) => name.includes('BUDGET') && ['0', '1', 'true', 'false'].includes(spec.example));
  return found ? found[0] : null;
}

/** Runs the chaos-shaped load on a fresh engine whose fake allows `limitPerMinute` weight per minute. */
async function limitedRun(ctx: StreamContext, tag: string, limitPerMinute: number, seed: number, extra: Record<string, string>): Promise<LoadRun> {
  const fake = await fakeFor({ requestWeight: { interval: 'MINUTE', intervalNum: 1, limit: limitPerMinute } });
  let engine: Engine | undefined;
  try {
    engine = await startEngine(ctx, tag, fake, { BINANCE_USER_STREAM: '1', ...extra }, () => undefined);
    ctx.log(`stream: ${tag}: chaos-shaped load against a weight limit of ${limitPerMinute}/min, two workers`);
    const run = await chaosLoad(ctx, engine, seed);
    return { ...run, limitPerMinute };
  } finally {
    await engine?.stop();
    await fake.close();
  }
}

/**
 * @example const results = await measureStream({ env: stack.env, databaseUrl: stack.databaseUrl, runDir, cleanup, temporal, profile, log });
 */
export async function measureStream(ctx: StreamContext): Promise<StreamResults> {
  const started = Date.now();
  const p = ctx.profile.stream;
  const tracker = new CompletionTracker(parseOrderChange);
  const rests = new CompletionTracker(parseResting);
  const onOrderChange = (payload: string) => {
    tracker.notified(payload);
    rests.notified(payload);
  };
  const fakes: BinanceFake[] = [];
  const engines: Engine[] = [];
  try {
    // Two engines side by side for the resting window: polls only, and the user data stream.
    const pollsFake = await fakeFor(ROOMY);
    fakes.push(pollsFake);
    const streamFake = await fakeFor(ROOMY);
    fakes.push(streamFake);
    ctx.log('stream: starting two engines (two workers and an API each): polls only, and the user data stream');
    const started2 = await Promise.allSettled([
      startEngine(ctx, 'polls', pollsFake, { BINANCE_USER_STREAM: '0' }, onOrderChange),
      startEngine(ctx, 'stream', streamFake, { BINANCE_USER_STREAM: '1' }, onOrderChange),
    ]);
    for (const r of started2) if (r.status === 'fulfilled') engines.push(r.value);
    for (const r of started2) if (r.status === 'rejected') throw r.reason;
    const [polls, stream] = engines as [Engine, Engine];
    const liveBy = Date.now() + 60_000;
    while (streamFake.userStream.stats().activeSubscriptions < 1) {
      stream.assertAlive();
      if (Date.now() > liveBy) throw new Error('stream: no user data stream subscribed to the fake within 60 s');
      await sleep(200);
    }

    // Each engine's window opens `settleMs` after its own last order rested, so that with the
    // stream it ends before the first safety poll is due (10 min after placement) whenever placing
    // took less than the rest of those 10 minutes; the polls engine places its orders while the
    // stream engine's window runs.
    const n = p.restingOrders;
    const windowAfter = async (engine: Engine): Promise<{ from: number; to: number }> => {
      await sleep(p.settleMs);
      const from = Date.now();
      const end = from + p.windowMs;
      while (Date.now() < end) {
        for (const e of engines) e.assertAlive();
        await sleep(Math.min(2000, Math.max(end - Date.now(), 0)));
      }
      ctx.log(`stream: ${engine.tag}: weight counted for ${p.windowMs / 1000} s`);
      return { from, to: Date.now() };
    };
    ctx.log(`stream: placing ${n} resting Binance LIMIT orders on the stream engine, 8 at a time`);
    const placed = { stream: { first: Date.now(), last: 0 }, polls: { first: 0, last: 0 } };
    const streamOrders = await withClientIds(stream.sql, await placeResting(stream, rests, n));
    placed.stream.last = Date.now();
    ctx.log(`stream: ${n} orders resting on the stream engine (${round((placed.stream.last - placed.stream.first) / 1000, 1)} s to place); its window opens in ${p.settleMs / 1000} s; placing as many on the polls-only engine`);
    const streamWindow = windowAfter(stream);
    // Settles with the rest below; a failure here must not leave it unobserved.
    streamWindow.catch(() => undefined);
    placed.polls.first = Date.now();
    const pollsOrders = await withClientIds(polls.sql, await placeResting(polls, rests, n));
    placed.polls.last = Date.now();
    ctx.log(`stream: ${n} orders resting on the polls-only engine (${round((placed.polls.last - placed.polls.first) / 1000, 1)} s to place); its window opens in ${p.settleMs / 1000} s`);
    const [sw, pw] = await Promise.all([streamWindow, windowAfter(polls)]);
    const streamCount = countWeight(streamFake.requests(), sw.from, sw.to);
    const pollsCount = countWeight(pollsFake.requests(), pw.from, pw.to);
    const budgetOf = (w: { from: number; to: number }) => (BINANCE_WEIGHT_PER_MINUTE * (w.to - w.from)) / 60_000;
    const pollWeightInWindow = streamCount.byEndpoint['GET /api/v3/order']?.weight ?? 0;
    // Safety polls come every ORDER_SAFETY_POLL_INTERVAL from each order's placement; once orders
    // placed at different times spread them over the interval, a window of this length holds
    // orders × window ÷ interval of them.
    const steadyWeight = streamCount.weight - pollWeightInWindow + (n * POLL_WEIGHT * (sw.to - sw.from)) / stream.config.ORDER_SAFETY_POLL_INTERVAL;
    const timing = (w: { from: number; to: number }, pl: { first: number; last: number }) => ({
      placingS: round((pl.last - pl.first) / 1000, 1),
      windowFromLastPlacedS: round((w.from - pl.last) / 1000, 1),
      windowEndFromFirstPlacedS: round((w.to - pl.first) / 1000, 1),
    });
    const resting = {
      orders: n,
      windowMs: sw.to - sw.from,
      budgetPerMinute: BINANCE_WEIGHT_PER_MINUTE,
      stream: {
        ...streamCount,
        pct: round((100 * streamCount.weight) / budgetOf(sw), 2),
        steadyPct: round((100 * steadyWeight) / budgetOf(sw), 2),
        ...timing(sw, placed.stream),
        userStream: streamFake.userStream.stats(),
      },
      polls: { ...pollsCount, pct: round((100 * pollsCount.weight) / budgetOf(pw), 2), ...timing(pw, placed.polls) },
    };
    ctx.log(`stream: resting weight ${resting.stream.pct} % of ${BINANCE_WEIGHT_PER_MINUTE}/min with the stream (${resting.stream.steadyPct} % with its safety polls at their steady rate), ${resting.polls.pct} % polls only`);

    // Fill latency, polls only: the orders poll every ORDER_POLL_MAX_INTERVAL by now.
    const bound = polls.config.ORDER_POLL_MAX_INTERVAL + 30_000;
    ctx.log(`stream: fill → FILLED, polls only: ${p.pollFillSamples} fills ${p.pollFillSpacingMs} ms apart, each waited for up to ${bound / 1000} s`);
    const pollLatencies = await fillsSpread(polls, tracker, sampleOf(pollsOrders, p.pollFillSamples), p.pollFillSpacingMs, bound);
    const fillToDbPolls = latency(pollLatencies, `${pollLatencies.length} fills ${p.pollFillSpacingMs} ms apart on the polling engine, each waited for up to ${bound / 1000} s (a longer wait counts as a timeout)`);
    const pollsLeft = await drainResting(polls, polls.config.ORDER_POLL_MAX_INTERVAL + 60_000);
    if (pollsLeft) ctx.log(`stream: polls: ${pollsLeft} orders still open after the drain`);
    await polls.stop();
    engines.splice(engines.indexOf(polls), 1);

    // Fill latency with the stream, the polling engine gone.
    ctx.log(`stream: fill → FILLED with the user data stream: ${p.fillSamples} fills one at a time, ${p.fillGapMs} ms apart`);
    const streamLatencies = await fillsOneByOne(stream, tracker, sampleOf(streamOrders, p.fillSamples), p.fillGapMs);
    const fillToDb = latency(streamLatencies, `${streamLatencies.length} fills one at a time, each after the previous one was FILLED in PostgreSQL, ${p.fillGapMs} ms apart`);
    ctx.log(`stream: fill → FILLED p50/p99 ${fillToDb.p50Ms}/${fillToDb.p99Ms} ms with the stream, ${fillToDbPolls.p50Ms}/${fillToDbPolls.p99Ms} ms polls only`);
    const streamLeft = await drainResting(stream, 60_000);
    if (streamLeft) ctx.log(`stream: stream: ${streamLeft} orders still open after the drain`);

    // The chaos-shaped load on the roomy fake: the weight it asks for when nothing throttles it.
    ctx.log(`stream: chaos-shaped load (${p.loadOrders} orders) with a roomy weight limit: the demand`);
    const seed = 7;
    const demand = { ...(await chaosLoad(ctx, stream, seed)), limitPerMinute: ROOMY.requestWeight!.limit };
    const settings = { stream: stream.settings, polls: polls.settings, pollMaxMs: polls.config.ORDER_POLL_MAX_INTERVAL, safetyPollMs: stream.config.ORDER_SAFETY_POLL_INTERVAL };
    await stream.stop();
    engines.splice(engines.indexOf(stream), 1);
    ctx.log(`stream: the load asked for ${demand.peakWeightPerMinute} weight in its busiest minute (${demand.weightByMinute.join(', ')} by minute)`);

    // The same load against a limit it would exceed unthrottled: half its busiest minute.
    const limit = Math.max(100, Math.floor(demand.peakWeightPerMinute / 2 / 10) * 10);
    const limited = await limitedRun(ctx, 'limited', limit, seed, {});
    ctx.log(`stream: ${limited.rateLimitedResponses} answers 429/418 with the shared budget (limit ${limit}/min, busiest minute ${limited.peakWeightPerMinute})`);
    const switchName = budgetSwitch();
    let unbudgeted: LoadRun | null = null;
    if (switchName) {
      unbudgeted = await limitedRun(ctx, 'unbudgeted', limit, seed, { [switchName]: '0' });
      ctx.log(`stream: ${unbudgeted.rateLimitedResponses} answers 429/418 with ${switchName}=0`);
    }

    return {
      fillToDb,
      fillToDbPolls,
      resting,
      load: {
        shape: {
          from: 'test/chaos/plan.ts planOrders, worker-kill scenario shape',
          orders: p.loadOrders,
          binanceShare: 0.5,
          mix: 'half MARKET, a quarter marketable LIMIT, a quarter resting LIMIT',
          concurrency: p.loadConcurrency,
          pacingMs: p.loadPacingMs,
          market: 'test/chaos/market.ts MarketDriver: rest 6 s, down 3 %, rest, up 3 %; then held down/up until every Binance order is final',
          seed,
          workers: 2,
        },
        demand,
        limited,
        budgetSwitch: switchName,
        unbudgeted,
      },
      settings,
      durationS: round((Date.now() - started) / 1000, 1),
    };
  } finally {
    for (const e of engines) await e.stop().catch(() => undefined);
    for (const f of fakes) await f.close().catch(() => undefined);
  }
}
