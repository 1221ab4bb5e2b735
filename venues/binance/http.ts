/**
 * One HTTP round trip to Binance Spot REST and the translation of everything that can go wrong
 * into the venue error taxonomy. Shared by the exchange adapter and the Binance price source.
 * With a request budget (request-budget.ts), each request reserves its weight before it is sent,
 * across every worker process, and its answer's weight and order counts, and any 429/418, go back
 * into the budget. Messages name the method and path only: never the query string (it carries the signature).
 * Each round trip is a client span (a no-op unless tracing is on) whose W3C trace context goes out
 * in `traceparent`; it names the method, path, status and Binance error code, never the query, the
 * body or the API key header.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import {
  ExchangeRateLimitError,
  ExchangeRejectedError,
  ExchangeUnavailableError,
  ExchangeUnknownOutcomeError,
} from '../../domain/venue-errors.js';
import { TRACER_NAME } from '../../lib/tracing.js';
import { retryAfterMs, type RequestBudget, type RequestPriority, type Reservation } from './request-budget.js';

export { retryAfterMs } from './request-budget.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface BinanceHttpOptions {
  baseUrl: string;
  /** Per request, headers and body included. Default 10 000 ms. */
  timeoutMs?: number;
  fetch?: FetchLike;
  /** The Binance request budget every worker process spends (one per process). None by default. */
  requestBudget?: RequestBudget;
}

export interface BinanceCall {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** Already encoded, without the leading `?`. */
  query?: string;
  /** application/x-www-form-urlencoded */
  body?: string;
  apiKey?: string;
  /** Binance's request weight of this call (rest-api.md gives each endpoint's). */
  weight: number;
  /** Who the budget serves first when it runs short. */
  priority: RequestPriority;
  /** New orders it places, counted against the key's ORDERS limits: 1 for POST /api/v3/order. */
  orders?: number;
}

/** Error codes meaning "the matching engine may or may not have acted" (errors.md). */
const UNKNOWN_STATUS_CODES: ReadonlySet<number> = new Set([-1006, -1007]);
/** Socket errors that happen before a single byte of the request left this process. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Builds the request function. It resolves with the parsed JSON of a 2xx answer and throws an
 * ExchangeError subclass otherwise.
 * @example
 * const call = createBinanceHttp({ baseUrl: 'https://testnet.binance.vision' });
 * const { serverTime } = (await call({ method: 'GET', path: '/api/v3/time', weight: 1, priority: 'poll' })) as { serverTime: number };
 */
export function createBinanceHttp(options: BinanceHttpOptions): (call: BinanceCall) => Promise<unknown> {
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const base = options.baseUrl.replace(/\/+$/, '');
  const budget = options.requestBudget;
  const tracer = trace.getTracer(TRACER_NAME);
  const serverAttributes = serverAttributesOf(base);

  return async function call(req: BinanceCall): Promise<unknown> {
    const label = `${req.method} ${req.path}`;
    const reservation = await budget?.reserve({ label, weight: req.weight, priority: req.priority, orders: req.orders, apiKey: req.apiKey });
    const attributes = { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_URL_PATH]: req.path, ...serverAttributes };
    return tracer.startActiveSpan(label, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        const result = await send(req, label, reservation, span);
        span.end();
        return result;
      } catch (err) {
        endFailed(span, err);
        throw err;
      }
    });
  };

  async function send(req: BinanceCall, label: string, reservation: Reservation | undefined, span: Span): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (req.apiKey !== undefined) headers['X-MBX-APIKEY'] = req.apiKey;
    if (req.body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    // traceparent (and tracestate): the span's context, when tracing is on.
    propagation.inject(context.active(), headers);
    const url = req.query ? `${base}${req.path}?${req.query}` : `${base}${req.path}`;
    let status: number;
    let responseHeaders: Headers;
    let text: string;
    // Reserved a moment ago, but a 429/418 this process heard since holds it back all the same.
    budget?.assertOpen();
    try {
      const res = await doFetch(url, { method: req.method, headers, body: req.body, signal: AbortSignal.timeout(timeoutMs) });
      status = res.status;
      responseHeaders = res.headers;
      text = await res.text();
    } catch (err) {
      throw transportError(err, label, timeoutMs);
    }
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    let result: unknown;
    let failure: unknown;
    try {
      result = interpret(status, responseHeaders, text, label);
    } catch (err) {
      failure = err;
    }
    if (reservation && budget) {
      const rateLimited = failure instanceof ExchangeRateLimitError ? { retryAfterMs: failure.retryAfterMs, httpStatus: failure.httpStatus, code: failure.code } : undefined;
      await budget.settle(reservation, { headers: responseHeaders, rateLimited });
    }
    if (failure !== undefined) throw failure;
    return result;
  }
}

