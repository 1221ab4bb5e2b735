/**
 * Creates under an `Idempotency-Key`: the same key and body name the same thing (a list, a TWAP, a
 * plan, an alert), so a request retried after a lost answer never makes a second one.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Sql } from '../lib/db.js';
import { claimIdempotencyKey } from '../store/orders.js';
import { ApiError } from './errors.js';

/**
 * The id the request creates: a fresh one, or the one its key already names (`replay`). The key
 * space is the account's, shared with orders: `route` keeps one key from naming two kinds.
 * @example const { id, replay } = await idForRequest(sql, accountId, key, 'twap-orders', body, 'TWAP');
 */
export async function idForRequest(sql: Sql, accountId: string, key: string | undefined, route: string, body: unknown, what: string): Promise<{ id: string; replay: boolean }> {
  const fresh = randomUUID();
  if (key === undefined) return { id: fresh, replay: false };
  const hash = createHash('sha256').update(JSON.stringify({ route, body })).digest('hex');
  const claim = await claimIdempotencyKey(sql, accountId, key, hash, fresh);
  if (!claim.matches) throw new ApiError(422, 'idempotency_key_reused', `Idempotency-Key was already used with a different request body; use a new key for a new ${what}`);
  return { id: claim.orderId, replay: claim.replay };
}
