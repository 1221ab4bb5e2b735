import { createServer } from 'node:net';
import type { TemporalServerPorts } from '../../lib/embedded/temporal-server.js';

/** Ports this process has handed out: the kernel may offer a closed one again before its user binds it. */
const handedOut = new Set<number>();

/** A TCP port that was free a moment ago on 127.0.0.1, and not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = await anyFreePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port that this process has not handed out already');
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive ports below 32768 that were all free a moment ago: Temporal
 * keeps its membership ports in a smallint column, so the kernel's ephemeral range won't do.
 */
export async function freeLowPorts(count: number): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - count));
    let all = true;
    for (let p = base; p < base + count && all; p++) all = await isFree(p);
    if (all) return base;
  }
  throw new Error(`no ${count} consecutive free ports below 32768`);
}

/** Free ports for every listener of one Temporal server process (lib/embedded/temporal-server.ts). */
export async function freeTemporalServerPorts(): Promise<TemporalServerPorts> {
  return { frontend: await freePort(), frontendHttp: await freePort(), history: await freePort(), matching: await freePort(), worker: await freePort(), membershipBase: await freeLowPorts(4) };
}
