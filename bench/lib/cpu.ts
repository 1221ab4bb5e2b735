/**
 * Where the CPU went during a run, from /proc (Linux only; elsewhere every figure is null): CPU
 * time of each part of the stack (PostgreSQL with its backends), and what the rest of the machine
 * used meanwhile, which on a shared machine is what makes two runs differ.
 */
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;
function hz(): number {
  try {
    ticksPerSecond ??= Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
  } catch {
    ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/**
 * CPU ticks of a process: its own (utime + stime) and those of its children that have exited and
 * were reaped (cutime + cstime), so a PostgreSQL backend that ends between two snapshots still
 * counts. Undefined when the process is gone.
 */
function stat(pid: number): { ticks: number; reaped: number; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), reaped: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return undefined;
  }
}

export interface CpuSnapshot {
  at: number;
  parts: Record<string, number>;
  machineBusy: number;
  machineAll: number;
}

/**
 * `parts`: name → pid. A part's child processes count too (PostgreSQL's backends), except for the
 * part named `bench`, whose children are the other parts. Exited children are lost, which is fine
 * for long-lived processes.
 */
export function cpuSnapshot(parts: Record<string, number | undefined>): CpuSnapshot | undefined {
  let machine: number[];
  try {
    machine = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return undefined;
  }
  const children = new Map<number, number[]>();
  const all = new Map<number, { ticks: number; reaped: number; ppid: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (!s) continue;
    all.set(Number(entry), s);
    const list = children.get(s.ppid) ?? [];
    list.push(Number(entry));
    children.set(s.ppid, list);
  }
  const own = (pid: number) => (all.get(pid)?.ticks ?? 0) + (all.get(pid)?.reaped ?? 0);
  const treeTicks = (pid: number): number => own(pid) + (children.get(pid) ?? []).reduce((n, c) => n + treeTicks(c), 0);
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(parts)) if (pid) out[name] = name === 'bench' ? (all.get(pid)?.ticks ?? 0) : treeTicks(pid);
  // idle and iowait are fields 4 and 5 of the cpu line.
  const idle = (machine[3] ?? 0) + (machine[4] ?? 0);
  const total = machine.slice(0, 8).reduce((a, b) => a + b, 0);
  return { at: performance.now(), parts: out, machineBusy: total - idle, machineAll: total };
}

export interface CpuUse {
  /** Cores each part kept busy on average (1.0 = one core the whole time). */
  cores: Record<string, number>;
  /** Cores busy on the whole machine, and how many of them were not ours. */
  machineCores: number;
  otherCores: number;
  /** CPU milliseconds per completed operation, by part. */
  msPerOp?: Record<string, number>;
  /** The same summed over the stack (every part but the load generator). */
  stackMsPerOp?: number;
}

export function cpuUse(a: CpuSnapshot | undefined, b: CpuSnapshot | undefined, operations?: number): CpuUse | undefined {
  if (!a || !b) return undefined;
  const seconds = (b.at - a.at) / 1000;
  const perTick = 1 / hz();
  const cores: Record<string, number> = {};
  let ours = 0;
  for (const [name, ticks] of Object.entries(b.parts)) {
    const used = (ticks - (a.parts[name] ?? ticks)) * perTick;
    ours += used;
    cores[name] = r2(used / seconds);
  }
  const machineSeconds = (b.machineBusy - a.machineBusy) * perTick;
  const use: CpuUse = { cores, machineCores: r2(machineSeconds / seconds), otherCores: r2(Math.max(0, machineSeconds - ours) / seconds) };
  if (operations) {
    use.msPerOp = Object.fromEntries(Object.entries(cores).map(([k, c]) => [k, r2((c * seconds * 1000) / operations)]));
    use.stackMsPerOp = r2(Object.entries(use.msPerOp).reduce((n, [k, ms]) => (k === 'bench' ? n : n + ms), 0));
  }
  return use;
}

const r2 = (x: number) => Math.round(x * 100) / 100;
