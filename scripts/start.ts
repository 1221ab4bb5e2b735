/**
 * `npm start`: the whole engine on one machine. Starts, in order, the offline stand-ins (with
 * OFFLINE=1), Temporal (embedded unless TEMPORAL_ADDRESS is set), PostgreSQL (embedded unless
 * DATABASE_URL is set), the migrations, the worker and the API; prints one ready banner; and on
 * SIGINT/SIGTERM stops everything in reverse order.
 *
 * `npm run cluster` (`--cluster`) is the production shape on this machine: the Temporal server
 * itself (built from Go modules into .tools/) on PostgreSQL, its Web UI, two workers and two APIs
 * (PORT and PORT+1), all configured by the variables production reads. `--workers=N --apis=N`
 * change the counts. Its files live under DATA_DIR/cluster.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { loadConfigOrExit, LOOPBACK_HOSTS, maskDatabaseUrl, type Config } from '../lib/config.js';
import { createSql } from '../lib/db.js';
import { startEmbeddedPostgres } from '../lib/embedded/postgres.js';
import { startChild } from '../lib/embedded/child.js';
import { CLUSTER_SHAPE, connectionBudgetWarning, perProcessEnv, postgresMaxConnections } from '../lib/embedded/cluster-shape.js';
import { killStale, ownProcessIn, writePidFile } from '../lib/embedded/process.js';
import { canWrite, surviveClosedOutput } from '../lib/lifecycle.js';
import { findTemporalCli, PROJECT_ROOT } from '../lib/embedded/temporal-cli.js';
import { searchAttributeArgs, startTemporalDevServer, timerArgs } from '../lib/embedded/temporal-dev-server.js';
import { ensureTemporalServer, portsFrom, setupTemporalSchema, startTemporalServer, temporalDatabaseOf, TEMPORAL_SERVER_VERSION } from '../lib/embedded/temporal-server.js';
import { startTemporalWebUi } from '../lib/embedded/temporal-web-ui.js';
import { temporalUiLinks } from '../lib/temporal-ui.js';
import { ensureLocalSecrets } from '../lib/local-secrets.js';
import { createLogger } from '../lib/logger.js';
import { migrate } from '../store/migrate.js';
import { startOfflineStandIns } from './offline.js';
import { workerBundleInputs, workflowBundleAt } from '../workers/workflow-bundle.js';

type Stop = { name: string; stop: () => Promise<void> };

// A closed stdout or stderr (the reader of a pipe exited) must not stop the shutdown half-way.
surviveClosedOutput();
if (process.argv.includes('--offline')) process.env.OFFLINE = '1';
const config: Config = loadConfigOrExit();
const clusterMode = process.argv.includes('--cluster');
function countArg(name: string, fallback: number): number {
  const text = process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    console.error(`--${name} must be a whole number from 1 to 8, got ${text}`);
    process.exit(2);
  }
  return n;
}
const counts = clusterMode ? { workers: countArg('workers', CLUSTER_SHAPE.workers), apis: countArg('apis', CLUSTER_SHAPE.apis) } : { workers: 1, apis: 1 };
/** The cluster keeps its PostgreSQL, Temporal databases and pid files apart from `npm start`'s. */
const runDir = clusterMode ? path.join(config.dataDir, 'cluster') : config.dataDir;
const log = createLogger('start', {
  level: config.LOG_LEVEL,
  format: config.LOG_FORMAT,
  write: (line) => canWrite(process.stderr) && process.stderr.write(`${line}\n`),
});
const stack: Stop[] = [];
let shuttingDown = false;

async function shutdown(code: number, why: string): Promise<void> {
  // Parts exit while we stop them; only the first call runs the shutdown.
  if (shuttingDown) return;
  shuttingDown = true;
  log.info(`stopping (${why})`);
  for (const part of stack.reverse()) {
    const started = Date.now();
    try {
      await part.stop();
      log.info(`stopped ${part.name}`, { ms: Date.now() - started });
    } catch (err) {
      log.error(`failed to stop ${part.name}`, { err });
    }
  }
  process.exitCode = code;
  process.exit();
}
process.on('SIGINT', () => void shutdown(0, 'SIGINT'));
process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'));

