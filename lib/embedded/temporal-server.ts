/**
 * The Temporal server itself (not the dev server): `go.temporal.io/server` and its SQL schema tool,
 * built from Go modules into `.tools/`, run on PostgreSQL. `npm run cluster`, the chaos suite's
 * cluster target and the bench's cluster mode start it through here.
 */
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import postgres from 'postgres';
import { ORDER_SEARCH_ATTRIBUTES } from '../../domain/order-search.js';
import type { Logger } from '../logger.js';
import { ensureGoBinary } from './go-tools.js';
import { exited, killStale, sleep, Tail, terminate } from './process.js';
import { TIMER_DYNAMIC_CONFIG } from './temporal-timers.js';

/** What Temporal CLI v1.5.1 embeds, so the dev server and the cluster run the same server code. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const binary = (pkg: string, name: string) => ({ pkg, version: TEMPORAL_SERVER_VERSION, folder: `temporal-server-${TEMPORAL_SERVER_VERSION}`, name });

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
}

/**
 * The server and `temporal-sql-tool`, built with Go into `.tools/` on first use.
 * @example const bin = await ensureTemporalServer(log);
 */
export async function ensureTemporalServer(log: Logger): Promise<TemporalServerBinaries> {
  // One after the other: the second build reuses the first one's compiled packages.
  const server = await ensureGoBinary(binary('go.temporal.io/server/cmd/server', 'temporal-server'), log);
  const sqlTool = await ensureGoBinary(binary('go.temporal.io/server/cmd/tools/sql', 'temporal-sql-tool'), log);
  return { server, sqlTool };
}

/** A PostgreSQL server Temporal keeps its history and visibility in, each in a database of its own. */
export interface TemporalDatabase {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Database names; default `temporal` and `temporal_visibility`. */
  database?: string;
  visibilityDatabase?: string;
}

/**
 * Temporal's connection on the server and role of a PostgreSQL URL (the app's database): same
 * server, databases of Temporal's own (`names`, else `temporal` and `temporal_visibility`).
 * @example const db = temporalDatabaseOf(config.DATABASE_URL, { database: 'temporal_x', visibilityDatabase: 'temporal_x_vis' });
 */
export function temporalDatabaseOf(url: string, names: Pick<TemporalDatabase, 'database' | 'visibilityDatabase'> = {}): TemporalDatabase {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), ...names };
}

const databasesOf = (db: TemporalDatabase) => ({ main: db.database ?? 'temporal', visibility: db.visibilityDatabase ?? 'temporal_visibility' });

function runTool(sqlTool: string, db: TemporalDatabase, database: string, args: string[]): Promise<void> {
  // The password goes through the tool's environment variable, never its command line (`ps` shows that).
  const common = ['--ep', db.host, '-p', String(db.port), '-u', db.user, '--pl', 'postgres12', '--db', database];
  return new Promise((resolve, reject) => {
    execFile(sqlTool, [...common, ...args], { env: { ...process.env, SQL_PASSWORD: db.password }, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`temporal-sql-tool ${args[0]} on ${database} failed: ${(stderr || stdout).trim().split('\n').slice(-3).join('\n')}`)) : resolve(),
    );
  });
}

/**
 * Creates Temporal's two databases when missing and brings their schemas to this server version
 * with the server's own tool (`setup-schema` once, `update-schema` every time: a no-op when current).
 * @example await setupTemporalSchema(bin.sqlTool, { host: '127.0.0.1', port: 5433, user: 'postgres', password });
 */
