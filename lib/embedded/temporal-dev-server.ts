/**
 * Runs `temporal server start-dev` as a child process: SQLite file under the data dir (or in
 * memory), gRPC and Web UI on the given ports. Used by `npm start` and by the test setup.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ORDER_SEARCH_ATTRIBUTES } from '../../domain/order-search.js';
import type { Logger } from '../logger.js';
import { exited, killStale, sleep, Tail, terminate } from './process.js';
import { TIMER_DYNAMIC_CONFIG } from './temporal-timers.js';

export interface DevServerOptions {
  binary: string;
  /** SQLite file; omit for an in-memory server. */
  dbFile?: string;
  ip?: string;
  port: number;
  uiPort: number;
  namespace?: string;
  /** Where the server's own output goes (appended). */
  logFile?: string;
  /** A pid file that lets the next start stop a server orphaned by a killed supervisor. */
  pidFile?: string;
  codecEndpoint?: string;
  log: Logger;
  readyTimeoutMs?: number;
  /** The server's Prometheus `/metrics` port (default: a random one). */
  metricsPort?: number;
  /** Dynamic config over the timer settings (lib/embedded/temporal-timers.ts), e.g. a test's control server. */
  dynamicConfig?: Record<string, string | number>;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  pid: number | undefined;
  stop(): Promise<void>;
  /** Resolves when the server process exits, for whatever reason. */
  exited: Promise<void>;
}

/** `--search-attribute Name=Keyword` for each order search attribute: the dev server registers them at start. */
export function searchAttributeArgs(): string[] {
  return ORDER_SEARCH_ATTRIBUTES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]);
}

/** `temporal server start-dev` flags that fire timers on time (lib/embedded/temporal-timers.ts), with `overrides` over them. */
export function timerArgs(overrides: Record<string, string | number> = {}): string[] {
  return Object.entries({ ...TIMER_DYNAMIC_CONFIG, ...overrides }).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]);
}

export async function startTemporalDevServer(o: DevServerOptions): Promise<DevServer> {
  const ip = o.ip ?? '127.0.0.1';
  const namespace = o.namespace ?? 'default';
  if (o.pidFile && existsSync(o.pidFile)) {
    const stale = Number(readFileSync(o.pidFile, 'utf8'));
    if (stale && (await killStale(stale, 'start-dev'))) o.log.warn('stopped a Temporal dev server left running by an earlier run', { pid: stale });
    rmSync(o.pidFile, { force: true });
  }
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(o.port), '--ui-port', String(o.uiPort), '--namespace', namespace, '--log-level', 'warn'];
  if (o.dbFile) {
    mkdirSync(path.dirname(o.dbFile), { recursive: true });
    // WAL and NORMAL sync make the single-connection SQLite store several times faster.
    args.push('--db-filename', o.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  if (o.codecEndpoint) args.push('--ui-codec-endpoint', o.codecEndpoint);
  args.push(...searchAttributeArgs());
  args.push(...timerArgs(o.dynamicConfig));
  if (o.metricsPort !== undefined) args.push('--metrics-port', String(o.metricsPort));

  // Own process group: a Ctrl-C reaches only the supervisor, which stops parts in reverse order.
  const child = spawn(o.binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const tail = new Tail();
  const sink = o.logFile ? createWriteStream(o.logFile, { flags: 'a' }) : undefined;
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      sink?.write(chunk);
    });
  }
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  const gone = exited(child);
  if (o.pidFile && child.pid) writeFileSync(o.pidFile, String(child.pid));

  const address = `${ip}:${o.port}`;
  const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      sink?.end();
      throw new Error(`Temporal dev server exited before it was ready (${spawnError?.message ?? `code ${child.exitCode}`}). Last output:\n${tail}`);
    }
    if (Date.now() > deadline) {
      await terminate(child);
      sink?.end();
      throw new Error(`Temporal dev server did not answer on ${address} within ${(o.readyTimeoutMs ?? 60_000) / 1000} s (is the port taken?). Last output:\n${tail}\nLast error: ${String(lastError)}`);
    }
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.describeNamespace({ namespace });
      } finally {
        await conn.close();
      }
      break;
    } catch (err) {
      lastError = err;
      await sleep(250);
    }
  }
  return {
    address,
    uiUrl: `http://localhost:${o.uiPort}`,
    pid: child.pid,
    exited: gone,
    async stop() {
      await terminate(child, 10_000);
      sink?.end();
      if (o.pidFile) rmSync(o.pidFile, { force: true });
    },
  };
}
