/**
 * Who is calling. The auth middleware (api/middleware/auth) sets the caller's account from a
 * verified token; every route asks `accountIdOf(c)` and scopes its queries to the answer.
 */
import type { Context } from 'hono';
import { ApiError } from './errors.js';

declare module 'hono' {
  interface ContextVariableMap {
    accountId: string;
    email: string;
  }
}

/**
 * The Hono `Env` of the API: what middleware hands the routes. `accountId` and `email` come from
 * the verified token (api/middleware/auth); `emptyBody` marks a request sent without a body
 * (api/middleware/json-body).
 */
export interface AppEnv {
  Variables: {
    accountId: string;
    email: string;
    emptyBody?: boolean;
  };
}

/** A route read the principal without the auth middleware in front of it: a wiring bug, never a default account. */
export class MissingPrincipalError extends Error {
  override name = 'MissingPrincipalError';
}

/**
 * The caller's account id, as the auth middleware set it. Throws when no middleware did, so a
 * route mounted outside the protected prefix fails closed (500) instead of acting for anyone.
 * @example const orders = await listOrders(sql, accountIdOf(c), filter);
 */
export function accountIdOf(c: Context): string {
  const accountId = c.get('accountId') as string | undefined;
  if (!accountId) throw new MissingPrincipalError(`no authenticated account on ${c.req.method} ${c.req.path}`);
  return accountId;
}

/** The caller's email (lower-cased), from the same token. */
export function emailOf(c: Context): string {
  const email = c.get('email') as string | undefined;
  if (!email) throw new MissingPrincipalError(`no authenticated account on ${c.req.method} ${c.req.path}`);
  return email;
}

/**
 * Refuses (403) a caller whose email is not in OPERATOR_EMAILS: operators may decode payloads
 * and pause or resume the engine's schedules.
 * @example requireOperator(c, config.OPERATOR_EMAILS, 'pause schedules');
 */
export function requireOperator(c: Context, operatorEmails: readonly string[], action: string): void {
  if (!operatorEmails.includes(emailOf(c).toLowerCase())) {
    throw new ApiError(403, 'forbidden', `Only operators (OPERATOR_EMAILS) may ${action}`);
  }
}
