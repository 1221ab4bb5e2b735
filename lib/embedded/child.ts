/**
 * An engine process (worker or API) run by a supervisor: `node --import tsx <entry>` with an IPC
 * channel, ready when it says so, restarted with a growing delay when it dies on its own.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { terminate, writePidFile } from './process.js';
import { PROJECT_ROOT } from './temporal-cli.js';

export interface SupervisedChild {
  name: string;
  pid(): number | undefined;
  stop(): Promise<void>;
}

export interface ChildOptions {
  name: string;
  /** Entry point relative to the project root, e.g. `workers/main.ts`. */
  entry: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Lets the next start stop this child should the supervisor die without stopping it. */
  pidFile: string;
  /** True once the supervisor is stopping everything: a child that exits then is not restarted. */
  shuttingDown: () => boolean;
}

/**
 * Resolves once the child reports ready; rejects if it exits first.
 * @example stack.push(await startChild({ name: 'worker', entry: 'workers/main.ts', env, log, pidFile, shuttingDown: () => stopping }));
 */
export function startChild(o: ChildOptions): Promise<SupervisedChild> {
  let child: ChildProcess;
  let stopping = false;
  let restarts = 0;
  const spawnIt = () =>
    new Promise<void>((resolve, reject) => {
      child = fork(path.join(PROJECT_ROOT, o.entry), [], { env: o.env, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
      if (child.pid) writePidFile(o.pidFile, child.pid);
      child.on('message', (m: { type?: string }) => m?.type === 'ready' && resolve());
      child.once('exit', (code, signal) => {
        reject(new Error(`${o.name} exited during start-up (code ${code}, signal ${signal})`));
        if (stopping || o.shuttingDown()) return;
        // A crashed worker or API is restarted: Temporal resumes whatever it was doing.
        restarts++;
        const delay = Math.min(1000 * restarts, 10_000);
        o.log.warn(`${o.name} exited unexpectedly; restarting in ${delay} ms`, { code, signal });
        setTimeout(() => !o.shuttingDown() && !stopping && spawnIt().catch((err) => o.log.error(`${o.name} failed to restart`, { err })), delay);
      });
    });
  return spawnIt().then(() => {
    o.log.info(`${o.name} is up`, { pid: child.pid });
    return {
      name: o.name,
      pid: () => child.pid,
      stop: async () => {
        stopping = true;
        await terminate(child, 8000);
        rmSync(o.pidFile, { force: true });
      },
    };
  });
}
