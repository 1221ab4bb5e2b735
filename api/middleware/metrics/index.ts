/**
 * Request metrics by route template: `/v1/orders/:id`, never the raw URL, so a scan of ids cannot
 * grow the series without bound. The template is the route Hono matched for the handler that
 * answered (`routePath(c)` once the request is done); a request no route took is `unmatched`.
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { ApiMetrics } from '../../../lib/metrics.js';

export interface RequestMetricsOptions {
  metrics: Pick<ApiMetrics, 'httpRequests' | 'httpDuration'>;
}

/**
 * @example app.use(requestMetrics({ metrics })); // GET /metrics: api/routes/metrics.ts
 */
export function requestMetrics({ metrics }: RequestMetricsOptions): MiddlewareHandler {
  return async function requestMetrics(c, next) {
    const started = performance.now();
    await next();
    const matched = routePath(c);
    // The not-found handler answers from the last middleware that ran ("/v1/*"): not a route.
    const route = c.res.status === 404 && matched.endsWith('*') ? 'unmatched' : matched;
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
  };
}
