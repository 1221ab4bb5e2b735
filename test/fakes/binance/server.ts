/**
 * The fake's HTTP layer on node:http: answers 418 to a banned IP, merges query and form parameters
 * as Binance does, counts request weight (X-MBX-USED-WEIGHT-1M or whatever interval is configured,
 * 429 past the limit), applies injected faults, checks signatures, enforces the ORDERS limits
 * (429 -1015), runs the route and writes Binance's JSON, status codes and headers. Every 429/418
 * for request weight opens a Retry-After window that ip-limits.ts watches.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { apiErrors, BinanceApiError } from './api-error.js';
import { type FaultKind, faultAnswer } from './faults.js';
import { IpLimits } from './ip-limits.js';
import { verifySigned } from './signing.js';
import type { FakeState, Route, RouteResult } from './state.js';
import { intervalWords, tooMuchWeight } from './rate-limits.js';

export interface RequestLogEntry {
  time: number;
  /** The HTTP method, or `WS` for a WebSocket API request (its method name in `wsMethod`). */
  method: string;
  path: string;
  /** The URL's query string as sent, without `?` (empty when none). */
  query?: string;
  wsMethod?: string;
  weight: number;
  /** HTTP status sent, or what happened instead. */
  status: number | 'dropped' | 'no-answer';
  fault?: FaultKind;
  /** The W3C `traceparent` header the request carried (tracing tests). */
  traceparent?: string;
}

const JSON_TYPE = { 'Content-Type': 'application/json;charset=UTF-8' };
const MAX_BODY = 1 << 20;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** One source's pairs; a name twice is -1101. */
function pairs(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(raw)) {
    if (out.has(k)) throw apiErrors.duplicateParam();
    out.set(k, v);
  }
  return out;
}

export interface FakeHttp {
  server: Server;
  log: RequestLogEntry[];
  ipLimits: IpLimits;
  close(): Promise<void>;
}

export interface FakeHttpOptions {
  /** How long after a 429/418 a request still counts as already in flight, not as a violation. Default 100 ms. */
  banGraceMs?: number;
}

/**
 * Builds the HTTP server (not yet listening) around the fake's state and routes.
 * @example
 * const http = createFakeHttp(state, [...marketRoutes, ...tradingRoutes]);
 * http.server.listen(0, '127.0.0.1');
 */
