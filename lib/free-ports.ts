/**
 * Ports are picked below the kernel's ephemeral range (32768–60999 on Linux): a port the kernel
 * gives out, as `listen(0)` does, can be taken as the local end of any outgoing connection between
 * the check and its user's bind (seen as EADDRINUSE while a Temporal server opened its connections).
 */
import { createServer } from 'node:net';

const LOW_BASE = 20_000;
const LOW_SPAN = 12_000;

/** Ports this process has handed out: another caller here must not get one before its user binds it. */
const handedOut = new Set<number>();

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive ports below 32768 that were all free on 127.0.0.1 a moment ago
 * and not handed out before by this process. Below 32768 also suits Temporal, which keeps its
 * membership ports in a smallint column.
 * @example const base = await freeLowPorts(4); // base … base + 3
 */
export async function freeLowPorts(count: number): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const base = LOW_BASE + Math.floor(Math.random() * (LOW_SPAN - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if (ports.some((p) => handedOut.has(p))) continue;
    for (const p of ports) handedOut.add(p);
    let all = true;
    for (const p of ports) if (all) all = await isFree(p);
    if (all) return base;
    for (const p of ports) handedOut.delete(p);
  }
  throw new Error(`no ${count} consecutive free ports between ${LOW_BASE} and ${LOW_BASE + LOW_SPAN}: too many listeners on this host`);
}

/** A TCP port below the ephemeral range, free on 127.0.0.1 a moment ago, not handed out before by this process. */
export const freePort = (): Promise<number> => freeLowPorts(1);
