/**
 * `npm start`: the whole engine on one machine. Starts, in order, the offline stand-ins (with
 * OFFLINE=1), Temporal (embedded unless TEMPORAL_ADDRESS is set), PostgreSQL (embedded unless
 * DATABASE_URL is set), the migrations, the worker and the API; prints one ready banner; and on
 * SIGINT/SIGTERM stops everything in reverse order.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { loadConfigOrExit, LOOPBACK_HOSTS, maskDatabaseUrl, type Config } from '../lib/config.js';
import { createSql } from '../lib/db.js';
import { startEmbeddedPostgres } from '../lib/embedded/postgres.js';
import { killStale, ownProcessIn, terminate, writePidFile } from '../lib/embedded/process.js';
import { canWrite, surviveClosedOutput } from '../lib/lifecycle.js';
import { findTemporalCli, PROJECT_ROOT } from '../lib/embedded/temporal-cli.js';
import { searchAttributeArgs, startTemporalDevServer } from '../lib/embedded/temporal-dev-server.js';
import { temporalUiLinks } from '../lib/temporal-ui.js';
import { ensureLocalSecrets } from '../lib/local-secrets.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { migrate } from '../store/migrate.js';
import { startOfflineStandIns } from './offline.js';

type Stop = { name: string; stop: () => Promise<void> };

// A closed stdout or stderr (the reader of a pipe exited) must not stop the shutdown half-way.
surviveClosedOutput();
if (process.argv.includes('--offline')) process.env.OFFLINE = '1';
const config: Config = loadConfigOrExit();
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

/** Runs a TypeScript entry point as a child with an IPC channel; resolves once it says it is ready. */
function startChild(name: string, entry: string, env: NodeJS.ProcessEnv, log: Logger, pidFile: string): Promise<Stop> {
  let child: ChildProcess;
  let stopping = false;
  let restarts = 0;
  const spawnIt = () =>
    new Promise<void>((resolve, reject) => {
      child = fork(path.join(PROJECT_ROOT, entry), [], { env, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
      // The next start stops it should this supervisor die without stopping it.
      if (child.pid) writePidFile(pidFile, child.pid);
      child.on('message', (m: { type?: string }) => m?.type === 'ready' && resolve());
      child.once('exit', (code, signal) => {
        reject(new Error(`${name} exited during start-up (code ${code}, signal ${signal})`));
        if (stopping || shuttingDown) return;
        // A crashed worker or API is restarted: Temporal resumes whatever it was doing.
        restarts++;
        const delay = Math.min(1000 * restarts, 10_000);
        log.warn(`${name} exited unexpectedly; restarting in ${delay} ms`, { code, signal });
        setTimeout(() => !shuttingDown && !stopping && spawnIt().catch((err) => log.error(`${name} failed to restart`, { err })), delay);
      });
    });
  return spawnIt().then(() => {
    log.info(`${name} is up`, { pid: child.pid });
    return {
    name,
    stop: async () => {
      stopping = true;
      await terminate(child, 8000);
      rmSync(pidFile, { force: true });
    },
  };
  });
}

async function main() {
  mkdirSync(config.dataDir, { recursive: true });
  const lock = path.join(config.dataDir, 'supervisor.pid');
  // Only a live supervisor of ours blocks: a pid the kernel has since given to another process,
  // or a zombie, is a stale file from a supervisor that died.
  const other = ownProcessIn(lock, 'scripts/start.ts');
  if (other !== undefined && other !== process.pid) {
    console.error(`Another \`npm start\` (pid ${other}) is using ${config.dataDir}; stop it first or set DATA_DIR`);
    process.exit(1);
  }
  if (existsSync(lock)) log.info('replacing a stale supervisor.pid (its process is gone or is not ours)', { file: lock, was: readFileSync(lock, 'utf8').trim() });
  writePidFile(lock, process.pid);
  stack.push({ name: 'lock', stop: async () => rmSync(lock, { force: true }) });
  // Parts a supervisor that died (SIGKILL, a crash) left running; the dev server and PostgreSQL
  // are stopped the same way, from their own pid files, as they start.
  const childPidFiles = { worker: path.join(config.dataDir, 'worker.pid'), API: path.join(config.dataDir, 'api.pid') };
  for (const [name, file, entry] of [['worker', childPidFiles.worker, 'workers/main.ts'], ['API', childPidFiles.API, 'api/main.ts']] as const) {
    const orphan = ownProcessIn(file, entry);
    if (orphan !== undefined && (await killStale(orphan, entry))) log.warn(`stopped a ${name} left running by an earlier run`, { pid: orphan });
    rmSync(file, { force: true });
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

  let temporalUi = config.temporalUiUrl;
  if (config.embeddedTemporal) {
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
          extraArgs: ['--ui-codec-endpoint', codecEndpoint, ...searchAttributeArgs()],
        },
      });
      stack.push({ name: 'Temporal dev server', stop: () => env.teardown() });
    }
    childEnv.TEMPORAL_ADDRESS = config.temporalAddress;
    temporalUi = `http://localhost:${config.TEMPORAL_UI_PORT}`;
  }

  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    log.info('starting embedded PostgreSQL', { port: config.EMBEDDED_PG_PORT });
    const pg = await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'postgres'), port: config.EMBEDDED_PG_PORT, log });
    stack.push({ name: 'PostgreSQL', stop: pg.stop });
    log.info('PostgreSQL is up', { pid: pg.pid });
    databaseUrl = pg.url;
    childEnv.DATABASE_URL = databaseUrl;
  }

  const sql = createSql(databaseUrl, { max: 1 });
  try {
    const applied = await migrate(sql);
    log.info(applied.length ? `applied migrations ${applied.join(', ')}` : 'database schema is current');
  } finally {
    await sql.end({ timeout: 2 });
  }

  stack.push(await startChild('worker', 'workers/main.ts', childEnv, log, childPidFiles.worker));
  stack.push(await startChild('API', 'api/main.ts', childEnv, log, childPidFiles.API));

  const apiUrl = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}`;
  const workerMetricsHost = config.WORKER_METRICS_HOST === '0.0.0.0' ? 'localhost' : config.WORKER_METRICS_HOST;
  const workerMetricsUrl = `http://${workerMetricsHost.includes(':') ? `[${workerMetricsHost}]` : workerMetricsHost}:${config.WORKER_METRICS_PORT}`;
  const lines = [
    'Durable Trader is ready',
    `  API          ${apiUrl}   (health: ${apiUrl}/health, docs: ${apiUrl}/docs)`,
    `  Metrics      ${apiUrl}/metrics (API)   ${workerMetricsUrl}/metrics (worker and Temporal SDK; readiness ${workerMetricsUrl}/ready)`,
    `  Temporal UI  ${temporalUi}`,
    `  All orders   ${temporalUiLinks({ temporalUiUrl: temporalUi, TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE }).orders()}`,
    trustLocalUi
      ? `  Codec server ${codecEndpoint}   (the Temporal UI above decodes with no sign-in: the API listens on ${config.HOST} only)`
      : `  Codec server ${codecEndpoint}   (sign in at ${codecEndpoint}/login; operators: ${config.OPERATOR_EMAILS.join(', ') || 'none, set OPERATOR_EMAILS'})`,
    `  Temporal     ${config.embeddedTemporal ? config.temporalAddress + ' (embedded)' : config.temporalAddress}   namespace ${config.TEMPORAL_NAMESPACE}`,
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
