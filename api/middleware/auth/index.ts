/**
 * Bearer-token authentication for the `/v1` API: verifies the access token and sets the caller's
 * account (`accountId`, `email`) for `accountIdOf(c)`. Anything else answers 401 with our error
 * shape and a `WWW-Authenticate` header (RFC 6750).
 */
import type { MiddlewareHandler } from 'hono';
import { InvalidTokenError, type TokenService } from '../../../lib/security/jwt.js';
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
  try {
    return await tokens.verify(token);
  } catch (err) {
    if (!(err instanceof InvalidTokenError)) throw err;
    throw new ApiError(401, 'invalid_token', `Access token refused (${err.reason}); log in again`, undefined, {
      'WWW-Authenticate': `Bearer realm="durable-trader", error="invalid_token"`,
    });
  }
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
    await next();
  };
}
