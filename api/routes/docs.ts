/**
 * GET /openapi.json (OpenAPI 3.1, generated from the route declarations) and GET /docs, Swagger UI
 * from the `swagger-ui-dist` package, served by this API itself: the page loads nothing from any
 * other origin (its CSP allows only 'self'), so it works offline. Both are public: they describe,
 * they do not act.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createRoute, z } from '@hono/zod-openapi';
import { ApiError } from '../errors.js';
import { errors, json, noAuth, noQuery, requestIdHeader } from '../openapi/responses.js';
import { createRouter } from '../router.js';
import { notFoundForParams } from '../validation.js';

/** No script or style from anywhere but this API; Swagger UI sets inline styles and data: images. */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const swaggerUiDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The files /docs/{file} serves: the package's own, and the script that starts it. */
const ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'init.js': 'text/javascript; charset=utf-8',
} as const;
type Asset = keyof typeof ASSETS;

const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Durable Trader API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head><body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>`;

// No validator badge (it would load an image from validator.swagger.io), no URL bar. A successful
// login or sign-up through "Try it out" authorizes the other operations with its token.
const init = `'use strict';
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  validatorUrl: null,
  deepLinking: true,
  displayRequestDuration: true,
  persistAuthorization: true,
  responseInterceptor: (res) => {
    const path = new URL(res.url, location.href).pathname;
    if ((path === '/v1/auth/login' || path === '/v1/auth/register') && res.ok && res.body && typeof res.body.token === 'string') {
      window.ui.preauthorizeApiKey('bearer', res.body.token);
    }
    return res;
  },
});
`;

const openApiRoute = createRoute({
  method: 'get',
  path: '/openapi.json',
  tags: ['system'],
  operationId: 'getOpenApiDocument',
  summary: 'This document',
  security: noAuth,
  request: { query: noQuery },
  responses: {
    200: json('OpenAPI 3.1', z.record(z.string(), z.unknown()).openapi({ description: 'An OpenAPI 3.1 document' }), { openapi: '3.1.0' }),
    ...errors({}),
  },
});

const docsPage = createRoute({
  method: 'get',
  path: '/docs',
  tags: ['system'],
  operationId: 'getDocsPage',
  summary: 'Interactive documentation (Swagger UI, served locally: works offline)',
  security: noAuth,
  request: { query: noQuery },
  responses: {
    200: { description: 'An HTML page that renders /openapi.json and sends requests', headers: requestIdHeader, content: { 'text/html': { schema: z.string() } } },
    ...errors({}),
  },
});

const docsAsset = createRoute({
  method: 'get',
  path: '/docs/{file}',
  tags: ['system'],
  operationId: 'getDocsAsset',
  summary: 'The scripts, style sheet and icon of /docs',
  security: noAuth,
  request: {
    params: z.strictObject({ file: z.enum(Object.keys(ASSETS) as [Asset, ...Asset[]]).openapi({ param: { name: 'file', in: 'path' }, example: 'init.js' }) }),
    query: noQuery,
  },
  responses: {
    200: {
      description: 'The file',
      headers: requestIdHeader,
      content: { 'text/javascript': { schema: z.string() }, 'text/css': { schema: z.string() }, 'image/png': { schema: z.string().openapi({ format: 'binary' }) } },
    },
    ...errors({}, { 404: 'No such file' }),
  },
});

/**
 * @param document the OpenAPI document of the whole app, built on first use
 * @example app.route('/', docsRoutes(() => app.getOpenAPI31Document(config)))
 */
export function docsRoutes(document: () => unknown) {
  const files = new Map<Asset, Uint8Array<ArrayBuffer> | string>([['init.js', init]]);
  const read = (file: Asset) => {
    let body = files.get(file);
    if (body === undefined) files.set(file, (body = new Uint8Array(readFileSync(path.join(swaggerUiDir, file)))));
    return body;
  };
  let built: unknown;
  return createRouter()
    .openapi(openApiRoute, (c) => c.json((built ??= document()) as Record<string, unknown>, 200))
    .openapi(docsPage, (c) => {
      c.header('Content-Security-Policy', DOCS_CSP);
      return c.html(html);
    })
    .openapi(
      docsAsset,
      (c) => {
        const { file } = c.req.valid('param');
        return c.body(read(file), 200, { 'Content-Type': ASSETS[file], 'Cache-Control': 'public, max-age=3600' });
      },
      notFoundForParams((c) => new ApiError(404, 'not_found', `No route for GET ${c.req.path}`)),
    );
}
