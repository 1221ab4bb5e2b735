/**
 * The bench's own engine, composed like `npm start` composes it but on random loopback ports and
 * in a fresh run directory: a Temporal service (the target's: the CLI dev server on a SQLite file,
 * WAL, synchronous=normal, the launcher's flags; or the Temporal server on PostgreSQL), an embedded PostgreSQL, the migrations,
 * then the engine's worker(s) and API as child processes, plus the bench's baseline server, floor
 * worker and a second API instance for the intake phase. Every part is registered with `cleanup`
 * as soon as it runs, so a failure at any point still stops everything started so far.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { storeQuotes } from '../../store/prices.js';
import { ConfigError, loadConfig, variables, type Config } from '../../lib/config.js';
import { createSql } from '../../lib/db.js';
import { CLUSTER_SHAPE, postgresMaxConnections } from '../../lib/embedded/cluster-shape.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../../lib/embedded/postgres.js';
import { commandLineOf, isAlive, killStale } from '../../lib/embedded/process.js';
import { findTemporalCli, PROJECT_ROOT, TEMPORAL_CLI_MODULE, temporalCliVersion, TOOLS_BIN } from '../../lib/embedded/temporal-cli.js';
import { startTemporalDevServer } from '../../lib/embedded/temporal-dev-server.js';
import { ensureTemporalServer, setupTemporalSchema, startTemporalServer, temporalDatabaseOf, TEMPORAL_SERVER_VERSION } from '../../lib/embedded/temporal-server.js';
import type { Logger } from '../../lib/logger.js';
import { migrate } from '../../store/migrate.js';
import { freePort, freeTemporalServerPorts } from '../../test/helpers/ports.js';
import { ensureFloorSchema } from '../floor/schema.js';
import { startChild } from './children.js';
import { workerBundleInputs, workflowBundleAt } from '../../workers/workflow-bundle.js';
import type { Cleanup } from './cleanup.js';

/** Where runs keep their files; each run gets `<pid>-<time>/`, removed when it ends. */
export const BENCH_DATA_DIR = path.join(PROJECT_ROOT, '.data', 'bench');

/** Task-queue prefix of the intake API: no worker polls it, so accepted orders wait and cost nothing later. */
export const INTAKE_TASK_QUEUE_PREFIX = 'bench-intake-';

/** The price MARKET orders fill at; quantities are sized against it. */
export const BENCH_PRICE = { symbol: 'BTCUSDT', price: '50000' };

/**
 * What Temporal the engine runs on. `dev-server` is `npm start`'s; `cluster` is `npm run cluster`'s:
 * the Temporal server itself with its history in the run's PostgreSQL (databases of its own).
 */
export type StackTarget = 'dev-server' | 'cluster';

export interface StackOptions {
  target?: StackTarget;
  /** Engine worker processes (`workers/main.ts`), named `worker`, `worker-2`, …; one by default. */
  workers?: number;
}

/** A running Temporal service of a target, registered with `cleanup` by whoever started it. */
interface TemporalService {
  address: string;
  pid: number | undefined;
  version: string;
  binary: string;
  exited: Promise<unknown>;
}

interface TemporalTargetContext {
  runDir: string;
  /** The run's PostgreSQL, once it runs (the cluster keeps Temporal's history there). */
  postgres: Promise<RunningPostgres>;
  cleanup: Cleanup;
  log: Logger;
  /** Called once the service runs, with its process id (for the stale-run sweep). */
  started(pid: number | undefined): void;
}

/** The CLI dev server on a SQLite file in the run directory, with `npm start`'s flags. */
async function startDevServer({ runDir, cleanup, log, started }: TemporalTargetContext): Promise<TemporalService> {
  const binary = await findTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, log });
  if (!binary) throw new Error('No Temporal CLI found (and no Go to build one): run `npm run pretest` or set TEMPORAL_CLI_PATH');
  const [port, uiPort] = await Promise.all([freePort(), freePort()]);
  const s = await startTemporalDevServer({ binary, dbFile: path.join(runDir, 'temporal', 'temporal.db'), port: port!, uiPort: uiPort!, logFile: path.join(runDir, 'temporal.log'), log });
  cleanup.push('Temporal dev server', s.stop, 'servers');
  started(s.pid);
  return {
    address: s.address,
    pid: s.pid,
    binary,
    // The project's own build reports a development version: name the module it was built from.
    version: `${temporalCliVersion(binary)}${binary.startsWith(TOOLS_BIN) ? `, built from ${TEMPORAL_CLI_MODULE}` : ''}`,
    exited: s.exited,
  };
}

