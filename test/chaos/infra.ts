/**
 * The servers under the engine, each stoppable and restartable in place: the Temporal dev server
 * (same SQLite file, same ports) or, on the cluster target, the Temporal server (same databases,
 * same ports), and the embedded PostgreSQL (same data directory, same port).
 * Both are the launchers `npm start` uses; this file only adds "stop now, start again later".
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { variables } from '../../lib/config.js';
import { createSql, type Sql } from '../../lib/db.js';
import { CLUSTER_SHAPE, postgresMaxConnections } from '../../lib/embedded/cluster-shape.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../../lib/embedded/postgres.js';
import { startTemporalDevServer, type DevServer, type DevServerOptions } from '../../lib/embedded/temporal-dev-server.js';
import { setupTemporalSchema, startTemporalServer, temporalDatabaseOf, type TemporalServer, type TemporalServerBinaries, type TemporalServerOptions } from '../../lib/embedded/temporal-server.js';
import { createLogger } from '../../lib/logger.js';
import { migrate } from '../../store/migrate.js';
import { freePort, freeTemporalServerPorts } from '../helpers/ports.js';
import { killTree } from './kill.js';

const log = createLogger('chaos', { level: 'warn' });

export interface ChaosTemporal {
  address: string;
  stop(): Promise<void>;
  /** SIGKILL of the server (no graceful stop: SQLite is left as the crash left it). */
  kill9(): Promise<void>;
  /** Starts the server again on the same file and ports (after `stop` or `kill9`). */
  start(): Promise<void>;
}

/**
 * @example const temporal = await startChaosTemporal({ binary, dir }); await temporal.stop(); await temporal.start();
 */
export async function startChaosTemporal({ binary, dir }: { binary: string; dir: string }): Promise<ChaosTemporal> {
  let options: DevServerOptions | undefined;
  const server = await withFreshPorts(async () => {
    options = {
      binary,
      dbFile: path.join(dir, 'temporal.db'),
      port: await freePort(),
      uiPort: await freePort(),
      logFile: path.join(dir, 'temporal.log'),
      pidFile: path.join(dir, 'temporal.pid'),
      log,
      readyTimeoutMs: 90_000,
    };
    return startTemporalDevServer(options);
  });
  const started = options!;
  return restartable(server, () => startTemporalDevServer(started));
}

/**
 * The Temporal server itself on the run's PostgreSQL (the cluster target): databases of the
 * scenario's own, schema set up by the server's tool, fresh ports. `stop`, `kill9` and `start` as
 * for the dev server; a restart finds its history in PostgreSQL.
 * @example const temporal = await startChaosTemporalServer({ bin, dir, pg, name: 'worker_kill' });
 */
export async function startChaosTemporalServer({ bin, dir, pg, name }: { bin: TemporalServerBinaries; dir: string; pg: ChaosPostgres; name: string }): Promise<ChaosTemporal> {
  const db = temporalDatabaseOf(pg.urlOf('postgres'), { database: `temporal_${name}`, visibilityDatabase: `temporal_${name}_vis` });
  await setupTemporalSchema(bin.sqlTool, db);
  let options: TemporalServerOptions | undefined;
  const server = await withFreshPorts(async () => {
    const ports = await freeTemporalServerPorts();
    options = { binary: bin.server, dir: path.join(dir, 'temporal-server'), db, ports, namespace: 'default', log, readyTimeoutMs: 90_000 };
    return startTemporalServer(options);
  });
  const started = options!;
  return restartable(server, () => startTemporalServer(started));
}

/** Stop, kill -9 and start again of a Temporal process whose launcher `start` repeats with the first start's options. */
function restartable(first: DevServer | TemporalServer, start: () => Promise<DevServer | TemporalServer>): ChaosTemporal {
  let server: DevServer | TemporalServer | undefined = first;
  return {
    address: first.address,
    async stop() {
      const s = server;
      server = undefined;
      await s?.stop();
    },
    async kill9() {
      const s = server;
      server = undefined;
      if (s?.pid) await killTree(s.pid);
      await s?.exited;
    },
    async start() {
      if (server) return;
      server = await start();
    },
  };
}

