/**
 * Who is calling. Every route asks `accountIdOf(c)` and scopes its queries to the answer, so
 * authentication has exactly one place to plug in.
 */
import type { Context } from 'hono';
import { DEFAULT_ACCOUNT_ID } from './schemas/common.js';

declare module 'hono' {
  interface ContextVariableMap {
    accountId: string;
  }
}

/** The caller's account id: set by the auth middleware, else the single default account. */
export function accountIdOf(c: Context): string {
  return c.get('accountId') ?? DEFAULT_ACCOUNT_ID;
}
