/**
 * SIGNED endpoint security as rest-api.md describes it: the key in `X-MBX-APIKEY`, an HMAC-SHA256
 * hex signature of the exact query string followed by the exact body, and the timing rule
 * (timestamp < serverTime + 1 s and serverTime - timestamp <= recvWindow, default 5000, max 60000).
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
