/**
 * /v1/stream: the WebSocket push of prices and order changes, on the API's own HTTP server.
 * The upgrade is where the principal is decided (see auth.ts); changes come from PostgreSQL
 * LISTEN/NOTIFY (hub.ts), so they reach the clients of every API instance; a ping every
 * WS_HEARTBEAT_INTERVAL drops clients that stopped answering.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { withLogContext, type Logger } from '../../lib/logger.js';
import { StreamAuthError, type StreamAuthenticator } from './auth.js';
import { startNotificationHub } from './hub.js';
import { StreamSession } from './session.js';

export const STREAM_PATH = '/v1/stream';

export interface StreamServerOptions {
  /** The HTTP server of the API (what `serve()` of @hono/node-server returns). */
  server: Pick<Server, 'on' | 'off'>;
  sql: Sql;
  config: Pick<Config, 'PRICE_STALE_AFTER' | 'WS_HEARTBEAT_INTERVAL'>;
  log: Logger;
  /** Decides the principal at the upgrade (tokenAuthenticator(tokens) in the API). */
  authenticate: StreamAuthenticator;
  /** A client whose unread output exceeds this is dropped (default 4 MiB). */
  maxBufferedBytes?: number;
}

export interface StreamServer {
  readonly clientCount: number;
  /** Closes every client (1001 going away), stops the heartbeat and the LISTEN. */
  close(): Promise<void>;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Serves /v1/stream on `server`; resolves once the LISTEN is in place.
 * @example
 * const server = serve({ fetch: app.fetch, port: 3000 });
 * const stream = await attachStreamServer({ server: server as Server, sql, config, log, authenticate: tokenAuthenticator(tokens) });
 * // on shutdown: await stream.close();
 */
export async function attachStreamServer(o: StreamServerOptions): Promise<StreamServer> {
  const log = o.log.child('stream');
  const authenticate = o.authenticate;
  const hub = await startNotificationHub({ sql: o.sql, log });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sessions = new Set<StreamSession>();
  const sessionOptions = { sql: o.sql, log, staleAfterMs: o.config.PRICE_STALE_AFTER, maxBufferedBytes: o.maxBufferedBytes ?? 4 * 1024 * 1024 };

  hub.onPrice((change) => sessions.forEach((s) => s.onPrice(change)));
  hub.onOrder((change) => sessions.forEach((s) => s.onOrder(change)));
  hub.onResync(() => sessions.forEach((s) => void s.resync()));

  const onSocketError = (err: Error) => log.debug('socket error before upgrade', { err });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', onSocketError);
    if (new URL(req.url ?? '/', 'http://stream.invalid').pathname !== STREAM_PATH) return refuse(socket, 404, 'Not Found');
    // Like an HTTP request's X-Request-Id: every line logged about this connection carries it.
    const requestId = randomUUID();
    withLogContext({ requestId }, () => authenticate(req)).then(
      (principal) => {
        socket.off('error', onSocketError);
        wss.handleUpgrade(req, socket, head, (ws) => {
          const session = new StreamSession(ws, principal, sessionOptions);
          sessions.add(session);
          ws.on('message', (data, isBinary) => void withLogContext({ requestId }, () => session.handle(data, isBinary)));
          ws.on('pong', () => (session.awaitingPong = false));
          ws.on('error', (err) => log.debug('stream client error', { err }));
          ws.on('close', () => sessions.delete(session));
        });
      },
      (err: unknown) => {
        if (err instanceof StreamAuthError) return refuse(socket, err.status, err.status === 401 ? 'Unauthorized' : 'Forbidden');
        log.error('stream authentication failed', { err, requestId });
        refuse(socket, 500, 'Internal Server Error');
      },
    );
  };
  o.server.on('upgrade', onUpgrade);

  const heartbeat = setInterval(() => {
    for (const s of sessions) {
      if (s.awaitingPong) {
        s.ws.terminate();
        continue;
      }
      s.awaitingPong = true;
      s.ws.ping();
    }
  }, o.config.WS_HEARTBEAT_INTERVAL);
  heartbeat.unref();

  return {
    get clientCount() {
      return sessions.size;
    },
    async close() {
      clearInterval(heartbeat);
      o.server.off('upgrade', onUpgrade);
      const closed = [...sessions].map((s) => new Promise<void>((resolve) => {
        s.ws.once('close', () => resolve());
        s.ws.close(1001, 'server shutting down');
        setTimeout(() => s.ws.terminate(), 1000).unref();
      }));
      await Promise.all(closed);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await hub.close();
    },
  };
}
