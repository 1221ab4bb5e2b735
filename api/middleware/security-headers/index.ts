/**
 * Response headers that keep browsers from guessing: `X-Content-Type-Options: nosniff` on every
 * answer (a JSON error is never run as a script or page), and `Cache-Control: no-store` on answers
 * that carry a token or say something about credentials, so no cache or back button keeps them.
 */
import type { MiddlewareHandler } from 'hono';

/**
 * @example app.use(noSniff());
 */
export function noSniff(): MiddlewareHandler {
  return async function noSniff(c, next) {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
  };
}

/**
 * @example app.use('/v1/auth/*', noStore());
 */
export function noStore(): MiddlewareHandler {
  return async function noStore(c, next) {
    await next();
    c.header('Cache-Control', 'no-store');
  };
}
