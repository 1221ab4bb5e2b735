import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freeLowPorts, freePort } from '../../lib/free-ports.js';
import { loopbackPort } from '../../lib/metrics-server.js';

/** The kernel's ephemeral range starts at 32768 by default; a port in it can be taken by any outgoing connection. */
const EPHEMERAL_LOW = 32_768;

const bind = (port: number) =>
  new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });

describe('free ports', () => {
  it('hands out consecutive bindable ports below the ephemeral range, never the same one twice', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const base = await freeLowPorts(4);
      expect(base + 3).toBeLessThan(EPHEMERAL_LOW);
      for (let p = base; p < base + 4; p++) {
        expect(seen.has(p), `port ${p} handed out twice`).toBe(false);
        seen.add(p);
        await bind(p);
      }
    }
  });

  it('skips a port that is taken', async () => {
    const taken = await freePort();
    const srv = createServer();
    await new Promise<void>((resolve) => srv.listen(taken, '127.0.0.1', resolve));
    try {
      for (let i = 0; i < 50; i++) expect(await freePort()).not.toBe(taken);
    } finally {
      srv.close();
    }
  });

  it('gives the Core metrics exporter a configured port as is, and for 0 one below the ephemeral range', async () => {
    expect(await loopbackPort(9464)).toBe(9464);
    const port = await loopbackPort(0);
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(EPHEMERAL_LOW);
    await bind(port);
  });
});