/** The Temporal server on PostgreSQL (schema set up or upgraded by its own tool) and its Web UI. */
async function startClusterTemporal(databaseUrl: string, codecEndpoint: string): Promise<{ uiUrl: string }> {
  const dir = path.join(runDir, 'temporal');
  const bin = await ensureTemporalServer(log);
  const db = temporalDatabaseOf(databaseUrl);
  await setupTemporalSchema(bin.sqlTool, db);
  log.info('starting Temporal server', { version: TEMPORAL_SERVER_VERSION, port: config.TEMPORAL_PORT });
  const server = await startTemporalServer({ binary: bin.server, dir, db, ports: portsFrom(config.TEMPORAL_PORT), historyShards: CLUSTER_SHAPE.historyShards, namespace: config.TEMPORAL_NAMESPACE, log });
  stack.push({ name: 'Temporal server', stop: server.stop });
  log.info('Temporal server is up', { pid: server.pid, address: server.address });
  void server.exited.then(() => void shutdown(1, 'the Temporal server exited'));
  const ui = await startTemporalWebUi({ temporalAddress: server.address, port: config.TEMPORAL_UI_PORT, namespace: config.TEMPORAL_NAMESPACE, codecEndpoint, dir: path.join(runDir, 'temporal-ui'), log });
  stack.push({ name: 'Temporal Web UI', stop: ui.stop });
  return { uiUrl: ui.url };
}

