/**
 * The request span of api/middleware/tracing, against an in-memory exporter: named by the route
 * template, without the query string, the caller's traceparent continued, the handler's work inside.
 */
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { traceRequests } from '../../api/middleware/tracing/index.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
beforeAll(() => provider.register());
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
});
beforeEach(() => exporter.reset());

const app = new Hono();
app.use(requestId());
app.use(traceRequests());
app.get('/v1/orders/:id', (c) => {
  trace.getTracer('test').startActiveSpan('inside the handler', (span) => span.end());
  return c.json({ id: c.req.param('id') });
});
app.get('/boom', () => {
  throw new Error('boom');
});
app.onError((_err, c) => c.json({ error: 'internal' }, 500));

const spanNamed = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name);

describe('traceRequests', () => {
  it('names the span by method and route template, records path and status, and holds the handler\'s spans', async () => {
    const res = await app.request('/v1/orders/42?symbol=BTCUSDT&signature=abc', { headers: { 'X-Request-Id': 'req-1' } });
    expect(res.status).toBe(200);
    const server = spanNamed('GET /v1/orders/:id');
    expect(server?.attributes).toEqual({
      'http.request.method': 'GET',
      'url.path': '/v1/orders/42',
      'http.route': '/v1/orders/:id',
      'http.response.status_code': 200,
      'http.request.id': 'req-1',
    });
    expect(JSON.stringify(server?.attributes)).not.toContain('signature');
    expect(spanNamed('inside the handler')?.parentSpanId).toBe(server?.spanContext().spanId);
  });

  it('continues the trace of a caller that sends traceparent', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    await app.request('/v1/orders/7', { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
    const server = spanNamed('GET /v1/orders/:id');
    expect(server?.spanContext().traceId).toBe(traceId);
    expect(server?.parentSpanId).toBe('b7ad6b7169203331');
  });

  it('marks a request that ends in a 500 as an error', async () => {
    const res = await app.request('/boom');
    expect(res.status).toBe(500);
    expect(spanNamed('GET /boom')?.status).toEqual({ code: 2, message: 'Error' });
  });
});
