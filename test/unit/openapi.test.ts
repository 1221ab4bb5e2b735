/**
 * The OpenAPI document, generated from the route declarations, against the app it describes and
 * against Redocly's linter: every route the app serves is in it, every operation has its errors,
 * examples and strict answer schemas, and /docs is Swagger UI served from this API alone. No server
 * is needed: the app is built with a pool that never connects and a Temporal client never called.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { STREAM_LIMITS } from '../../api/stream/limits.js';
import { loadConfig } from '../../lib/config.js';
import { createSql } from '../../lib/db.js';
import { createLogger } from '../../lib/logger.js';
import { TEST_CREDENTIALS_KEYS, TEST_JWT_SECRET, TEST_PAYLOAD_KEYS } from '../helpers/keys.js';
import { Contract, type OpenApiDocument } from '../helpers/openapi-contract.js';

const config = loadConfig({ JWT_SECRET: TEST_JWT_SECRET, PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, CREDENTIALS_KEYS: TEST_CREDENTIALS_KEYS, DATABASE_URL: 'postgres://x@127.0.0.1:9/none' });
const app = createApp({ config, sql: createSql(config.DATABASE_URL!), temporal: {} as Client, log: createLogger('test', { level: 'error' }) });

type Schema = Record<string, any>;
interface Operation {
  summary: string;
  operationId: string;
  tags: string[];
  description?: string;
  security: unknown[];
  parameters?: Array<{ name: string; in: string; schema: Schema }>;
  requestBody?: { content: Record<string, { schema: Schema; example?: unknown; examples?: unknown }> };
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema?: Schema; example?: unknown }> }>;
}
const doc = (await (await app.request('/openapi.json')).json()) as OpenApiDocument & { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op, where: `${method} ${path}` })));
const resolve = (s: Schema): Schema => (typeof s.$ref === 'string' ? resolve(doc.components.schemas[s.$ref.replace('#/components/schemas/', '')]!) : s);

/** Every object schema reachable from `schema`, with where it sits. */
function objectsIn(schema: Schema, where: string, seen = new Set<Schema>()): Array<{ where: string; schema: Schema }> {
  const s = resolve(schema);
  if (seen.has(s)) return [];
  seen.add(s);
  const found = s.type === 'object' || s.properties ? [{ where, schema: s }] : [];
  for (const [name, sub] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) found.push(...objectsIn(sub, `${where}.${name}`, seen));
  if (s.items) found.push(...objectsIn(s.items, `${where}[]`, seen));
  if (s.additionalProperties && typeof s.additionalProperties === 'object') found.push(...objectsIn(s.additionalProperties, `${where}{}`, seen));
  for (const sub of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) found.push(...objectsIn(sub, where, seen));
  return found;
}
const typed = (s: Schema) => ['type', '$ref', 'enum', 'const', 'anyOf', 'oneOf', 'allOf'].some((k) => k in s);
const jsonAnswers = operations.flatMap(({ where, op }) =>
  Object.entries(op.responses).flatMap(([status, r]) => (r.content?.['application/json']?.schema ? [{ where: `${where} ${status}`, schema: r.content['application/json'].schema! }] : [])),
);

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document with the error shape as a component', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas.Error).toBeDefined();
  });

  it('describes every route the app serves', () => {
    const served = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    const documented = new Set(operations.map((o) => o.where));
    expect(served.length).toBeGreaterThan(25);
    expect(served.filter((r) => !documented.has(r))).toEqual([]);
  });

  it('documents /v1/stream, which the WebSocket server serves beside the app, with its limits', () => {
    const stream = doc.paths['/v1/stream']!.get!;
    expect(Object.keys(stream.responses)).toEqual(expect.arrayContaining(['101', '401', '429']));
    expect(stream.description).toContain(`at most ${STREAM_LIMITS.maxConnectionsPerAccount} connections per account`);
    expect(stream.description).toContain(`${STREAM_LIMITS.subscriptionsPerSecond} per second per connection after a burst of ${STREAM_LIMITS.subscriptionBurst}`);
  });

  it('gives every operation a summary, an id, a tag, an example of its answer, and the error shape for every error', () => {
    for (const { path, where, op } of operations) {
      expect(op.summary, where).toBeTruthy();
      expect(op.operationId, where).toBeTruthy();
      expect(op.tags.length, where).toBe(1);
      const ok = Object.entries(op.responses).filter(([status]) => Number(status) < 400);
      expect(ok.length, where).toBeGreaterThan(0);
      const shown = ok.some(([status, r]) => status === '204' || status === '101' || Object.entries(r.content ?? {}).some(([type, c]) => c.example !== undefined || type !== 'application/json'));
      expect(shown, `${where} has no example of its answer`).toBe(true);
      for (const [status, r] of Object.entries(op.responses)) expect(r.headers?.['X-Request-Id'], `${where} ${status}`).toBeDefined();
      // The 503 of /health and /health/ready is a status report for load balancers ({status, temporal, postgres, reasons}), not a failed request.
      for (const [status, r] of Object.entries(op.responses).filter(([s]) => Number(s) >= 400 && !(['/health', '/health/ready'].includes(path) && s === '503'))) {
        expect(r.content?.['application/json']?.schema, `${where} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
        expect(r.content?.['application/json']?.example, `${where} ${status}`).toBeDefined();
      }
      const body = op.requestBody?.content['application/json'];
      if (body) expect(body.example ?? body.examples, `${where} request example`).toBeDefined();
    }
  });

  it('documents 400, 413, 415 and 422 on every operation that takes a body', () => {
    const withBody = operations.filter((o) => o.op.requestBody);
    expect(withBody.length).toBeGreaterThan(10);
    for (const { where, op } of withBody) expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['400', '413', '415', '422']));
  });

  it('documents a repeated (400) and an unknown (422) query parameter on every HTTP operation', () => {
    for (const { where, op } of operations.filter((o) => o.path !== '/v1/stream')) expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['400', '422', '500']));
  });

  it('marks the /v1 routes but sign-up and login, and the codec server, as needing a token', () => {
    for (const { path, where, op } of operations.filter((o) => o.path.startsWith('/v1/'))) {
      expect(op.security.length === 0, where).toBe(path.startsWith('/v1/auth/'));
    }
    for (const path of ['/codec/decode', '/codec/encode']) expect(doc.paths[path]!.post!.security.length).toBeGreaterThan(0);
  });

  it('shows the strict request schemas: unknown fields are refused', () => {
    const order = doc.paths['/v1/orders']!.post!.requestBody!.content['application/json']!.schema;
    expect(order.additionalProperties).toBe(false);
    expect(order.required).toEqual(expect.arrayContaining(['symbol', 'side', 'type', 'quantity']));
  });

  it('declares page sizes as integers, as the routes read them', () => {
    for (const { where, op } of operations) {
      for (const p of (op.parameters ?? []).filter((p) => p.name === 'limit')) expect(p.schema.type, where).toBe('integer');
    }
  });
});

describe('the answer schemas', () => {
  it('close every object: a field the document does not name is an error', () => {
    const open = jsonAnswers.flatMap(({ where, schema }) => objectsIn(schema, where)).filter(({ schema }) => schema.properties && schema.additionalProperties !== false);
    expect(open.map((o) => o.where)).toEqual([]);
  });

  it('type every field', () => {
    const untyped = jsonAnswers
      .flatMap(({ where, schema }) => objectsIn(schema, where))
      .flatMap(({ where, schema }) => Object.entries((schema.properties ?? {}) as Record<string, Schema>).filter(([, s]) => !typed(s)).map(([name]) => `${where}.${name}`));
    expect(untyped).toEqual([]);
  });

  it("give an order's type and status, and a portfolio's and a position's figures, exact types", () => {
    const order = resolve({ $ref: '#/components/schemas/Order' }).properties;
    expect(order.type.enum).toEqual(['MARKET', 'LIMIT', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']);
    expect(resolve(order.status).enum).toContain('UNKNOWN');
    const portfolio = resolve({ $ref: '#/components/schemas/Portfolio' });
    const decimals = ['totalValue', 'totalCost', 'realizedPnl', 'unrealizedPnl', 'feesPaid', 'capitalInvested', 'roiPct', 'winRate', 'usdtUsdRate'];
    for (const field of decimals) expect(portfolio.properties[field], field).toMatchObject({ type: 'string', pattern: expect.any(String) });
    expect(portfolio.required).toEqual(expect.arrayContaining([...decimals, 'trades', 'closedTrades', 'usdtRateAssumed', 'missingPrices', 'feesUnpriced', 'unpricedFees', 'fillsPending', 'recalculation', 'links']));
    const position = resolve({ $ref: '#/components/schemas/Position' });
    expect(position.properties.venue.enum).toEqual(['paper', 'binance', 'manual']);
    expect(position.properties.priceSource.enum).toEqual(['market', 'last-trade']);
    for (const field of ['quoteAsset', 'costBasis', 'realizedPnl', 'feesPaid', 'allocationPct', 'priceSource']) expect(position.required, field).toContain(field);
  });

  it("match every example of the document's own answers", () => {
    const contract = new Contract(doc);
    const problems = operations.flatMap(({ where, op }) =>
      Object.entries(op.responses).flatMap(([status, r]) => {
        const json = r.content?.['application/json'];
        return json?.schema && json.example !== undefined ? contract.check(json.schema, json.example).map((p) => `${where} ${status}: ${p}`) : [];
      }),
    );
    expect(problems).toEqual([]);
  });
});

describe('the document under Redocly', () => {
  it('lints with no errors, and warns only that a WebSocket upgrade has no 2xx and the private project no license', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const redocly = path.join(process.cwd(), 'node_modules', '.bin', 'redocly');
    const { stdout } = await promisify(execFile)(redocly, ['lint', file, '--format=json'], { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } }).catch(
      (err: { stdout: string }) => ({ stdout: err.stdout }),
    );
    const { problems } = JSON.parse(stdout) as { problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }> };
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    const allowed = (p: (typeof problems)[number]) => p.ruleId === 'info-license' || (p.ruleId === 'operation-2xx-response' && p.location[0]?.pointer === '#/paths/~1v1~1stream/get/responses');
    expect(problems.filter((p) => !allowed(p)).map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`)).toEqual([]);
  });
});

const html = await (await app.request('/docs')).text();
const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);

describe('GET /docs', () => {
  it('is Swagger UI under a CSP that lets the page load nothing from another origin', async () => {
    const csp = (await app.request('/docs')).headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    for (const directive of csp.split(';').map((d) => d.trim())) expect(directive, directive).not.toMatch(/https?:|\*|data:.*script/);
    expect(urls).toEqual(expect.arrayContaining(['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/init.js']));
  });

  it('serves every file the page loads itself, from the swagger-ui-dist package', async () => {
    for (const url of urls) {
      expect(url, url).toMatch(/^\/docs\//);
      const res = await app.request(url);
      expect(res.status, url).toBe(200);
      expect((await res.arrayBuffer()).byteLength, url).toBeGreaterThan(100);
    }
    expect(await (await app.request('/docs/swagger-ui-bundle.js')).text()).toContain('SwaggerUIBundle');
  });

  it('starts Swagger UI on /openapi.json with the validator badge (an external image) turned off', async () => {
    const init = await (await app.request('/docs/init.js')).text();
    expect(init).toContain("url: '/openapi.json'");
    expect(init).toContain('validatorUrl: null');
    expect(init).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/https?:\/\//);
  });
});
