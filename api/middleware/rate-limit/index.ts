/**
 * Rate limits shared by every API instance, kept in PostgreSQL with the generic cell rate
 * algorithm: per key one timestamp (the theoretical arrival time of the next request), advanced
 * by window/limit on each accepted request. A limit of N per window allows a burst of N, then
 * one more every window/N. Refused requests do not advance it. Keys are hashed, so the table
 * holds no email addresses or IPs.
 */
import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Sql } from '../../../lib/db.js';
import { ApiError } from '../../errors.js';

export interface RateRule {
  limit: number;
  windowMs: number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

export interface RateLimiter {
  take(key: string, rule: RateRule): Promise<RateDecision>;
}

export interface PgRateLimiterOptions {
  sql: Sql;
  /** Expired rows are deleted once every this many calls (default 500). */
  pruneEvery?: number;
}

/**
 * @example const limiter = createPgRateLimiter({ sql }); await limiter.take(`orders:${accountId}`, { limit: 60, windowMs: 60_000 });
 */
export function createPgRateLimiter({ sql, pruneEvery = 500 }: PgRateLimiterOptions): RateLimiter {
  let calls = 0;
  return {
    async take(key, { limit, windowMs }) {
      if (++calls % pruneEvery === 0) await sql`DELETE FROM rate_limits WHERE tat < now()`;
      const hashed = createHash('sha256').update(key).digest('base64url');
      const step = windowMs / limit / 1000;
      const window = windowMs / 1000;
      const accepted = await sql`INSERT INTO rate_limits AS r (key, tat) VALUES (${hashed}, now() + make_interval(secs => ${step}::float8))
        ON CONFLICT (key) DO UPDATE SET tat = greatest(r.tat, now()) + make_interval(secs => ${step}::float8)
        WHERE greatest(r.tat, now()) + make_interval(secs => ${step}::float8) <= now() + make_interval(secs => ${window}::float8)
        RETURNING 1`;
      if (accepted.length > 0) return { ok: true };
      const [row] = await sql<{ ms: string }[]>`SELECT (extract(epoch FROM greatest(tat, now()) + make_interval(secs => ${step}::float8)
          - now() - make_interval(secs => ${window}::float8)) * 1000)::text AS ms
        FROM rate_limits WHERE key = ${hashed}`;
      return { ok: false, retryAfterMs: Math.max(1, Math.ceil(Number(row?.ms ?? step * 1000))) };
    },
  };
}

/**
 * The limiter, counting each refusal under the kind of its key (the part before the first `:`,
 * e.g. `orders`, `login-email`), never the key itself.
 * @example const limiter = countRejections(createPgRateLimiter({ sql }), metrics.rateLimitRejections);
 */
export function countRejections(limiter: RateLimiter, rejections: { inc(labels: { limit: string }): void }): RateLimiter {
  return {
    async take(key, rule) {
      const decision = await limiter.take(key, rule);
      if (!decision.ok) rejections.inc({ limit: key.split(':', 1)[0] ?? 'other' });
      return decision;
    },
  };
}

/**
 * Takes one request from `key`'s allowance or throws 429 with `Retry-After` (whole seconds).
 * @example await enforceRateLimit(limiter, `login-email:${email}`, config.LOGIN_RATE_LIMIT, 'login attempts for this email');
 */
export async function enforceRateLimit(limiter: RateLimiter, key: string, rule: RateRule, what: string): Promise<void> {
  const decision = await limiter.take(key, rule);
  if (decision.ok) return;
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  throw new ApiError(429, 'rate_limited', `Too many ${what}; retry in ${seconds} s`, { retryAfterSeconds: seconds }, { 'Retry-After': String(seconds) });
}

/**
 * The client's IP: with `trustedHops` reverse proxies in front, the entry that many places from
 * the right of X-Forwarded-For (the one our nearest proxy saw); else the socket's address.
 * `app.request()` in tests has no socket: 'unknown'.
 * @example clientIp(c, config.TRUST_PROXY_HOPS) // '203.0.113.7'
 */
export function clientIp(c: Context, trustedHops: number): string {
  if (trustedHops > 0) {
    const chain = (c.req.header('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    const ip = chain[chain.length - trustedHops];
    if (ip) return ip;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface RateLimitOptions {
  limiter: RateLimiter;
  rule: RateRule;
  /** The bucket of a request, e.g. `orders:${accountIdOf(c)}`. */
  key: (c: Context) => string;
  /** What is counted, for the message: "order submissions". */
  what: string;
  /** Methods that count (default: all). */
  methods?: readonly string[];
}

/**
 * @example app.use('/v1/orders', rateLimit({ limiter, rule: config.ORDER_RATE_LIMIT, key: (c) => `orders:${accountIdOf(c)}`, what: 'order submissions', methods: ['POST'] }));
 */
export function rateLimit(o: RateLimitOptions): MiddlewareHandler {
  return async function rateLimit(c, next) {
    if (!o.methods || o.methods.includes(c.req.method)) await enforceRateLimit(o.limiter, o.key(c), o.rule, o.what);
    await next();
  };
}
