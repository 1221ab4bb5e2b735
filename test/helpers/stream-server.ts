/** The API's WebSocket `/v1/stream` on a random local port, over a test engine's app and database. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { tokenAuthenticator } from '../../api/stream/auth.js';
import { attachStreamServer, type StreamServer } from '../../api/stream/index.js';
import type { StreamLimits } from '../../api/stream/limits.js';
import { createLogger } from '../../lib/logger.js';
import type { ApiMetrics } from '../../lib/metrics.js';
import type { TestEngine } from './engine.js';

export interface StreamApi {
  /** ws://…/v1/stream */
  url: string;
  stream: StreamServer;
  close(): Promise<void>;
}

/**
 * @example const api = await startStreamApi(e); const ws = new WebSocket(api.url, { headers: { authorization: `Bearer ${token}` } });
 */
export async function startStreamApi(e: TestEngine, limits?: Partial<StreamLimits>, metrics?: Pick<ApiMetrics, 'websocketConnections'>): Promise<StreamApi> {
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: e.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  const stream = await attachStreamServer({ server, sql: e.sql, config: e.config, log: createLogger('test-stream', { level: 'error' }), authenticate: tokenAuthenticator(e.tokens), limits, metrics });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/stream`,
    stream,
    async close() {
      await stream.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
