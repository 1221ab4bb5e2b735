/** The Hono app over real HTTP on a free loopback port, for tests of what only a socket shows. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { App } from '../../api/app.js';

export interface Served {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function serveApp(app: Pick<App, 'fetch'>): Promise<Served> {
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
