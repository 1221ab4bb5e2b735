/**
 * GET /metrics: the API's Prometheus metrics (lib/metrics.ts), public like /health: Prometheus
 * scrapes without a token, and the answer holds route templates, counts and latencies, no ids.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiMetrics } from '../../lib/metrics.js';
import { errors, noAuth, noQuery, requestIdHeader } from '../openapi/responses.js';
import { createRouter } from '../router.js';

const EXAMPLE = `# HELP durable_trader_http_requests_total HTTP requests answered, by method, route template and status
# TYPE durable_trader_http_requests_total counter
durable_trader_http_requests_total{method="POST",route="/v1/orders",status="201"} 3
`;

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['system'],
  operationId: 'getMetrics',
  summary: "This instance's metrics in Prometheus's text format",
  security: noAuth,
  request: { query: noQuery },
  responses: {
    200: { description: 'Prometheus text exposition format 0.0.4', headers: requestIdHeader, content: { 'text/plain': { schema: z.string(), example: EXAMPLE } } },
    ...errors({}),
  },
});

/**
 * @example app.route('/', metricsRoutes(metrics));
 */
export function metricsRoutes(metrics: Pick<ApiMetrics, 'registry'>) {
  return createRouter().openapi(metricsRoute, async (c) => c.text(await metrics.registry.metrics(), 200));
}
