/**
 * /v1/stream: the WebSocket push of prices, order changes, fired alerts and recalculated portfolios, on the API's own HTTP server.
 * The upgrade is where the principal is decided (see auth.ts); changes come from PostgreSQL
 * LISTEN/NOTIFY (hub.ts), so they reach the clients of every API instance; a ping every
 * WS_HEARTBEAT_INTERVAL drops clients that stopped answering.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { withLogContext, type Logger } from '../../lib/logger.js';
import type { ApiMetrics } from '../../lib/metrics.js';
import { latestPortfolioResult } from '../../store/portfolio-events.js';
import { errorBody } from '../errors.js';
import { StreamAuthError, type StreamAuthenticator } from './auth.js';
import { startNotificationHub } from './hub.js';
import { STREAM_LIMITS, type StreamLimits } from './limits.js';
import { createPortfolioFeed } from './portfolio-feed.js';
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
  /** Connections per account and subscription throttling (default STREAM_LIMITS, as documented). */
  limits?: Partial<StreamLimits>;
  /** The open connections gauge (the API's metrics, lib/metrics.ts). */
  metrics?: Pick<ApiMetrics, 'websocketConnections'> | undefined;
}

export interface StreamServer {
  readonly clientCount: number;
  /** Closes every client (1001 going away), stops the heartbeat and the LISTEN. */
  close(): Promise<void>;
}

/**
 * Ends an upgrade the way the HTTP API answers a refusal: the error shape, X-Request-Id, nosniff.
 */
function refuse(socket: Duplex, requestId: string, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(errorBody(code, message));
  const head = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Request-Id': requestId,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    Connection: 'close',
    ...headers,
  };
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${Object.entries(head).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`);
}

/** The caller's X-Request-Id when it is a sane one (as Hono's requestId middleware takes it), else a new one. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && given.length <= 255 && /^[\w\-=]+$/.test(given) ? given : randomUUID();
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
  const limits: StreamLimits = { ...STREAM_LIMITS, ...o.limits };
  const sessions = new Set<StreamSession>();
  const sessionOptions = {
    sql: o.sql,
    log,
    staleAfterMs: o.config.PRICE_STALE_AFTER,
    maxBufferedBytes: o.maxBufferedBytes ?? 4 * 1024 * 1024,
    subscriptionBurst: limits.subscriptionBurst,
    subscriptionsPerSecond: limits.subscriptionsPerSecond,
  };
  /** Open (or opening) connections per account on this instance. */
  const connections = new Map<string, number>();
  const requestIds = new WeakMap<IncomingMessage, string>();

  hub.onPrice((change) => sessions.forEach((s) => s.onPrice(change)));
  hub.onOrder((change) => sessions.forEach((s) => s.onOrder(change)));
  hub.onAlert((change) => sessions.forEach((s) => s.onAlert(change)));
  const portfolioFeed = createPortfolioFeed({ read: (change) => latestPortfolioResult(o.sql, change), log, deliver: (accountId, view) => sessions.forEach((s) => s.onPortfolio(accountId, view)) });
  // Read only when a session follows it: a price move recalculates every portfolio that holds the symbol.
  hub.onPortfolio((change) => {
    if ([...sessions].some((s) => s.followsPortfolio(change.accountId))) portfolioFeed.changed(change);
  });
  hub.onResync(() => sessions.forEach((s) => void s.resync()));
  // The 101 carries the connection's id too, as every HTTP answer does.
  wss.on('headers', (headers, req) => headers.push(`X-Request-Id: ${requestIds.get(req) ?? ''}`));

  /** Counts a connection of `accountId` until its socket closes; false when the account is at its cap. */
  function admit(accountId: string, socket: Duplex): boolean {
    const open = connections.get(accountId) ?? 0;
    if (open >= limits.maxConnectionsPerAccount) return false;
    connections.set(accountId, open + 1);
    socket.once('close', () => {
      const left = (connections.get(accountId) ?? 1) - 1;
      if (left > 0) connections.set(accountId, left);
      else connections.delete(accountId);
    });
    return true;
  }

  const onSocketError = (err: Error) => log.debug('socket error before upgrade', { err });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', onSocketError);
    // Like an HTTP request's X-Request-Id: every line logged about this connection carries it.
    const requestId = requestIdOf(req);
    if (new URL(req.url ?? '/', 'http://stream.invalid').pathname !== STREAM_PATH) {
      return refuse(socket, requestId, 404, 'not_found', `No WebSocket endpoint at ${new URL(req.url ?? '/', 'http://stream.invalid').pathname}; use ${STREAM_PATH}`);
    }
    withLogContext({ requestId }, () => authenticate(req)).then(
      (principal) => {
        if (!admit(principal.accountId, socket)) {
          return refuse(socket, requestId, 429, 'too_many_connections', `An account may hold at most ${limits.maxConnectionsPerAccount} stream connections to this instance; close one first`);
        }
        socket.off('error', onSocketError);
        requestIds.set(req, requestId);
        wss.handleUpgrade(req, socket, head, (ws) => {
          const session = new StreamSession(ws, principal, sessionOptions);
          sessions.add(session);
          o.metrics?.websocketConnections.inc();
          ws.on('message', (data, isBinary) => void withLogContext({ requestId }, () => session.handle(data, isBinary)));
          ws.on('pong', () => (session.awaitingPong = false));
          ws.on('error', (err) => log.debug('stream client error', { err }));
          ws.on('close', () => {
            sessions.delete(session);
            o.metrics?.websocketConnections.dec();
          });
        });
      },
      (err: unknown) => {
        if (err instanceof StreamAuthError) {
          const challenge = err.code === 'invalid_token' ? 'Bearer realm="durable-trader", error="invalid_token"' : 'Bearer realm="durable-trader"';
          return refuse(socket, requestId, err.status, err.code, err.message, err.status === 401 ? { 'WWW-Authenticate': challenge } : {});
        }
        log.error('stream authentication failed', { err, requestId });
        refuse(socket, requestId, 500, 'internal', 'Internal error; retry later or report the request id');
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
      await portfolioFeed.close();
    },
  };
}
