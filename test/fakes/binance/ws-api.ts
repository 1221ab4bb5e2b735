/**
 * The WebSocket API at /ws-api/v3 on the fake's HTTP port (web-socket-api.md): requests
 * `{id, method, params}` in text frames, responses `{id, status, result | error, rateLimits}`.
 * A connection attempt costs 2 weight and each request its method's weight, on the same per-IP
 * count as REST; past the limit the answer is 429 with `retryAfter`, and a banned IP hears 418.
 * Every attempt and request goes into the fake's request log (requests as method `WS`).
 */
import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { apiErrors, BinanceApiError } from './api-error.js';
import type { IpLimits } from './ip-limits.js';
import { tooMuchWeight } from './rate-limits.js';
import type { RequestLogEntry } from './server.js';
import type { FakeState } from './state.js';
import type { UserStream } from './user-stream.js';
import { type WsContext, wsMethods } from './ws-methods.js';
import { type SessionTiming, WsSession } from './ws-session.js';

export const WS_API_PATH = '/ws-api/v3';
const CONNECT_WEIGHT = 2;
/** What a request naming no method the fake knows costs. */
const UNKNOWN_WEIGHT = 1;

export interface WsApiDeps {
  state: FakeState;
  stream: UserStream;
  log: RequestLogEntry[];
  ipLimits: IpLimits;
  timing: SessionTiming;
}

/** An error answer that may carry `data` (Binance adds `serverTime` and `retryAfter` to 429/418). */
class WsError extends Error {
  constructor(
    readonly status: number,
    readonly error: { code: number; msg: string; data?: { serverTime: number; retryAfter: number } },
  ) {
    super(error.msg);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Refuses an upgrade with a plain HTTP answer, as Binance refuses a connection it will not take. */
function refuse(socket: Duplex, status: number, headers: Record<string, string>, body: string): void {
  const lines = Object.entries({ ...headers, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' }).map(([k, v]) => `${k}: ${v}`);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${lines.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * Serves the WebSocket API on `server`'s upgrades; anything but /ws-api/v3 is refused with 404.
 * @example
 * const wsApi = attachWsApi(http.server, { state, stream, log: http.log, ipLimits: http.ipLimits, timing });
 * await wsApi.close();
 */
export function attachWsApi(server: Server, deps: WsApiDeps): { close(): void } {
  const { state, stream, log, ipLimits, timing } = deps;
  const { limits } = state;
  const wss = new WebSocketServer({ noServer: true, autoPong: false });

  /** Counts `weight` and throws the 418/429 a banned or over-limit IP gets. */
  function admit(method: string, path: string, weight: number, now: number): void {
    if (ipLimits.admit(method, path, now)) {
      const until = ipLimits.bannedUntilTime;
      const msg = `Way too much request weight used; IP banned until ${until}. Please use WebSocket Streams for live updates to avoid bans.`;
      throw new WsError(418, { code: -1003, msg, data: { serverTime: now, retryAfter: until } });
    }
    const used = limits.useWeight(weight, now);
    if (limits.weightExceeded(used)) {
      const seconds = limits.secondsToReset(now);
      ipLimits.opened(429, seconds, now);
      const { code, msg } = tooMuchWeight(limits.weight);
      throw new WsError(429, { code, msg, data: { serverTime: now, retryAfter: limits.windowEnd(now) } });
    }
  }

  function answer(session: WsSession, raw: string | undefined): void {
    const now = state.serverNow();
    const entry: RequestLogEntry = { time: now, method: 'WS', path: WS_API_PATH, weight: UNKNOWN_WEIGHT, status: 200 };
    log.push(entry);
    let id: unknown = null;
    let returnRateLimits = session.returnRateLimits;
    const reply = (status: number, body: { result: unknown } | { error: object }): void => {
      entry.status = status;
      if (status === 429 || status === 418) limits.rateLimited += 1;
      session.send({ id, status, ...body, ...(returnRateLimits ? { rateLimits: limits.wsStatus(limits.usedWeight(now)) } : {}) });
    };
    try {
      let request: unknown;
      try {
        request = raw === undefined ? undefined : JSON.parse(raw);
      } catch {
        request = undefined;
      }
      if (!isObject(request)) {
        admit('WS', WS_API_PATH, UNKNOWN_WEIGHT, now);
        throw apiErrors.invalidJson();
      }
      if (typeof request['id'] === 'number' || typeof request['id'] === 'string') id = request['id'];
      const params = request['params'] ?? {};
      const name = typeof request['method'] === 'string' ? request['method'].replace(/^v3\//, '') : '';
      const method = wsMethods[name];
      entry.wsMethod = name;
      entry.weight = method?.weight ?? UNKNOWN_WEIGHT;
      if (isObject(params) && typeof params['returnRateLimits'] === 'boolean') returnRateLimits = params['returnRateLimits'];
      admit('WS', name || WS_API_PATH, entry.weight, now);
      if (!('id' in request) || (request['id'] !== null && id === null)) throw apiErrors.mandatory('id');
      if (name === '') throw apiErrors.mandatory('method');
      if (!isObject(params)) throw apiErrors.invalidJson();
      if (!method) throw apiErrors.unsupported();
      const context: WsContext = { session, state, stream, now };
      const outcome = method.handle(params, context);
      reply(200, { result: outcome.result });
      outcome.then?.();
    } catch (e) {
      if (e instanceof WsError) return reply(e.status, { error: e.error });
      if (e instanceof BinanceApiError) return reply(e.httpStatus, { error: { code: e.code, msg: e.msg } });
      reply(500, { error: { code: -1000, msg: 'An unknown error occurred while processing the request.' } });
    }
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname !== WS_API_PATH) return refuse(socket, 404, {}, '');
    const now = state.serverNow();
    const entry: RequestLogEntry = { time: now, method: 'GET', path: WS_API_PATH, weight: CONNECT_WEIGHT, status: 101 };
    log.push(entry);
    try {
      admit('GET', WS_API_PATH, CONNECT_WEIGHT, now);
    } catch (e) {
      const { status, error } = e as WsError;
      entry.status = status;
      limits.rateLimited += 1;
      const retryAfter = String(Math.max(1, Math.ceil(((error.data?.retryAfter ?? now) - now) / 1000)));
      return refuse(socket, status, { 'Content-Type': 'application/json;charset=UTF-8', 'Retry-After': retryAfter }, JSON.stringify({ code: error.code, msg: error.msg }));
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new WsSession(ws, now, url.searchParams.get('returnRateLimits') !== 'false', timing, stream.switches);
      stream.opened(session);
      ws.on('message', (data, isBinary) => {
        if (!session.isSilent) answer(session, isBinary ? undefined : data.toString());
      });
      ws.on('error', () => ws.terminate());
    });
  });

  return {
    close: () => {
      for (const session of stream.sessions) session.socket.terminate();
      stream.close();
      wss.close();
    },
  };
}