export function createFakeHttp(state: FakeState, routes: Route[], options: FakeHttpOptions = {}): FakeHttp {
  const log: RequestLogEntry[] = [];
  const ipLimits = new IpLimits(options.banGraceMs ?? 100);
  const timers = new Set<NodeJS.Timeout>();
  const { limits } = state;
  const orderTimes = (): number[] => state.book.orders.map((o) => o.time);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q === -1 ? target : target.slice(0, q);
    const rawQuery = q === -1 ? '' : target.slice(q + 1);
    const now = state.serverNow();
    const entry: RequestLogEntry = { time: now, method, path, query: rawQuery, weight: 0, status: 404, ...(typeof req.headers.traceparent === 'string' ? { traceparent: req.headers.traceparent } : {}) };
    log.push(entry);
    /** Set when this request's 429 is an escalating one: a request inside its window gets banned this long. */
    let banSeconds: number | undefined;
    /** `perIp` false: a 429 that limits the account's orders (-1015), so no IP Retry-After window opens. */
    const send = (status: number, headers: Record<string, string>, body: string, perIp = true): void => {
      entry.status = status;
      const retryAfter = Number(headers['Retry-After']);
      if (status === 429 || status === 418) limits.rateLimited += 1;
      if ((status === 429 || status === 418) && Number.isFinite(retryAfter) && perIp) {
        ipLimits.opened(status, retryAfter, state.serverNow(), status === 429 ? banSeconds : undefined);
      }
      res.writeHead(status, headers);
      res.end(body);
    };
    const sendError = (e: BinanceApiError, headers: Record<string, string>): void =>
      send(e.httpStatus, { ...JSON_TYPE, ...headers }, JSON.stringify({ code: e.code, msg: e.msg }), e.code !== -1015);

    // Binance bans the IP, not a key or an endpoint: a banned IP hears 418 whatever it asks.
    const banned = ipLimits.admit(method, path, now);
    if (banned) {
      entry.fault = 'rate-limit-escalation';
      return send(banned.status, banned.headers, banned.body);
    }

    const route = routes.find((r) => r.method === method && r.path === path);
    if (!route) return send(404, {}, '');
    let params: Map<string, string>;
    try {
      const fromBody = pairs(rawBody);
      params = pairs(rawQuery);
      for (const [k, v] of fromBody) if (!params.has(k)) params.set(k, v);
    } catch (e) {
      return sendError(e as BinanceApiError, {});
    }
    entry.weight = route.weight(params);
    const used = limits.useWeight(entry.weight, now);
    const headers: Record<string, string> = limits.weightHeaders(used);
    if (limits.weightExceeded(used)) {
      headers['Retry-After'] = String(limits.secondsToReset(now));
      return sendError(tooMuchWeight(limits.weight), headers);
    }

    const early = state.faults.take(method, path, 'before');
    if (early) {
      entry.fault = early.kind;
      if (early.kind === 'rate-limit-escalation') banSeconds = early.banSeconds ?? 3;
      const answer = faultAnswer(early, now, limits.weight);
      if (answer) return send(answer.status, { ...headers, ...answer.headers }, answer.body);
    }

    let result: RouteResult;
    try {
      if (route.signed) {
        verifySigned({ apiKeyHeader: req.headers['x-mbx-apikey'] as string | undefined, rawQuery, rawBody, params }, state.creds, now);
      }
      const exhausted = route.placesOrder ? limits.exhaustedOrderLimit(orderTimes(), now) : undefined;
      if (exhausted) {
        return sendError(apiErrors.tooManyOrders(exhausted.limit, intervalWords(exhausted)), { ...headers, 'Retry-After': String(limits.secondsToReset(now, exhausted)) });
      }
      result = route.handle({ method, path, params }, state);
    } catch (e) {
      if (e instanceof BinanceApiError) return sendError(e, headers);
      const detail = e instanceof Error ? e.message : String(e);
      return send(500, { ...JSON_TYPE, ...headers, 'X-Fake-Error': encodeURIComponent(detail) }, JSON.stringify({ code: -1000, msg: 'An unknown error occurred while processing the request.' }));
    }
    if (result.acceptedOrder) Object.assign(headers, limits.orderCountHeaders(orderTimes(), now));
    const body = JSON.stringify(result.body);
    const sendResult = (): void => send(result.status ?? 200, { ...JSON_TYPE, ...headers }, body);

    const late = state.faults.take(method, path, 'after');
    if (!late) return sendResult();
    entry.fault = late.kind;
    // Any spoiled accept may also leave the order invisible to queries for a while, as Binance can.
    const accepted = result.acceptedLegs ?? (result.acceptedOrder ? [result.acceptedOrder] : []);
    if (late.hiddenForMs !== undefined) for (const o of accepted) state.faults.hide(o.orderId, now + late.hiddenForMs);
    switch (late.kind) {
      case 'not-found-after-accept':
        for (const o of accepted) state.faults.hide(o.orderId, now + (late.durationMs ?? 1000));
        return sendResult();
      case 'accept-then-drop':
        entry.status = 'dropped';
        req.socket.destroy();
        return;
      case 'accept-then-timeout':
        entry.status = 'no-answer';
        if (late.delayMs !== undefined) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (!res.destroyed) sendResult();
          }, late.delayMs);
          timers.add(timer);
        }
        return;
      default: {
        const answer = faultAnswer(late, now, limits.weight);
        if (answer) return send(answer.status, { ...headers, ...answer.headers }, answer.body);
        return sendResult();
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  return {
    server,
    log,
    ipLimits,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
