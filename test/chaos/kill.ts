/**
 * SIGKILL of a server and everything it forked, as a power cut or the OOM killer would end it.
 * PostgreSQL's backends call setsid(), so a signal to the postmaster's process group misses them:
 * the postmaster is frozen with SIGSTOP (it can fork nothing more), its children are read from
 * /proc, and all of them are killed. Linux only, as the rest of the harness.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { sleep } from '../../lib/embedded/process.js';

/** `ppid` and one-letter state of `pid`, or undefined once it is gone. */
function statOf(pid: number): { ppid: number; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields start after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(ppid), state: state ?? '?' };
  } catch {
    return undefined;
  }
}

/** A zombie has released everything (ports, shared memory); only its exit status remains. */
const gone = (pid: number): boolean => {
  const s = statOf(pid);
  return !s || s.state === 'Z' || s.state === 'X';
};

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const child = Number(name);
    if (Number.isInteger(child) && statOf(child)?.ppid === pid) out.push(child);
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/**
 * SIGKILL of `pid`, its process group and all its descendants at once; resolves when every one
 * of them is gone (or a zombie), so a restart on the same port and data finds nothing in the way.
 * @example const killed = await killTree(postmasterPid); // [postmaster, checkpointer, backends…]
 */
export async function killTree(pid: number, timeoutMs = 15_000): Promise<number[]> {
  if (gone(pid)) return [];
  const frozen: number[] = [];
  // Freeze from the top down, so no process forks a child after its children were listed.
  for (const queue = [pid]; queue.length; ) {
    const p = queue.shift()!;
    signal(p, 'SIGSTOP');
    frozen.push(p);
    queue.push(...childrenOf(p).filter((c) => !frozen.includes(c)));
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Not a group leader (or gone): the pids below are killed one by one anyway.
  }
  for (const p of frozen) signal(p, 'SIGKILL');
  const deadline = Date.now() + timeoutMs;
  while (!frozen.every(gone)) {
    if (Date.now() > deadline) throw new Error(`processes ${frozen.filter((p) => !gone(p)).join(', ')} survived SIGKILL`);
    await sleep(50);
  }
  return frozen;
}
