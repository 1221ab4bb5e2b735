/**
 * One HTTP round trip to Binance Spot REST and the translation of everything that can go wrong
 * into the venue error taxonomy. Shared by the exchange adapter and the Binance price source.
 * With a venue gate, nothing is sent while a 429/418's Retry-After runs, and every 429/418
 * extends it. Messages name the method and path only: never the query string (it carries the signature).
 */
import {
  ExchangeRateLimitError,
  ExchangeRejectedError,
  ExchangeUnavailableError,
  ExchangeUnknownOutcomeError,
} from '../../domain/venue-errors.js';
import type { VenueGate } from './venue-gate.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface BinanceHttpOptions {
  baseUrl: string;
  /** Per request, headers and body included. Default 10 000 ms. */
  timeoutMs?: number;
  fetch?: FetchLike;
  /** The process-wide Binance back-off (one per process: Binance limits per IP). None by default. */
  venueGate?: VenueGate;
}

export interface BinanceCall {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** Already encoded, without the leading `?`. */
  query?: string;
  /** application/x-www-form-urlencoded */
  body?: string;
  apiKey?: string;
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
 * const { serverTime } = (await call({ method: 'GET', path: '/api/v3/time' })) as { serverTime: number };
 */
export function createBinanceHttp(options: BinanceHttpOptions): (call: BinanceCall) => Promise<unknown> {
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const base = options.baseUrl.replace(/\/+$/, '');
  const gate = options.venueGate;

  return async function call(req: BinanceCall): Promise<unknown> {
    gate?.assertOpen();
    const label = `${req.method} ${req.path}`;
    const headers: Record<string, string> = {};
    if (req.apiKey !== undefined) headers['X-MBX-APIKEY'] = req.apiKey;
    if (req.body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const url = req.query ? `${base}${req.path}?${req.query}` : `${base}${req.path}`;
    let status: number;
    let responseHeaders: Headers;
    let text: string;
    try {
      const res = await doFetch(url, { method: req.method, headers, body: req.body, signal: AbortSignal.timeout(timeoutMs) });
      status = res.status;
      responseHeaders = res.headers;
      text = await res.text();
    } catch (err) {
      throw transportError(err, label, timeoutMs);
    }
    try {
      return interpret(status, responseHeaders, text, label);
    } catch (err) {
      if (err instanceof ExchangeRateLimitError) gate?.backOff(err.retryAfterMs, err.httpStatus, err.code);
      throw err;
    }
  };
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

/**
 * `Retry-After` in milliseconds: seconds on Binance; an HTTP date is accepted too.
 * @example retryAfterMs(res.headers.get('retry-after'), 60_000); // '7' → 7000
 */
export function retryAfterMs(header: string | null, fallbackMs: number, nowMs = Date.now()): number {
  if (header === null || header.trim() === '') return fallbackMs;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? fallbackMs : Math.max(0, at - nowMs);
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