/** The Temporal server on the run's PostgreSQL, as `npm run cluster` starts it (lib/embedded/temporal-server.ts). */
async function startClusterServer({ runDir, postgres, cleanup, log, started }: TemporalTargetContext): Promise<TemporalService> {
  const bin = await ensureTemporalServer(log);
  const db = temporalDatabaseOf((await postgres).url);
  await setupTemporalSchema(bin.sqlTool, db);
  const ports = await freeTemporalServerPorts();
  const s = await startTemporalServer({ binary: bin.server, dir: path.join(runDir, 'temporal-server'), db, ports, historyShards: CLUSTER_SHAPE.historyShards, namespace: 'default', log });
  cleanup.push('Temporal server', s.stop, 'servers');
  started(s.pid);
  return { address: s.address, pid: s.pid, binary: bin.server, version: `Temporal server ${TEMPORAL_SERVER_VERSION} on PostgreSQL, ${CLUSTER_SHAPE.historyShards} history shards`, exited: s.exited };
}

const temporalTargets: Record<StackTarget, (ctx: TemporalTargetContext) => Promise<TemporalService>> = {
  'dev-server': startDevServer,
  cluster: startClusterServer,
};

export interface Stack {
  target: StackTarget;
  runDir: string;
  temporal: { address: string; binary: string; version: string; pid: number | undefined };
  databaseUrl: string;
  /** The environment the engine's processes run with (what `loadConfig` sees). */
  env: NodeJS.ProcessEnv;
  config: Config;
  /** The engine settings the bench chose or passed through, for the report. */
  settings: Record<string, string>;
  urls: { api: string; intakeApi: string; baseline: string };
  pids: Record<string, number | undefined>;
  /** Resolves with the name of the first part that exits on its own (a crash mid-run). */
  firstExit: Promise<string>;
  /** Stops (SIGTERM, as a deploy would) or starts again one of the engine's workers by name, e.g. `worker-2`. */
  workers: { stop(name: string): Promise<void>; start(name: string): Promise<void>; names: string[] };
}

/** The bench is stopping (Ctrl-C during start-up): nothing more is started. */
export class StartCancelled extends Error {
  override name = 'StartCancelled';
  constructor() {
    super('start-up cancelled');
  }
}

/**
 * Engine settings of the bench. Risk limits and paper cash are raised so thousands of orders on
 * one account are never refused; market data points at a closed local port (nothing reaches the
 * internet); the price-refresh schedule is slowed to hourly and the reconciler to daily so they
 * add no load; the seeded price never goes stale during a run. Secrets are fresh random values
 * per run (for auth and encryption settings the engine may require).
 */
function benchSettings(): Record<string, string> {
  return {
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    OFFLINE: '0',
    TEMPORAL_NAMESPACE: 'default',
    TASK_QUEUE_PREFIX: '',
    BINANCE_BASE_URL: 'http://127.0.0.1:9',
    YAHOO_BASE_URL: 'http://127.0.0.1:9',
    BINANCE_API_KEY: '',
    BINANCE_API_SECRET: '',
    PRICE_REFRESH_INTERVAL: '1h',
    // The direct baseline writes RECEIVED rows that no workflow tracks, by design: the reconciler
    // would restart each as a real order a minute later and load every later phase with them.
    RECONCILE_INTERVAL: '24h',
    PRICE_STALE_AFTER: '24h',
    PAPER_STARTING_CASH: '1000000000000',
    RISK_MAX_ORDER_NOTIONAL: '1000000000000',
    RISK_MAX_DAILY_NOTIONAL: '1000000000000000',
    // The per-account order rate limit (when the API has one) must not be what the bench measures.
    ORDER_RATE_LIMIT: '999999/1s',
  };
}

