/**
 * Talks to the fake over plain HTTP, signing like a Binance client does, so tests can check the
 * fake's wire behaviour (statuses, headers, bodies) without the adapter in between.
 */
import { createHmac } from 'node:crypto';

export interface RawReply {
  status: number;
  headers: Headers;
  json: any;
}

export interface RawClient {
  /** Any request; `query` and `body` are sent as given. */
  call(method: string, path: string, opts?: { query?: string; body?: string }): Promise<RawReply>;
  /** A signed request with these parameters in the query string (timestamp added). */
  signed(method: string, path: string, params?: Record<string, string>): Promise<RawReply>;
}

/**
 * @example
 * const raw = rawBinanceClient(fake.url, 'test-key', 'test-secret'); // a 4th argument: the clock the timestamps come from
 * const { json } = await raw.signed('GET', '/api/v3/allOrders', { symbol: 'BTCUSDT' });
 */
export function rawBinanceClient(baseUrl: string, apiKey: string, apiSecret: string, now: () => number = Date.now): RawClient {
  async function call(method: string, path: string, opts: { query?: string; body?: string } = {}): Promise<RawReply> {
    const headers: Record<string, string> = { 'X-MBX-APIKEY': apiKey };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(`${baseUrl}${path}${opts.query ? `?${opts.query}` : ''}`, { method, headers, body: opts.body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as unknown) : undefined };
  }
  return {
    call,
    signed(method, path, params = {}) {
      const payload = new URLSearchParams({ ...params, timestamp: String(now()) }).toString();
      const signature = createHmac('sha256', apiSecret).update(payload).digest('hex');
      return call(method, path, { query: `${payload}&signature=${signature}` });
    },
  };
}
