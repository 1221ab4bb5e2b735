/**
 * The OpenAPI document against the app it describes: every route the Hono app has is documented,
 * and every documented operation carries schemas, errors and an example. No server is needed: the
 * app is built with a pool that never connects and a Temporal client that is never called.
 */
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { openApiPath } from '../../api/openapi/registry.js';
import { loadConfig } from '../../lib/config.js';
import { createSql } from '../../lib/db.js';
import { createLogger } from '../../lib/logger.js';
import { TEST_CREDENTIALS_KEYS, TEST_JWT_SECRET, TEST_PAYLOAD_KEYS } from '../helpers/keys.js';

const config = loadConfig({ JWT_SECRET: TEST_JWT_SECRET, PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, CREDENTIALS_KEYS: TEST_CREDENTIALS_KEYS, DATABASE_URL: 'postgres://x@127.0.0.1:9/none' });
const app = createApp({ config, sql: createSql(config.DATABASE_URL!), temporal: {} as Client, log: createLogger('test', { level: 'error' }) });

interface Operation {
  summary: string;
  security: unknown[];
  requestBody?: { content: Record<string, { schema: unknown; example: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: unknown; example?: unknown }> }>;
}
const doc = (await (await app.request('/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas.Error).toBeDefined();
  });

  it('describes every route the app serves', () => {
    const served = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`);
    const documented = new Set(operations.map((o) => `${o.method} ${o.path}`));
    expect(served.length).toBeGreaterThan(25);
    expect(served.filter((r) => !documented.has(r))).toEqual([]);
  });

  it('gives every operation a summary, an example of its answer, and the error shape for every error', () => {
    for (const { path, method, op } of operations) {
      const where = `${method} ${path}`;
      expect(op.summary, where).toBeTruthy();
      const ok = Object.entries(op.responses).filter(([status]) => Number(status) < 400);
      expect(ok.length, where).toBeGreaterThan(0);
      const shown = ok.some(([status, r]) => status === '204' || status === '101' || Object.entries(r.content ?? {}).some(([type, c]) => c.example !== undefined || type !== 'application/json'));
      expect(shown, `${where} has no example of its answer`).toBe(true);
      // /health's 503 is a status report for load balancers ({status, temporal, postgres, reasons}), not a failed request.
      for (const [status, r] of Object.entries(op.responses).filter(([s]) => Number(s) >= 400 && !(path === '/health' && s === '503'))) {
        expect(r.content?.['application/json']?.schema, `${where} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
        expect(r.content?.['application/json']?.example, `${where} ${status}`).toBeDefined();
      }
      const body = op.requestBody?.content['application/json'];
      if (body) expect(body.example, `${where} request example`).toBeDefined();
    }
  });

  it('marks the /v1 routes but sign-up and login, and the codec server, as needing a token', () => {
    for (const { path, method, op } of operations.filter((o) => o.path.startsWith('/v1/'))) {
      expect(op.security.length === 0, `${method} ${path}`).toBe(path.startsWith('/v1/auth/'));
    }
    for (const path of ['/codec/decode', '/codec/encode']) expect(doc.paths[path]!.post!.security.length).toBeGreaterThan(0);
  });

  it('shows the strict request schemas: unknown fields are refused', () => {
    const order = doc.paths['/v1/orders']!.post!.requestBody!.content['application/json']!.schema as { additionalProperties: boolean; required: string[] };
    expect(order.additionalProperties).toBe(false);
    expect(order.required).toEqual(expect.arrayContaining(['symbol', 'side', 'type', 'quantity']));
  });
});

describe('GET /docs', () => {
  it('is a page whose only script comes from the API itself, under a CSP that allows nothing else', async () => {
    const res = await app.request('/docs');
    const html = await res.text();
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    expect([...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1])).toEqual(['/docs/app.js']);
    expect(html).not.toMatch(/https?:\/\//);
    const js = await (await app.request('/docs/app.js')).text();
    expect(js).toContain("fetch('/openapi.json')");
    expect(js).not.toMatch(/https?:\/\//);
    // Text from the document goes in as text, never as markup.
    expect(js).not.toMatch(/innerHTML/);
  });
});