async function main() {
  mkdirSync(runDir, { recursive: true });
  const lock = path.join(runDir, 'supervisor.pid');
  // Only a live supervisor of ours blocks: a pid the kernel has since given to another process,
  // or a zombie, is a stale file from a supervisor that died.
  const other = ownProcessIn(lock, 'scripts/start.ts');
  if (other !== undefined && other !== process.pid) {
    console.error(`Another \`npm ${clusterMode ? 'run cluster' : 'start'}\` (pid ${other}) is using ${runDir}; stop it first or set DATA_DIR`);
    process.exit(1);
  }
  if (existsSync(lock)) log.info('replacing a stale supervisor.pid (its process is gone or is not ours)', { file: lock, was: readFileSync(lock, 'utf8').trim() });
  writePidFile(lock, process.pid);
  stack.push({ name: 'lock', stop: async () => rmSync(lock, { force: true }) });
  // Parts a supervisor that died (SIGKILL, a crash) left running; the dev server and PostgreSQL
  // are stopped the same way, from their own pid files, as they start.
  const children = [
    ...Array.from({ length: counts.workers }, (_, i) => ({ name: counts.workers > 1 ? `worker ${i + 1}` : 'worker', entry: 'workers/main.ts', index: i, pidFile: path.join(runDir, i ? `worker-${i + 1}.pid` : 'worker.pid') })),
    ...Array.from({ length: counts.apis }, (_, i) => ({ name: counts.apis > 1 ? `API ${i + 1}` : 'API', entry: 'api/main.ts', index: i, pidFile: path.join(runDir, i ? `api-${i + 1}.pid` : 'api.pid') })),
  ];
  for (const c of children) {
    const orphan = ownProcessIn(c.pidFile, c.entry);
    if (orphan !== undefined && (await killStale(orphan, c.entry))) log.warn(`stopped a ${c.name} left running by an earlier run`, { pid: orphan });
    rmSync(c.pidFile, { force: true });
  }

  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  // Token, payload and credential keys: generated once under DATA_DIR unless set (never logged).
  const secrets = ensureLocalSecrets(config.dataDir, process.env);
  Object.assign(childEnv, secrets.env);
  if (secrets.generated.length) log.info('generated local secrets (kept for the next start)', { file: secrets.file, names: secrets.generated });
  if (secrets.narrowed) log.warn('secrets file was readable by others; narrowed it to 0600', { file: secrets.file });
  // The Web UI decodes payloads through the API's codec server; the browser calls it, so it is a
  // localhost URL like the UI's own (same site, so the sign-in cookie goes along).
  const apiHost = ['0.0.0.0', '127.0.0.1', '::1'].includes(config.HOST) ? 'localhost' : config.HOST;
  const codecEndpoint = `http://${apiHost}:${config.PORT}/codec`;
  // The embedded UI reads payloads with no sign-in while the API is reachable from this machine
  // only (README, "Reading payloads in the Web UI"); an explicit setting wins.
  const trustLocalUi = config.embeddedTemporal && LOOPBACK_HOSTS.includes(config.HOST) && process.env.CODEC_TRUST_LOCAL_UI === undefined;
  if (trustLocalUi) childEnv.CODEC_TRUST_LOCAL_UI = '1';
  if (config.OFFLINE) {
    const standIns = await startOfflineStandIns(config, log.child('offline'));
    stack.push({ name: 'offline stand-ins', stop: standIns.stop });
    Object.assign(childEnv, standIns.env);
  }

  // The workers' workflow code, bundled here once while the servers start rather than by each
  // worker (and again by each restart): they load this file when its stamp matches the sources.
  childEnv.WORKFLOW_BUNDLE_PATH = config.workflowBundlePath;
  const bundling = workflowBundleAt(config.workflowBundlePath, workerBundleInputs(config));
  // Awaited below, before the workers start; a failure is reported there, not as unhandled.
  bundling.catch(() => {});

  let databaseUrl = config.DATABASE_URL;
  const budget = { temporalServers: config.embeddedTemporal && clusterMode ? 1 : 0, ...counts, poolMax: config.PG_POOL_MAX };
  if (!databaseUrl) {
    log.info('starting embedded PostgreSQL', { port: config.EMBEDDED_PG_PORT });
    const maxConnections = postgresMaxConnections(budget);
    const pg = await startEmbeddedPostgres({ dir: path.join(runDir, 'postgres'), port: config.EMBEDDED_PG_PORT, maxConnections, log });
    stack.push({ name: 'PostgreSQL', stop: pg.stop });
    log.info('PostgreSQL is up', { pid: pg.pid });
    databaseUrl = pg.url;
    childEnv.DATABASE_URL = databaseUrl;
  } else {
    // A server we do not start may be too small for this shape: say so before anything connects.
    const probe = createSql(databaseUrl, { max: 1 });
    try {
      const [setting] = await probe<{ max_connections: string }[]>`SHOW max_connections`;
      const warning = connectionBudgetWarning(Number(setting!.max_connections), budget);
      if (warning) log.warn(warning, { database: maskDatabaseUrl(databaseUrl) });
    } finally {
      await probe.end({ timeout: 2 });
    }
  }


  let temporalUi = config.temporalUiUrl;
  let temporalLabel = config.embeddedTemporal ? `${config.temporalAddress} (embedded dev server)` : config.temporalAddress;
  if (config.embeddedTemporal && clusterMode) {
    const server = await startClusterTemporal(databaseUrl, codecEndpoint);
    temporalLabel = `${config.temporalAddress} (Temporal server ${TEMPORAL_SERVER_VERSION} on PostgreSQL: databases temporal, temporal_visibility)`;
    childEnv.TEMPORAL_ADDRESS = config.temporalAddress;
    temporalUi = server.uiUrl;
  } else if (config.embeddedTemporal) {
    const dir = path.join(config.dataDir, 'temporal');
    mkdirSync(dir, { recursive: true });
    const binary = await findTemporalCli({ cliPath: config.TEMPORAL_CLI_PATH, log });
    if (binary) {
      log.info('starting Temporal dev server', { binary, port: config.TEMPORAL_PORT, uiPort: config.TEMPORAL_UI_PORT });
      const server = await startTemporalDevServer({
        binary,
        dbFile: path.join(dir, 'temporal.db'),
        port: config.TEMPORAL_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        namespace: config.TEMPORAL_NAMESPACE,
        logFile: path.join(dir, 'server.log'),
        pidFile: path.join(dir, 'server.pid'),
        codecEndpoint,
        log,
      });
      stack.push({ name: 'Temporal dev server', stop: server.stop });
      log.info('Temporal dev server is up', { pid: server.pid, address: server.address });
      void server.exited.then(() => void shutdown(1, 'the Temporal dev server exited'));
    } else {
      log.info('no Temporal CLI and no Go toolchain: using the SDK-managed download of the dev server');
      const { TestWorkflowEnvironment } = await import('@temporalio/testing');
      const env = await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'cached-download' },
          ip: '127.0.0.1',
          port: config.TEMPORAL_PORT,
          ui: true,
          uiPort: config.TEMPORAL_UI_PORT,
          dbFilename: path.join(dir, 'temporal.db'),
          namespace: config.TEMPORAL_NAMESPACE,
          extraArgs: ['--ui-codec-endpoint', codecEndpoint, ...searchAttributeArgs(), ...timerArgs()],
        },
      });
      stack.push({ name: 'Temporal dev server', stop: () => env.teardown() });
    }
    childEnv.TEMPORAL_ADDRESS = config.temporalAddress;
    temporalUi = `http://localhost:${config.TEMPORAL_UI_PORT}`;
  }

  const sql = createSql(databaseUrl, { max: 1 });
  try {
    const applied = await migrate(sql);
    log.info(applied.length ? `applied migrations ${applied.join(', ')}` : 'database schema is current');
  } finally {
    await sql.end({ timeout: 2 });
  }

  const bundle = await bundling;
  if (bundle.loaded) log.info('workflow bundle is current', { file: bundle.file });
  else if (bundle.writeError) log.warn('workflow bundle could not be saved: each worker bundles on its own', { file: bundle.file, error: bundle.writeError });
  else log.info('workflow bundle built', { file: bundle.file, why: bundle.why });

  const shuttingDownNow = () => shuttingDown;
  const apiUrls: string[] = [];
  const workerMetricsUrls: string[] = [];
  const workerMetricsHost = config.WORKER_METRICS_HOST === '0.0.0.0' ? 'localhost' : config.WORKER_METRICS_HOST;
  const hostForUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);
  // Side by side: the workers first (they must poll before an API starts orders), then the APIs.
  for (const entry of ['workers/main.ts', 'api/main.ts']) {
    const group = children.filter((c) => c.entry === entry);
    const started = await Promise.all(
      group.map((c) => {
        const kind = entry === 'api/main.ts' ? 'api' : 'worker';
        const env = { ...childEnv, ...perProcessEnv(kind, c.index, config) };
        if (kind === 'api') apiUrls.push(`http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${env.PORT}`);
        else workerMetricsUrls.push(`http://${hostForUrl(workerMetricsHost)}:${env.WORKER_METRICS_PORT}`);
        return startChild({ name: c.name, entry, env, log, pidFile: c.pidFile, shuttingDown: shuttingDownNow });
      }),
    );
    stack.push(...started);
  }

  const lines = [
    'Durable Trader is ready',
    ...apiUrls.map((u) => `  API          ${u}   (health: ${u}/health, docs: ${u}/docs, metrics: ${u}/metrics)`),
    ...workerMetricsUrls.map((u) => `  Worker       ${u}/metrics (worker and Temporal SDK; readiness ${u}/ready)`),
    `  Temporal UI  ${temporalUi}`,
    `  All orders   ${temporalUiLinks({ temporalUiUrl: temporalUi, TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE }).orders()}`,
    trustLocalUi
      ? `  Codec server ${codecEndpoint}   (the Temporal UI above decodes with no sign-in: the API listens on ${config.HOST} only)`
      : `  Codec server ${codecEndpoint}   (sign in at ${codecEndpoint}/login; operators: ${config.OPERATOR_EMAILS.join(', ') || 'none, set OPERATOR_EMAILS'})`,
    `  Temporal     ${temporalLabel}   namespace ${config.TEMPORAL_NAMESPACE}`,
    `  PostgreSQL   ${maskDatabaseUrl(databaseUrl)}${config.DATABASE_URL ? '' : ' (embedded)'}`,
    `  Mode         ${config.OFFLINE ? 'offline (local stand-ins for Binance and Yahoo)' : 'online'}`,
    'Press Ctrl-C to stop.',
  ];
  if (canWrite(process.stdout)) process.stdout.write(`\n${lines.join('\n')}\n\n`);
}

main().catch((err) => {
  log.error(err instanceof Error ? err.message : String(err));
  void shutdown(1, 'start-up failed');
});
