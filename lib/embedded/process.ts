/** Helpers for the child processes the supervisor and the tests own. */
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Resolves when the child has exited (immediately if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function terminate(child: ChildProcess, graceMs = 8000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

/** The process exists and is not a zombie (a zombie answers signal 0 but runs nothing). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return procStat(pid)?.state !== 'Z';
}

/** State letter and start time (clock ticks since boot) from /proc/<pid>/stat; undefined off Linux or once gone. */
export function procStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  return state && startTime ? { state, startTime } : undefined;
}

/**
 * A pid file that names its process unambiguously: `pid startTime`. The start time tells a
 * process of ours from a later one the kernel gave the same pid.
 * @example writePidFile(path.join(dataDir, 'supervisor.pid'), process.pid);
 */
export function writePidFile(file: string, pid: number): void {
  const startTime = procStat(pid)?.startTime;
  writeFileSync(file, startTime ? `${pid} ${startTime}` : String(pid));
}

/**
 * The pid in `file` when that process is still the one that wrote it: alive, not a zombie, the
 * same start time (when recorded) and a command line containing `mustContain`; else undefined.
 * @example const other = ownProcessIn(lock, 'scripts/start.ts');
 */
export function ownProcessIn(file: string, mustContain: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const [pidText, startTime] = readFileSync(file, 'utf8').trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  const stat = procStat(pid);
  if (startTime && stat && stat.startTime !== startTime) return undefined;
  return commandLineOf(pid).includes(mustContain) ? pid : undefined;
}

export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Stops a process left behind by an earlier run that was killed (e.g. `kill -9` of the supervisor). */
export async function killStale(pid: number, mustContain: string, graceMs = 8000, startTime?: string): Promise<boolean> {
  if (!isAlive(pid) || !commandLineOf(pid).includes(mustContain)) return false;
  if (startTime && procStat(pid) && procStat(pid)?.startTime !== startTime) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  return true;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Keeps the last lines a child printed, for error messages. */
export class Tail {
  private lines: string[] = [];
  constructor(private readonly max = 40) {}
  push(chunk: string | Buffer): void {
    for (const line of chunk.toString().split('\n')) if (line.trim()) this.lines.push(line);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on PATH. */
export function onPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}