export async function setupTemporalSchema(sqlTool: string, db: TemporalDatabase): Promise<void> {
  const names = databasesOf(db);
  const admin = postgres({ host: db.host, port: db.port, user: db.user, password: db.password, database: 'postgres', max: 1, onnotice: () => {} });
  const fresh: string[] = [];
  try {
    for (const name of Object.values(names)) {
      const [row] = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`;
      if (!row) fresh.push(name);
    }
  } finally {
    await admin.end({ timeout: 2 });
  }
  await Promise.all(
    (Object.entries(names) as Array<['main' | 'visibility', string]>).map(async ([kind, name]) => {
      if (fresh.includes(name)) {
        await runTool(sqlTool, db, name, ['create-database', '--defaultdb', 'postgres']);
        await runTool(sqlTool, db, name, ['setup-schema', '-v', '0.0']);
      }
      await runTool(sqlTool, db, name, ['update-schema', '--schema-name', `postgresql/v12/${kind === 'main' ? 'temporal' : 'visibility'}`]);
    }),
  );
}

/** The ports one server process listens on: gRPC and membership of each of its four services. */
export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  /** First of four consecutive membership (ringpop) ports. */
  membershipBase: number;
  /** Prometheus scrape endpoint of the server's own metrics; omit for none. */
  metrics?: number;
}

/**
 * Ports at fixed offsets from the frontend's, for a launcher that is given one port (7233 gives
 * Temporal's usual 7233–7239 and 7243). Temporal keeps membership ports in a smallint column, so
 * theirs are folded below 32768.
 */
export function portsFrom(frontend: number): TemporalServerPorts {
  const membership = frontend + 700;
  return { frontend, frontendHttp: frontend + 10, history: frontend + 1, matching: frontend + 2, worker: frontend + 6, membershipBase: membership <= 32_764 ? membership : 10_000 + (membership % 20_000) };
}

export interface TemporalServerOptions {
  binary: string;
  /** Holds the rendered config (with the database password: mode 0600), the log and the pid file. */
  dir: string;
  db: TemporalDatabase;
  ports: TemporalServerPorts;
  namespace: string;
  /** Retention of closed workflows in the namespace this launcher registers. */
  retention?: string;
  /** History shards: fixed for the life of the database (Temporal cannot change it later). */
  historyShards?: number;
  log: Logger;
  readyTimeoutMs?: number;
}

export interface TemporalServer {
  address: string;
  pid: number | undefined;
  stop(): Promise<void>;
  /** Resolves when the process exits, for whatever reason. */
  exited: Promise<void>;
}

const yamlString = (s: string) => JSON.stringify(s);

/** Each of the server's four services opens pools of its own, so one process may hold four times these. */
const POOL = { main: 20, visibility: 4 } as const;
const SERVICES = 4;
/** The most connections one Temporal server process may open on its PostgreSQL. */
export const TEMPORAL_SERVER_MAX_CONNECTIONS = SERVICES * (POOL.main + POOL.visibility);

function renderConfig(o: TemporalServerOptions): string {
  const { main, visibility } = databasesOf(o.db);
  const store = (database: string, conns: number) => `      sql:
        pluginName: "postgres12"
        databaseName: ${yamlString(database)}
        connectAddr: ${yamlString(`${o.db.host}:${o.db.port}`)}
        connectProtocol: "tcp"
        user: ${yamlString(o.db.user)}
        password: ${yamlString(o.db.password)}
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: "1h"`;
  const p = o.ports;
  const service = (grpc: number, membership: number, http?: number) => `    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${http ? `\n      httpPort: ${http}` : ''}`;
  return `# Rendered by lib/embedded/temporal-server.ts; changes here are overwritten at the next start.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${o.historyShards ?? 4}
  datastores:
    default:
${store(main, POOL.main)}
    visibility:
${store(visibility, POOL.visibility)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"${
      p.metrics
        ? `
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:${p.metrics}"`
        : ''
    }
services:
  frontend:
${service(p.frontend, p.membershipBase, p.frontendHttp)}
  history:
${service(p.history, p.membershipBase + 1)}
  matching:
${service(p.matching, p.membershipBase + 2)}
  worker:
${service(p.worker, p.membershipBase + 3)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${p.frontend}"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: ${yamlString(path.join(o.dir, 'config', 'dynamicconfig.yaml'))}
  pollInterval: "60s"
`;
}

// As the dev server sets them: the same limits on both targets, so a difference measured between
// them is the store's and the process layout's, not a setting's.
const DYNAMIC_CONFIG = `limit.maxIDLength:
  - value: 255
history.hostLevelCacheMaxSize:
  - value: 8096
frontend.namespaceRPS.visibility:
  - value: 100
${Object.entries(TIMER_DYNAMIC_CONFIG)
  .map(([key, value]) => `${key}:\n  - value: ${JSON.stringify(value)}\n`)
  .join('')}`;

/** Registers the namespace (when missing) and the order search attributes on it. */
async function registerNamespace(conn: Connection, namespace: string, retention: string): Promise<void> {
  const seconds = parseRetention(retention);
  try {
    await conn.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(seconds * 1000) });
  } catch (err) {
    if (!/already exists/i.test((err as Error).message)) throw err;
  }
  const keyword = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  const { customAttributes } = await conn.operatorService.listSearchAttributes({ namespace });
  const missing = ORDER_SEARCH_ATTRIBUTES.filter((name) => !(name in (customAttributes ?? {})));
  if (missing.length) await conn.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((n) => [n, keyword])) });
}

function parseRetention(text: string): number {
  const m = /^(\d+)(h|d)$/.exec(text);
  if (!m) throw new Error(`retention must look like 72h or 3d, got ${text}`);
  return Number(m[1]) * (m[2] === 'd' ? 86_400 : 3_600);
}

/**
 * Starts the server on an existing schema, waits for its frontend, and registers the namespace.
 * @example const server = await startTemporalServer({ binary: bin.server, dir, db, ports: portsFrom(7233), namespace: 'default', log });
 */
export async function startTemporalServer(o: TemporalServerOptions): Promise<TemporalServer> {
  const configDir = path.join(o.dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const pidFile = path.join(o.dir, 'server.pid');
  if (existsSync(pidFile)) {
    const stale = Number(readFileSync(pidFile, 'utf8'));
    if (stale && (await killStale(stale, 'temporal-server'))) o.log.warn('stopped a Temporal server left running by an earlier run', { pid: stale });
    rmSync(pidFile, { force: true });
  }
  writeFileSync(path.join(configDir, 'cluster.yaml'), renderConfig(o), { mode: 0o600 });
  writeFileSync(path.join(configDir, 'dynamicconfig.yaml'), DYNAMIC_CONFIG);

  // Own process group: a Ctrl-C reaches only the supervisor, which stops parts in reverse order.
  const child = spawn(o.binary, ['--root', o.dir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const tail = new Tail();
  const sink = createWriteStream(path.join(o.dir, 'server.log'), { flags: 'a' });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      sink.write(chunk);
    });
  }
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  const gone = exited(child);
  if (child.pid) writeFileSync(pidFile, String(child.pid));

  const address = `127.0.0.1:${o.ports.frontend}`;
  const timeoutMs = o.readyTimeoutMs ?? 90_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      sink.end();
      throw new Error(`Temporal server exited before it was ready (${spawnError?.message ?? `code ${child.exitCode}`}). Last output:\n${tail}`);
    }
    if (Date.now() > deadline) {
      await terminate(child);
      sink.end();
      throw new Error(`Temporal server did not answer on ${address} within ${timeoutMs / 1000} s (is a port taken?). Last output:\n${tail}\nLast error: ${String(lastError)}`);
    }
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await registerNamespace(conn, o.namespace, o.retention ?? '72h');
        await conn.workflowService.describeNamespace({ namespace: o.namespace });
      } finally {
        await conn.close();
      }
      break;
    } catch (err) {
      lastError = err;
      await sleep(500);
    }
  }
  return {
    address,
    pid: child.pid,
    exited: gone,
    async stop() {
      await terminate(child, 15_000);
      sink.end();
      rmSync(pidFile, { force: true });
    },
  };
}
