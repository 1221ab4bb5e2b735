/**
 * One order, one trace: the engine exports over OTLP/HTTP (JSON) to a collector inside this test,
 * and the spans of an order form one tree from the API's POST through the workflow start, the
 * workflow and its activities to the venue call.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';

interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  service: string;
  attributes: Record<string, unknown>;
}

interface Collector {
  /** The OTEL_EXPORTER_OTLP_ENDPOINT to give the engine. */
  url: string;
  spans: CollectedSpan[];
  close(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: OtlpAttribute[] }> }>;
  }>;
}

const valueOf = (v: OtlpValue): unknown => v.stringValue ?? (v.intValue === undefined ? undefined : Number(v.intValue)) ?? v.doubleValue ?? v.boolValue;
const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** A collector that accepts OTLP/HTTP JSON on /v1/traces, as an OpenTelemetry Collector would. */
async function startCollector(): Promise<Collector> {
  const spans: CollectedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
        res.writeHead(415).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')) as OtlpExport;
      for (const rs of body.resourceSpans ?? []) {
        const service = String(attributesOf(rs.resource?.attributes)['service.name']);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({ traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name, service, attributes: attributesOf(s.attributes) });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const KEY = 'tracing-key-never-in-a-span';
const SECRET = 'tracing-secret-never-in-a-span';
const PAPER_SYMBOL = 'TRCBTCUSDT';

let collector: Collector;
let fake: BinanceFake;
let e: TestEngine;
beforeAll(async () => {
  collector = await startCollector();
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
  e = await startEngine({
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    BINANCE_BASE_URL: fake.url,
    BINANCE_WS_API_URL: fake.wsApiUrl,
    BINANCE_API_KEY: KEY,
    BINANCE_API_SECRET: SECRET,
  });
  await e.setPrice(PAPER_SYMBOL, '50000');
  await e.setPrice('BTCUSDT', fake.price('BTCUSDT'));
});
afterAll(async () => {
  await e?.stop();
  await fake?.close();
  await collector?.close();
});

/** Places the order, waits for FILLED and the workflow's end, and returns its trace once the workflow's spans are in. */
async function tracedOrder(body: Record<string, unknown>, headers?: Record<string, string>): Promise<{ id: string; spans: CollectedSpan[] }> {
  const res = await e.call('POST', '/v1/orders', body, headers);
  expect(res.status).toBe(202);
  await e.waitForStatus(res.body.id, ['FILLED']);
  const workflowId = `order-${res.body.id}`;
  await e.temporal.workflow.getHandle(workflowId).result();
  // Workflow spans leave the sandbox through a sink after each activation: flush until they are in.
  const run = await waitFor(
    async () => {
      await e.tracing!.forceFlush();
      return collector.spans.find((s) => s.name === 'RunWorkflow:orderLifecycleV3' && s.attributes.workflowId === workflowId);
    },
    (s) => s !== undefined,
    { timeoutMs: 15_000, what: `the spans of ${workflowId}` },
  );
  return { id: res.body.id, spans: collector.spans.filter((s) => s.traceId === run!.traceId) };
}

/** The names from a span up to the root of its trace, each parent found among the trace's spans. */
function chainOf(span: CollectedSpan, spans: CollectedSpan[]): string[] {
  const names = [span.name];
  let current = span;
  while (current.parentSpanId !== undefined) {
    const parent = spans.find((s) => s.spanId === current.parentSpanId);
    if (!parent) break;
    names.push(parent.name);
    current = parent;
  }
  return names;
}

const only = (spans: CollectedSpan[], name: string): CollectedSpan => {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name), name).toEqual([name]);
  return found[0]!;
};

describe('tracing of an order (OTLP/HTTP to an in-process collector)', () => {
  it('traces a paper order as one tree from POST /v1/orders through the workflow and its activities to the paper venue', async () => {
    const { spans } = await tracedOrder({ symbol: PAPER_SYMBOL, side: 'BUY', type: 'MARKET', quantity: '0.01', venue: 'paper' });
    const api = only(spans, 'POST /v1/orders');
    expect(api.parentSpanId).toBeUndefined();
    expect(api.attributes).toMatchObject({ 'http.request.method': 'POST', 'url.path': '/v1/orders', 'http.route': '/v1/orders', 'http.response.status_code': 202 });
    expect(chainOf(only(spans, 'paper placeOrder'), spans)).toEqual([
      'paper placeOrder',
      'RunActivity:submitOrder',
      'StartActivity:submitOrder',
      'RunWorkflow:orderLifecycleV3',
      'StartWorkflow:orderLifecycleV3',
      'POST /v1/orders',
    ]);
    // The short steps are local activities, traced the same way.
    for (const step of ['recordOrderReceived', 'validateOrder', 'checkRisk', 'notifyPortfolio']) {
      expect(chainOf(only(spans, `RunActivity:${step}`), spans)).toEqual([`RunActivity:${step}`, `StartActivity:${step}`, 'RunWorkflow:orderLifecycleV3', 'StartWorkflow:orderLifecycleV3', 'POST /v1/orders']);
    }
    expect(only(spans, 'paper placeOrder').attributes).toMatchObject({ 'venue.name': 'paper', 'venue.operation': 'placeOrder' });
  });

  it('continues the caller\'s trace and carries it to Binance in traceparent, naming method, path and status but no secret', async () => {
    const callerTraceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const { spans } = await tracedOrder(
      { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', venue: 'binance' },
      { traceparent: `00-${callerTraceId}-${callerSpanId}-01` },
    );
    const api = only(spans, 'POST /v1/orders');
    expect(api.traceId).toBe(callerTraceId);
    expect(api.parentSpanId).toBe(callerSpanId);
    const post = only(spans, 'POST /api/v3/order');
    expect(chainOf(post, spans)).toEqual([
      'POST /api/v3/order',
      'RunActivity:submitOrder',
      'StartActivity:submitOrder',
      'RunWorkflow:orderLifecycleV3',
      'StartWorkflow:orderLifecycleV3',
      'POST /v1/orders',
    ]);
    expect(post.attributes).toMatchObject({ 'http.request.method': 'POST', 'url.path': '/api/v3/order', 'http.response.status_code': 200 });
    // Before it, the submission asked Binance for the client id and heard "no such order": its code is on the span.
    const lookup = spans.find((s) => s.name === 'GET /api/v3/order' && s.parentSpanId === post.parentSpanId);
    expect(lookup?.attributes).toMatchObject({ 'http.response.status_code': 400, 'binance.error.code': -2013, 'error.type': 'ExchangeRejectedError' });
    // The venue saw the HTTP span as the request's parent.
    const received = fake.requests().filter((r) => r.method === 'POST' && r.path === '/api/v3/order' && r.traceparent?.includes(callerTraceId));
    expect(received.map((r) => r.traceparent)).toEqual([`00-${callerTraceId}-${post.spanId}-01`]);
    // Neither the key, the secret, a signature nor a query string is in any span of the run.
    const everything = JSON.stringify(collector.spans);
    for (const secret of [KEY, SECRET, 'signature', 'X-MBX-APIKEY', 'timestamp=']) expect(everything).not.toContain(secret);
  });
});