/**
 * Another process may take a port between freePort() and the server's bind (other test runs share
 * this machine): a first start is tried again on new ports. Restarts keep theirs, as they must.
 */
async function withFreshPorts<T>(start: () => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= tries) throw err;
    }
  }
}

export interface ChaosPostgres {
  port: number;
  /** URL of a database on this server. */
  urlOf(database: string): string;
  /** Drops and creates `database` and applies the migrations. */
  freshDatabase(database: string): Promise<string>;
  stop(): Promise<void>;
  /**
   * SIGKILL of the postmaster and every backend and auxiliary process of the cluster; the next
   * `start` finds a dead lock file and runs crash recovery on the same data directory and port.
   */
  kill9(): Promise<{ processes: number; clusterState: string }>;
  start(): Promise<void>;
}

/**
 * One PostgreSQL for the whole run; every scenario gets a database of its own on it.
 * @example const pg = await startChaosPostgres(dir); const url = await pg.freshDatabase('chaos_worker_kill');
 */
export async function startChaosPostgres(dir: string): Promise<ChaosPostgres> {
  let port = 0;
  // While one scenario drains, the next one's Temporal server starts on the same PostgreSQL.
  // The engine's processes run with PG_POOL_MAX's default (engineEnv sets no PG_POOL_MAX).
  const poolMax = variables.PG_POOL_MAX.schema.parse(undefined);
  const maxConnections = postgresMaxConnections({ temporalServers: 2, workers: CLUSTER_SHAPE.workers, apis: CLUSTER_SHAPE.apis, poolMax });
  const launch = () => startEmbeddedPostgres({ dir, port, log, database: 'postgres', maxConnections });
  let running: RunningPostgres | undefined = await withFreshPorts(async () => {
    port = await freePort();
    return launch();
  });
  const base = new URL(running.url);
  const urlOf = (database: string) => {
    const u = new URL(base);
    u.pathname = `/${database}`;
    return u.toString();
  };
  return {
    port,
    urlOf,
    async freshDatabase(database) {
      if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`not a database name: ${database}`);
      const admin = postgres(urlOf('postgres'), { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await admin.unsafe(`CREATE DATABASE ${database}`);
      } finally {
        await admin.end({ timeout: 2 });
      }
      const url = urlOf(database);
      const sql: Sql = createSql(url, { max: 1 });
      try {
        await migrate(sql);
      } finally {
        await sql.end({ timeout: 2 });
      }
      return url;
    },
    async stop() {
      const r = running;
      running = undefined;
      await r?.stop();
    },
    async kill9() {
      const r = running;
      running = undefined;
      const killed = r?.pid ? await killTree(r.pid) : [];
      // The launcher's own handle only forgets the exit-time signal; the processes are gone.
      await r?.stop();
      return { processes: killed.length, clusterState: clusterState(path.join(dir, 'pgdata')) };
    },
    async start() {
      if (running) return;
      running = await launch();
    },
  };
}

const DB_STATES = ['starting up', 'shut down', 'shut down in recovery', 'shutting down', 'in crash recovery', 'in archive recovery', 'in production'];

/**
 * The state pg_control records (what pg_controldata prints as "Database cluster state"): "in
 * production" after a kill means the next start must run crash recovery; "shut down" would mean
 * the kill was in fact a clean stop. The field follows two 32-bit and one 64-bit header fields.
 */
function clusterState(pgdata: string): string {
  try {
    const state = readFileSync(path.join(pgdata, 'global', 'pg_control')).readUInt32LE(16);
    return DB_STATES[state] ?? `state ${state}`;
  } catch (err) {
    return `unreadable (${(err as Error).message})`;
  }
}
