/**
 * SIGNED endpoint security as rest-api.md describes it: the key in `X-MBX-APIKEY`, an HMAC-SHA256
 * hex signature of the exact query string followed by the exact body, and the timing rule
 * (timestamp < serverTime + 1 s and serverTime - timestamp <= recvWindow, default 5000, max 60000).
 * The WebSocket API signs its JSON parameters instead (verifyWsSigned).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { apiErrors, BinanceApiError } from './api-error.js';

export interface SignedInput {
  apiKeyHeader: string | undefined;
  /** The raw query string, as received (no leading `?`). */
  rawQuery: string;
  /** The raw form body, as received. */
  rawBody: string;
  params: Map<string, string>;
}

export interface Credentials {
  apiKey: string;
  apiSecret: string;
}

/** Drops the `signature=` pair from a raw parameter string, keeping the rest byte for byte. */
function withoutSignature(raw: string): string {
  return raw
    .split('&')
    .filter((pair) => pair !== '' && !pair.startsWith('signature='))
    .join('&');
}

/** The payload Binance signs: the query string concatenated, without separator, with the body. */
export function signaturePayload(rawQuery: string, rawBody: string): string {
  return withoutSignature(rawQuery) + withoutSignature(rawBody);
}

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a.toLowerCase());
  const right = Buffer.from(b.toLowerCase());
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Throws Binance's rejection, in Binance's order of checks, or returns when the request may proceed. */
export function verifySigned(input: SignedInput, creds: Credentials, serverNow: number): void {
  const key = input.apiKeyHeader;
  if (key === undefined || key.trim() === '') throw apiErrors.badKeyFormat();
  if (key !== creds.apiKey) throw apiErrors.rejectedKey();

  const timestampRaw = input.params.get('timestamp');
  if (timestampRaw === undefined || !/^\d{1,16}$/.test(timestampRaw)) throw apiErrors.mandatory('timestamp');
  const signature = input.params.get('signature');
  if (signature === undefined || signature === '') throw apiErrors.mandatory('signature');
  const recvRaw = input.params.get('recvWindow');
  if (recvRaw !== undefined && !/^\d+(\.\d{1,3})?$/.test(recvRaw)) throw apiErrors.mandatory('recvWindow');
  const recvWindow = recvRaw === undefined ? 5000 : Number(recvRaw);
  if (recvWindow > 60000) {
    throw new BinanceApiError(400, -1102, "'recvWindow' contains unexpected value. Cannot be greater than 60000.");
  }

  const expected = createHmac('sha256', creds.apiSecret).update(signaturePayload(input.rawQuery, input.rawBody)).digest('hex');
  if (!sameHex(expected, signature)) throw apiErrors.badSignature();

  const timestamp = Number(timestampRaw);
  if (timestamp >= serverNow + 1000) throw apiErrors.aheadOfServer();
  if (serverNow - timestamp > recvWindow) throw apiErrors.outsideRecvWindow();
}

/** A WebSocket API parameter as the signature payload prints it (numbers and booleans as in JSON). */
function wsValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The payload a WebSocket API request signs (web-socket-api.md, "SIGNED request example (HMAC)"):
 * every parameter but `signature`, sorted by name, as `name=value` joined by `&`, not URL-encoded.
 */
export function wsSignaturePayload(params: Record<string, unknown>): string {
  return Object.keys(params)
    .filter((k) => k !== 'signature')
    .sort()
    .map((k) => `${k}=${wsValue(params[k])}`)
    .join('&');
}

/**
 * The WebSocket API's SIGNED checks, in the REST order: `apiKey` in the parameters, then timestamp,
 * signature and recvWindow, the HMAC, the timing. A timestamp may be in microseconds.
 */
export function verifyWsSigned(params: Record<string, unknown>, creds: Credentials, serverNow: number): void {
  const key = params['apiKey'];
  if (typeof key !== 'string' || key.trim() === '') throw apiErrors.mandatory('apiKey');
  if (key !== creds.apiKey) throw apiErrors.rejectedKey();

  const rawTimestamp = params['timestamp'];
  const timestampText = typeof rawTimestamp === 'number' || typeof rawTimestamp === 'string' ? String(rawTimestamp) : '';
  if (!/^\d{1,16}$/.test(timestampText)) throw apiErrors.mandatory('timestamp');
  const signature = params['signature'];
  if (typeof signature !== 'string' || signature === '') throw apiErrors.mandatory('signature');
  const rawRecv = params['recvWindow'];
  const recvText = rawRecv === undefined ? undefined : typeof rawRecv === 'number' || typeof rawRecv === 'string' ? String(rawRecv) : '';
  if (recvText !== undefined && !/^\d+(\.\d{1,3})?$/.test(recvText)) throw apiErrors.mandatory('recvWindow');
  const recvWindow = recvText === undefined ? 5000 : Number(recvText);
  if (recvWindow > 60000) {
    throw new BinanceApiError(400, -1102, "'recvWindow' contains unexpected value. Cannot be greater than 60000.");
  }

  const expected = createHmac('sha256', creds.apiSecret).update(wsSignaturePayload(params)).digest('hex');
  if (!sameHex(expected, signature)) throw apiErrors.badSignature();

  const raw = Number(timestampText);
  const timestamp = raw >= 1e14 ? raw / 1000 : raw;
  if (timestamp >= serverNow + 1000) throw apiErrors.aheadOfServer();
  if (serverNow - timestamp > recvWindow) throw apiErrors.outsideRecvWindow();
}
