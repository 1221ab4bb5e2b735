/**
 * What happens when a request does not match its route's declaration: the zod issues go to the
 * one error handler (422 `invalid_request`, each field named), an empty body where one is required
 * is a 400, and a path parameter that names nothing answers the route's own 404.
 */
import type { Hook } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ApiError, zodDetails } from './errors.js';
import type { AppEnv } from './principal.js';

/** What a validator hands its hook: the target, and the data or the zod error. */
export type ValidationResult<T = unknown> = Parameters<Hook<T, AppEnv, string, undefined>>[0];

/**
 * The `defaultHook` of every OpenAPIHono of the API.
 * @example new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
 */
export function validationHook<T>(result: ValidationResult<T>, c: Context<AppEnv, any>): undefined {
  if (result.success) return undefined;
  if (result.target === 'json' && c.get('emptyBody')) throw new ApiError(400, 'invalid_json', 'Request body is empty; send a JSON object');
  if (result.target === 'header') {
    // A header is not a field of the request's content: 400, named like `invalid_idempotency_key`.
    const issue = result.error.issues[0];
    const name = String(issue?.path[0] ?? 'header');
    throw new ApiError(400, `invalid_${name.toLowerCase().replaceAll('-', '_')}`, `${name} ${issue?.message ?? 'is malformed'}`);
  }
  if (result.target === 'json') throw result.error;
  const { message, details } = zodDetails(result.error, `(${result.target})`);
  throw new ApiError(422, 'invalid_request', message, details);
}

/**
 * A hook for routes whose path names a thing: a malformed name answers the same 404 as a name
 * that does not exist (an order id of another shape is just an order we do not have).
 * @example app.openapi(getOrder, handler, notFoundForParams((c) => new ApiError(404, 'order_not_found', `No order ${c.req.param('id')}`)))
 */
export function notFoundForParams(notFound: (c: Context<AppEnv, any>) => ApiError) {
  return <T>(result: ValidationResult<T>, c: Context<AppEnv, any>): undefined => {
    if (!result.success && result.target === 'param') throw notFound(c);
    return validationHook(result, c);
  };
}