function serverAttributesOf(base: string): Record<string, string | number> {
  if (!URL.canParse(base)) return {};
  const u = new URL(base);
  return { [ATTR_SERVER_ADDRESS]: u.hostname, [ATTR_SERVER_PORT]: Number(u.port) || (u.protocol === 'https:' ? 443 : 80) };
}

/** The error's class and Binance code on the span; its message may go too: it holds the method, the path and Binance's text, never the query or the key. */
function endFailed(span: Span, err: unknown): void {
  const e = err as { name?: unknown; code?: unknown; message?: unknown };
  span.setAttribute(ATTR_ERROR_TYPE, typeof e.name === 'string' ? e.name : 'Error');
  if (typeof e.code === 'number') span.setAttribute('binance.error.code', e.code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof e.message === 'string' ? e.message : undefined });
  span.end();
}

function transportError(err: unknown, label: string, timeoutMs: number): Error {
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new ExchangeUnknownOutcomeError(`${label}: no response within ${timeoutMs} ms; execution status unknown`);
  }
  const code = socketErrorCode(err);
  if (code !== undefined && NOT_SENT_CODES.has(code)) {
    return new ExchangeUnavailableError(`${label}: could not connect (${code})`);
  }
  return new ExchangeUnknownOutcomeError(`${label}: connection lost (${code ?? (name || 'unknown')}); execution status unknown`);
}

/** Finds a Node socket error code in fetch's cause chain (undici nests them, sometimes in an AggregateError). */
function socketErrorCode(err: unknown, depth = 0): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 5) return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const found = socketErrorCode(inner, depth + 1);
      if (found) return found;
    }
  }
  const fromCause = socketErrorCode(e.cause, depth + 1);
  return fromCause ?? (typeof e.code === 'string' ? e.code : undefined);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function binanceError(json: unknown): { code: number; msg: string } | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const { code, msg } = json as { code?: unknown; msg?: unknown };
  return typeof code === 'number' && typeof msg === 'string' ? { code, msg } : undefined;
}

function interpret(status: number, headers: Headers, text: string, label: string): unknown {
  const json = parseJson(text);
  const err = binanceError(json);
  if (status === 429 || status === 418) {
    throw new ExchangeRateLimitError(retryAfterMs(headers.get('retry-after'), status === 418 ? 120_000 : 60_000), status, err?.code);
  }
  if (err && UNKNOWN_STATUS_CODES.has(err.code)) {
    throw new ExchangeUnknownOutcomeError(`${label}: ${err.code} ${err.msg}`, err.code, status);
  }
  if (status >= 500) {
    const detail = err ? `${err.code} ${err.msg}` : `HTTP ${status}`;
    throw new ExchangeUnknownOutcomeError(`${label}: ${detail}; execution status unknown`, err?.code, status);
  }
  if (status >= 400) {
    throw err ? new ExchangeRejectedError(err.code, err.msg, status) : new ExchangeRejectedError(0, `HTTP ${status} without a Binance error body`, status);
  }
  if (status < 200 || status >= 300 || json === undefined) {
    throw new ExchangeUnknownOutcomeError(`${label}: unreadable answer (HTTP ${status}); execution status unknown`, undefined, status);
  }
  return json;
}
