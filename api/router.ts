/** Every group of routes is an OpenAPIHono of the API's Env that fails validation our way. */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './principal.js';
import { validationHook } from './validation.js';

/**
 * @example export function orderRoutes(o: OrderRoutesOptions) { const app = createRouter(); app.openapi(listOrders, handler); return app; }
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
