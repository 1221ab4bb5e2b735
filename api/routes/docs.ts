/**
 * GET /openapi.json (OpenAPI 3.1 generated from the zod schemas) and GET /docs, an interactive
 * page that needs nothing but this API. Both are public: they describe, they do not act.
 */
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { DOCS_CSP, docsHtml, docsScript } from '../openapi/docs-page.js';
import { openApiDocument } from '../openapi/registry.js';
import { routeDocs } from '../openapi/routes.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const API_DESCRIPTION =
  'Every order, price refresh and portfolio recalculation is a Temporal workflow. Sign up or log in for a JWT access token and send it as ' +
  '`Authorization: Bearer <token>`; you only ever see your own data (another account\'s ids answer 404). Decimals are JSON strings. ' +
  'Every error is `{"error": {"code", "message", "details"?}}`; every response carries X-Request-Id.';

/**
 * @example app.route('/', docsRoutes())
 */
export function docsRoutes() {
  // Built once: the schemas do not change while the process runs.
  const document = openApiDocument(routeDocs, { title: 'Durable Trader API', version, description: API_DESCRIPTION });
  return new Hono()
    .get('/openapi.json', (c) => c.json(document))
    .get('/docs', (c) => {
      c.header('Content-Security-Policy', DOCS_CSP);
      return c.html(docsHtml);
    })
    .get('/docs/app.js', (c) => {
      c.header('Content-Type', 'text/javascript; charset=utf-8');
      c.header('Cache-Control', 'no-cache');
      return c.body(docsScript);
    });
}
