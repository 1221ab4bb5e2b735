/**
 * The worker and API as the chaos harness runs them: real `node --import tsx` processes in their
 * own process groups, output appended to a log file, killable with SIGKILL at any moment. A part
 * that dies without being told to is restarted the way `npm start`'s supervisor does it, and the
 * harness is told, because an unexpected exit is a finding in itself.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { exited, sleep } from '../../lib/embedded/process.js';
import { PROJECT_ROOT } from '../../lib/embedded/temporal-cli.js';

export interface PartOptions {
  name: string;
  /** Entry point relative to the project root, e.g. `workers/main.ts`. */
  entry: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** How long start-up (bundling the workflows, connecting) may take. */
  readyTimeoutMs?: number;
  /** Called when the part exited although nobody killed it. */
  onUnexpectedExit?: (why: string) => void;
}

/** Signals the whole process group, so nothing the part spawned survives it. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/**
 * One restartable process. `kill9()` and `stop()` are expected exits; anything else is reported
 * through `onUnexpectedExit` and followed by a restart after a second.
 * @example const worker = new Part({ name: 'worker', entry: 'workers/main.ts', env, logFile }); await worker.start();
 */
export class Part {
  private child: ChildProcess | undefined;
  private expectExit = false;
  private closed = false;
  private starts = 0;

  constructor(private readonly o: PartOptions) {}

  get name(): string {
    return this.o.name;
  }

  /** Starts the process and resolves once it reports `ready` over IPC. */
  async start(): Promise<void> {
    // After stop() (the scenario is over, or the harness is stopping) nothing may start again.
    if (this.closed) throw new Error(`${this.o.name} was stopped; not starting it again`);
    this.starts++;
    this.expectExit = false;
    appendFileSync(this.o.logFile, `\n----- ${new Date().toISOString()} chaos: starting ${this.o.name} (#${this.starts})\n`);
    const fd = openSync(this.o.logFile, 'a');
    let child: ChildProcess;
    try {
      child = fork(path.join(PROJECT_ROOT, this.o.entry), [], {
        cwd: PROJECT_ROOT,
        env: this.o.env,
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', fd, fd, 'ipc'],
        detached: true,
      });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    const gone = exited(child);
    void gone.then(() => this.afterExit(child));
    const ready = new Promise<'ready'>((resolve) => child.on('message', (m: { type?: string }) => m?.type === 'ready' && resolve('ready')));
    const timeoutMs = this.o.readyTimeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      ready,
      gone.then(() => 'exited' as const),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (outcome === 'ready') return;
    if (outcome === 'timeout') await this.kill9();
    throw new Error(`${this.o.name} did not become ready (${outcome === 'timeout' ? `no "ready" within ${timeoutMs / 1000} s` : `exited with code ${child.exitCode}, signal ${child.signalCode}`}); log: ${this.o.logFile}\n${this.tail()}`);
  }

  /** kill -9 of the process group; resolves once the process is gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.expectExit = true;
    appendFileSync(this.o.logFile, `\n----- ${new Date().toISOString()} chaos: kill -9 ${this.o.name} (pid ${child.pid})\n`);
    signalGroup(child, 'SIGKILL');
    await exited(child);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; no restart follows. */
  async stop(graceMs = 5000): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child) return;
    this.expectExit = true;
    const gone = exited(child);
    signalGroup(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  /** The last lines of the part's log, for failure reports. */
  tail(lines = 30): string {
    try {
      const all = readFileSync(this.o.logFile, 'utf8').trimEnd().split('\n');
      // The SDK's warnings carry whole stack traces on one line: keep the beginning of each.
      return all.slice(-lines).map((l) => (l.length > 400 ? `${l.slice(0, 400)} …` : l)).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private afterExit(child: ChildProcess): void {
    if (child !== this.child || this.expectExit || this.closed) return;
    const why = `${this.o.name} exited unexpectedly (code ${child.exitCode}, signal ${child.signalCode})`;
    this.o.onUnexpectedExit?.(why);
    void (async () => {
      await sleep(1000);
      if (this.closed || child !== this.child) return;
      await this.start().catch((err: unknown) => this.o.onUnexpectedExit?.(`${this.o.name} failed to restart: ${(err as Error).message.split('\n')[0]}`));
    })();
  }
}
