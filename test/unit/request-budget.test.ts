/**
 * The request budget's pure parts: exchangeInfo's limits, the venue's counts from the headers,
 * scopes that name no secret, and Retry-After. The budget itself runs against PostgreSQL in
 * test/integration/request-budget*.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS, ipScope, keyScope, parseRateLimits, retryAfterMs, venueCounts } from '../../venues/binance/request-budget.js';

describe('parseRateLimits', () => {
  it('reads exchangeInfo\'s weight and order limits, named as the headers name them', () => {
    const rateLimits = [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 50 },
      { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 160000 },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
    ];
    expect(parseRateLimits({ rateLimits, symbols: [] })).toEqual(DEFAULT_RATE_LIMITS);
  });

  it('has nothing to offer without a weight limit or in another shape', () => {
    expect(parseRateLimits({ rateLimits: [{ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 50 }] })).toBeUndefined();
    expect(parseRateLimits({ rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'WEEK', intervalNum: 1, limit: 5 }] })).toBeUndefined();
    expect(parseRateLimits({ code: -1121, msg: 'Invalid symbol.' })).toBeUndefined();
  });
});

describe('venueCounts', () => {
  it('maps X-MBX-USED-WEIGHT-* and X-MBX-ORDER-COUNT-* to their limiters and skips the rest', () => {
    const headers = new Headers({
      'X-MBX-USED-WEIGHT-1M': '120',
      'x-mbx-used-weight-10s': '7',
      'X-MBX-ORDER-COUNT-10S': '3',
      'X-MBX-ORDER-COUNT-1D': '40',
      'X-MBX-USED-WEIGHT': '120',
      'X-MBX-ORDER-COUNT-1H': 'many',
      'Retry-After': '5',
    });
    expect(Object.fromEntries(venueCounts(headers))).toEqual({ 'REQUEST_WEIGHT:1M': 120, 'REQUEST_WEIGHT:10S': 7, 'ORDERS:10S': 3, 'ORDERS:1D': 40 });
  });
});

describe('scopes', () => {
  it('names the IP by the venue\'s host and a key by a fingerprint that does not contain it', () => {
    expect(ipScope('https://testnet.binance.vision/')).toBe('ip:testnet.binance.vision');
    expect(ipScope('http://127.0.0.1:41234')).toBe('ip:127.0.0.1:41234');
    const key = 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A';
    expect(keyScope(key)).toMatch(/^key:[0-9a-f]{16}$/);
    expect(keyScope(key)).toBe(keyScope(key));
    expect(keyScope(key)).not.toBe(keyScope(`${key}x`));
    expect(key).not.toContain(keyScope(key).slice(4));
  });
});

describe('retryAfterMs', () => {
  it('reads seconds, an HTTP date, or falls back', () => {
    expect(retryAfterMs('7', 60_000)).toBe(7000);
    expect(retryAfterMs('Thu, 01 Jan 1970 00:00:10 GMT', 60_000, 4000)).toBe(6000);
    expect(retryAfterMs(null, 60_000)).toBe(60_000);
    expect(retryAfterMs('soon', 120_000)).toBe(120_000);
  });
});
