/**
 * One value per query parameter. `?limit=5&limit=500` has no single meaning (frameworks keep the
 * first, the last or a list), so a repeated key answers 400 on every route, before any route reads
 * the query. Unknown keys are the routes' own business: every route declares a strict query schema.
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../../errors.js';

/**
 * @example app.use(singleValuedQuery());
 */
export function singleValuedQuery(): MiddlewareHandler {
  return async function singleValuedQuery(c, next) {
    const repeated = Object.entries(c.req.queries())
      .filter(([, values]) => values.length > 1)
      .map(([key]) => key);
    if (repeated.length > 0) {
      throw new ApiError(
        400,
        'repeated_query_parameter',
        `${repeated.join(', ')}: given more than once; give each query parameter once`,
        repeated.map((path) => ({ path, message: 'given more than once' })),
      );
    }
    await next();
  };
}
