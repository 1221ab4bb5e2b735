/**
 * One server span per request, the root of an order's trace: a `traceparent` header from the
 * caller is continued, and everything the handler does (the workflow start above all) happens
 * inside it. Without a registered tracer provider (OTEL_EXPORTER_OTLP_ENDPOINT unset) the span is
 * the OpenTelemetry API's no-op. Attributes name the method, the path without its query, the route
 * template and the status: never a header, a body or a query string.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { TRACER_NAME } from '../../../lib/tracing.js';

export interface TraceRequestsOptions {
  /** Instrumentation scope of the spans. Default `durable-trader`. */
  tracerName?: string;
}

/**
 * @example app.use(traceRequests()); // POST /v1/orders → span "POST /v1/orders"
 */
export function traceRequests(options: TraceRequestsOptions = {}): MiddlewareHandler {
  const tracer = trace.getTracer(options.tracerName ?? TRACER_NAME);
  return async function traceRequests(c, next) {
    const method = c.req.method;
    const parent = propagation.extract(context.active(), c.req.header());
    await tracer.startActiveSpan(method, { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_PATH]: c.req.path } }, parent, async (span) => {
      try {
        await next();
      } finally {
        // The template is known once routing is done: "/v1/orders/:id", not the order's id.
        const route = routePath(c, -1);
        if (route && route !== '*' && route !== '/*') {
          span.setAttribute(ATTR_HTTP_ROUTE, route);
          span.updateName(`${method} ${route}`);
        }
        const status = c.res.status;
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        const requestId = c.get('requestId' as never) as unknown;
        if (typeof requestId === 'string') span.setAttribute('http.request.id', requestId);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: c.error?.name ?? `HTTP ${status}` });
        span.end();
      }
    });
  };
}
