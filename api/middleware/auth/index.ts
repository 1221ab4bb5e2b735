/**
 * Bearer-token authentication for the `/v1` API: verifies the access token and sets the caller's
 * account (`accountId`, `email`) for `accountIdOf(c)`. Anything else answers 401 with our error
 * shape and a `WWW-Authenticate` header (RFC 6750).
 */
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { InvalidTokenError, type TokenService, type VerifiedToken } from '../../../lib/security/jwt.js';
import { addLogContext } from '../../../lib/logger.js';
import { ApiError } from '../../errors.js';

export interface AuthOptions {
  tokens: TokenService;
  /** Path prefixes under the protected mount that need no token (sign-up and login). */
  publicPaths?: readonly string[];
}

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined.
 * @example bearerToken(c.req.header('authorization')) // 'eyJhbGciOi…'
 */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header ?? '')?.[1];
}

/**
 * Verifies a token into the principal, or throws the 401 the API answers with.
 * @example const { sub, email } = await verifyOr401(tokens, token);
 */
export async function verifyOr401(tokens: TokenService, token: string | undefined) {
  if (!token) {
    throw new ApiError(401, 'unauthorized', 'An access token is required: send Authorization: Bearer <token> (POST /v1/auth/login gives one)', undefined, {
      'WWW-Authenticate': 'Bearer realm="durable-trader"',
    });
  }
  const refuse = (reason: string) =>
    new ApiError(401, 'invalid_token', `Access token refused (${reason}); log in again`, undefined, {
      'WWW-Authenticate': `Bearer realm="durable-trader", error="invalid_token"`,
    });
  let principal: VerifiedToken;
  try {
    principal = await tokens.verify(token);
  } catch (err) {
    if (!(err instanceof InvalidTokenError)) throw err;
    throw refuse(err.reason);
  }
  // Every account id is a UUID: a correctly signed token naming anything else names no account
  // (and would otherwise reach a uuid column as a 500).
  if (!isAccountId(principal.sub)) throw refuse('its subject is not an account id');
  return principal;
}

/**
 * Whether a token's `sub` can name an account.
 * @example isAccountId('7e57a1c3-2b4d-4e6f-8a9b-0c1d2e3f4a5b') // true
 */
export function isAccountId(sub: string): boolean {
  return z.uuid().safeParse(sub).success;
}

/**
 * @example app.use('/v1/*', requireAuth({ tokens, publicPaths: ['/v1/auth/'] }));
 */
export function requireAuth({ tokens, publicPaths = [] }: AuthOptions): MiddlewareHandler {
  return async function requireAuth(c, next) {
    if (publicPaths.some((p) => c.req.path.startsWith(p))) return next();
    const principal = await verifyOr401(tokens, bearerToken(c.req.header('authorization')));
    c.set('accountId', principal.sub);
    c.set('email', principal.email);
    // Every line logged for the rest of the request names the account.
    addLogContext({ accountId: principal.sub });
    await next();
  };
}