function secrets(): Record<string, string> {
  const key = () => randomBytes(32).toString('base64');
  return { JWT_SECRET: `base64:${key()}`, CREDENTIALS_KEYS: `bench:${key()}`, PAYLOAD_KEYS: `bench:${key()}` };
}

/**
 * Variables of the engine the bench does not set pass through from the bench's own environment
 * (so `PG_POOL_MAX=20 npm run bench` tries a knob); every other one is set empty, so a developer's
 * `.env` cannot change a benchmark without showing up in its report.
 */
function engineEnv(fixed: Record<string, string>): { env: NodeJS.ProcessEnv; settings: Record<string, string> } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const settings: Record<string, string> = {};
  for (const name of Object.keys(variables)) {
    if (name in fixed) continue;
    const mine = process.env[name];
    env[name] = mine ?? '';
    if (mine !== undefined && mine !== '') settings[name] = mine;
  }
  Object.assign(env, fixed);
  for (const [k, v] of Object.entries(fixed)) if (!/SECRET|KEYS|KEY$|^DATABASE_URL$|^WORKFLOW_BUNDLE_PATH$/.test(k) && v !== '') settings[k] = v;
  return { env, settings };
}

/**
 * Stops the servers of runs that ended without cleaning up (a `kill -9` of the bench), then removes
 * their directories. Only processes whose command line names that run's directory are touched; the
 * node children leave by themselves when their parent's IPC channel closes.
 */
