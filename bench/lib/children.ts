/**
 * The bench's child processes (the engine's worker and API, the bench's own servers), run the way
 * `npm start` runs them: `node --import tsx <entry>` with an IPC channel, ready when they say so.
 * Output goes to a log file in the run directory; its tail is shown when a child fails.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { exited, terminate } from '../../lib/embedded/process.js';
import { PROJECT_ROOT } from '../../lib/embedded/temporal-cli.js';

export interface Child {
  name: string;
  pid: number | undefined;
  logFile: string;
  /** Resolves when the process exits, for whatever reason. */
  exited: Promise<void>;
  stop(): Promise<void>;
  /** A message over the IPC channel. */
  send(message: unknown): void;
}

export interface StartChildOptions {
  name: string;
  /** Path relative to the project root, e.g. `workers/main.ts`. */
  entry: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  readyTimeoutMs?: number;
  /** Called right after the fork, before the child is ready, so a stop during start-up reaches it too. */
  onSpawn?: (child: Child) => void;
  /** Every IPC message the child sends (`ready` included). */
  onMessage?: (message: unknown) => void;
}

export function tailOf(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * @example const worker = await startChild({ name: 'worker', entry: 'workers/main.ts', env, logFile });
 */
export async function startChild(o: StartChildOptions): Promise<Child> {
  const fd = openSync(o.logFile, 'a');
  let child: ChildProcess;
  try {
    child = fork(path.join(PROJECT_ROOT, o.entry), [], {
      cwd: PROJECT_ROOT,
      env: o.env,
      // BENCH_NODE_ARGS reaches every child, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the stack under load.
      execArgv: ['--import', 'tsx', ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
      stdio: ['ignore', fd, fd, 'ipc'],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  const gone = exited(child);
  const handle: Child = { name: o.name, pid: child.pid, logFile: o.logFile, exited: gone, stop: () => terminate(child, 8000), send: (m) => void child.send(m as never) };
  if (o.onMessage) child.on('message', o.onMessage);
  o.onSpawn?.(handle);
  const timeoutMs = o.readyTimeoutMs ?? 180_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within ${timeoutMs / 1000} s`)), timeoutMs);
      child.on('message', (m: { type?: string }) => {
        if (m?.type === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited during start-up (code ${code}, signal ${signal})`));
      });
    });
  } catch (err) {
    await handle.stop();
    throw new Error(`${o.name} (${o.entry}) failed to start: ${(err as Error).message}. Last output (${o.logFile}):\n${tailOf(o.logFile)}`);
  }
  return handle;
}