export async function sweepStaleRuns(log: Logger): Promise<void> {
  let entries: string[];
  try {
    entries = readdirSync(BENCH_DATA_DIR);
  } catch {
    return;
  }
  for (const name of entries) {
    const dir = path.join(BENCH_DATA_DIR, name);
    let owner: { pid: number; parts?: Record<string, number> };
    try {
      owner = JSON.parse(readFileSync(path.join(dir, 'owner.json'), 'utf8'));
    } catch {
      continue;
    }
    if (isAlive(owner.pid) && commandLineOf(owner.pid).includes('bench/run.ts')) continue;
    for (const part of ['temporal', 'postgres']) {
      const pid = owner.parts?.[part];
      if (pid && (await killStale(pid, dir))) log.warn(`stopped a ${part} left by an earlier bench run`, { pid });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startStack(runDir: string, cleanup: Cleanup, log: Logger, options: StackOptions = {}): Promise<Stack> {
  const target = options.target ?? 'dev-server';
  const workers = options.workers ?? 1;
  mkdirSync(runDir, { recursive: true });
  const parts: Record<string, number | undefined> = {};
  const recordOwner = () => writeFileSync(path.join(runDir, 'owner.json'), JSON.stringify({ pid: process.pid, parts }));
  recordOwner();

  const [pgPort, apiPort, intakePort, baselinePort] = await Promise.all(Array.from({ length: 4 }, freePort));

  // Every worker the bench starts (its phases' engines too) loads this one workflow bundle.
  const workflowBundlePath = path.join(runDir, 'workflow-bundle.js');
  const bundling = workflowBundleAt(workflowBundlePath, workerBundleInputs({ OTEL_EXPORTER_OTLP_ENDPOINT: process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined }));
  bundling.catch(() => {});
  log.info(`starting Temporal (${target}) and PostgreSQL`);
  // The floor worker counts as a worker; the intake API, the baseline server and the bench's own
  // pools (a few connections each phase) as APIs. PG_POOL_MAX passes through to the children.
  const poolMax = variables.PG_POOL_MAX.schema.parse(process.env.PG_POOL_MAX || undefined);
  const maxConnections = postgresMaxConnections({ temporalServers: target === 'cluster' ? 1 : 0, workers: workers + 1, apis: 4, poolMax });
  const postgres = startEmbeddedPostgres({ dir: path.join(runDir, 'postgres'), port: pgPort!, maxConnections, log }).then((p) => {
    cleanup.push('PostgreSQL', p.stop, 'servers');
    parts.postgres = p.pid;
    recordOwner();
    return p;
  });
  const [temporal, pg] = await Promise.all([
    temporalTargets[target]({
      runDir,
      postgres,
      cleanup,
      log,
      started: (pid) => {
        parts.temporal = pid;
        recordOwner();
      },
    }),
    postgres,
  ]);

  if (cleanup.closed) throw new StartCancelled();
  const sql = createSql(pg.url, { max: 1 });
  try {
    await migrate(sql);
    await ensureFloorSchema(sql);
    await storeQuotes(sql, [
      { ...BENCH_PRICE, source: 'simulated', asOf: new Date().toISOString() },
      { symbol: 'USDTUSD', price: '1', source: 'simulated', asOf: new Date().toISOString() },
    ]);
  } finally {
    await sql.end({ timeout: 2 });
  }

  // Metrics on any free ports: the bench may run several workers on this machine.
  const fixed = { ...benchSettings(), ...secrets(), DATABASE_URL: pg.url, TEMPORAL_ADDRESS: temporal.address, WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', WORKFLOW_BUNDLE_PATH: workflowBundlePath };
  const { env, settings } = engineEnv(fixed);
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(`The bench's engine settings are refused by lib/config.ts (a new required variable?): ${err.message}`);
    throw err;
  }

  await bundling;
  log.info(`starting ${workers === 1 ? 'the worker' : `${workers} workers`}, the APIs, the floor worker and the baseline server`);
  const exits: Array<Promise<string>> = [temporal.exited.then(() => `Temporal (${target})`)];
  /** Parts the bench stops on purpose (a worker taken out for the 1-worker runs): their exit is no crash. */
  const stoppedOnPurpose = new Set<string>();
  const running = new Map<string, { stop(): Promise<void> }>();
  const child = (name: string, entry: string, extra: Record<string, string> = {}) =>
    startChild({
      name,
      entry,
      env: { ...env, ...extra },
      logFile: path.join(runDir, `${name}.log`),
      onSpawn: (c) => {
        cleanup.push(name, c.stop, 'processes');
        parts[name] = c.pid;
        recordOwner();
      },
    }).then((c) => {
      running.set(name, c);
      exits.push(c.exited.then(() => (stoppedOnPurpose.has(name) ? new Promise<string>(() => {}) : `${name} (log: ${c.logFile})`)));
      return c;
    });
  const workerNames = Array.from({ length: workers }, (_, i) => (i === 0 ? 'worker' : `worker-${i + 1}`));
  if (cleanup.closed) throw new StartCancelled();
  await Promise.all([
    ...workerNames.map((name) => child(name, 'workers/main.ts')),
    child('api', 'api/main.ts', { PORT: String(apiPort) }),
    child('intake-api', 'api/main.ts', { PORT: String(intakePort), TASK_QUEUE_PREFIX: INTAKE_TASK_QUEUE_PREFIX }),
    child('floor-worker', 'bench/floor/worker.ts'),
    child('baseline', 'bench/servers/baseline.ts', { PORT: String(baselinePort) }),
  ]);

  return {
    target,
    runDir,
    temporal: { address: temporal.address, binary: temporal.binary, version: temporal.version, pid: temporal.pid },
    databaseUrl: pg.url,
    env,
    config,
    settings,
    urls: { api: `http://127.0.0.1:${apiPort}`, intakeApi: `http://127.0.0.1:${intakePort}`, baseline: `http://127.0.0.1:${baselinePort}` },
    pids: parts,
    // Exits are collected as parts start, so the race is rebuilt at each look.
    get firstExit() {
      return Promise.race(exits);
    },
    workers: {
      names: workerNames,
      async stop(name) {
        stoppedOnPurpose.add(name);
        await running.get(name)?.stop();
        running.delete(name);
      },
      async start(name) {
        if (running.has(name)) return;
        stoppedOnPurpose.delete(name);
        await child(name, 'workers/main.ts');
      },
    },
  };
}
