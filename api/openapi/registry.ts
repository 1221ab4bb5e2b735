/**
 * OpenAPI 3.1 from the same zod schemas the routes validate with: each route is described once
 * (method, path, schemas, responses, errors, examples) and `openApiDocument` turns the list into
 * the document served at /openapi.json. JSON Schema 2020-12 (zod's default target) is what 3.1 uses.
 */
import { z } from 'zod';

export type Method = 'get' | 'post' | 'put' | 'delete';

export interface ResponseDoc {
  description: string;
  /** JSON body schema (output side of the zod schema). */
  schema?: z.ZodType;
  example?: unknown;
  /** Default application/json; `text/html` pages carry no schema. */
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ParamDoc {
  schema: z.ZodType;
  description: string;
  example: string;
}

export interface RouteDoc {
  method: Method;
  /** Hono style: `/v1/orders/:id`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** bearer: `Authorization: Bearer`; codec: bearer or the `dt_codec` cookie; none: public. */
  auth: 'bearer' | 'codec' | 'none';
  params?: Record<string, ParamDoc>;
  query?: z.ZodType;
  headers?: Array<{ name: string; required: boolean; description: string; schema: z.ZodType; example?: string }>;
  body?: { schema: z.ZodType; example: unknown; required?: boolean };
  responses: Record<number, ResponseDoc>;
  /** Error statuses this route answers, and when. Every route may also answer 500. */
  errors: Record<number, string>;
}

export const errorSchema = z.object({
  error: z.object({
    code: z.string().describe('Machine-readable, e.g. `invalid_request`, `rate_limited`'),
    message: z.string().describe('One line for a human; names the field at fault'),
    details: z.unknown().optional().describe('Per-field issues `[{path, message}]` or other context'),
  }),
});

const ERROR_EXAMPLES: Record<number, { code: string; message: string; details?: unknown }> = {
  400: { code: 'invalid_json', message: 'Request body is not valid JSON: Unexpected end of JSON input' },
  401: { code: 'unauthorized', message: 'An access token is required: send Authorization: Bearer <token> (POST /v1/auth/login gives one)' },
  403: { code: 'forbidden', message: 'Only operators (OPERATOR_EMAILS) may pause or resume schedules' },
  404: { code: 'not_found', message: 'No order 1f0c…' },
  409: { code: 'conflict', message: 'Order is already FILLED; there is nothing to cancel' },
  413: { code: 'payload_too_large', message: 'Request body is larger than 1 MiB' },
  422: { code: 'invalid_request', message: 'quantity: must be a plain decimal string such as "0.01"', details: [{ path: 'quantity', message: 'must be a plain decimal string such as "0.01"' }] },
  429: { code: 'rate_limited', message: 'Too many login attempts for this email; retry in 90 s', details: { retryAfterSeconds: 90 } },
  500: { code: 'internal', message: 'Internal error; retry later or report the request id', details: { requestId: '3f1c2b9e-…' } },
  502: { code: 'provider_unavailable', message: 'yahoo did not answer: timeout' },
  503: { code: 'provider_rate_limited', message: 'binance is rate limiting requests; retry later' },
};

/** A zod schema as an inline JSON Schema (no `$schema` key). */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const requestIdHeader = { 'X-Request-Id': { description: 'Id of this request; every log line about it carries the same id', schema: { type: 'string' } } };

function operation(r: RouteDoc) {
  const parameters: unknown[] = [];
  for (const [name, p] of Object.entries(r.params ?? {})) {
    parameters.push({ name, in: 'path', required: true, description: p.description, schema: jsonSchema(p.schema, 'input'), example: p.example });
  }
  if (r.query) {
    const q = jsonSchema(r.query, 'input') as { properties?: Record<string, { description?: string }>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, description: schema.description, schema });
    }
  }
  for (const h of r.headers ?? []) {
    parameters.push({ name: h.name, in: 'header', required: h.required, description: h.description, schema: jsonSchema(h.schema, 'input'), example: h.example });
  }
  const responses: Record<string, unknown> = {};
  for (const [status, res] of Object.entries(r.responses)) {
    const contentType = res.contentType ?? 'application/json';
    const headers = { ...requestIdHeader, ...Object.fromEntries(Object.entries(res.headers ?? {}).map(([k, description]) => [k, { description, schema: { type: 'string' } }])) };
    const content = res.schema || res.example !== undefined || res.contentType
      ? { [contentType]: { ...(res.schema ? { schema: jsonSchema(res.schema, 'output') } : {}), ...(res.example !== undefined ? { example: res.example } : {}) } }
      : undefined;
    responses[status] = { description: res.description, headers, ...(content ? { content } : {}) };
  }
  for (const [status, when] of Object.entries({ ...r.errors, 500: 'An unexpected failure; the body carries the request id' })) {
    const example = { error: ERROR_EXAMPLES[Number(status)] ?? { code: 'error', message: when } };
    const headers = { ...requestIdHeader, ...(status === '429' ? { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'string' } } } : {}) };
    responses[status] = { description: when, headers, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example } } };
  }
  return {
    tags: [r.tag],
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    operationId: `${r.method}${r.path.replace(/[/:{}-]+(\w)/g, (_m, ch: string) => ch.toUpperCase()).replace(/\W/g, '')}`,
    security: r.auth === 'bearer' ? [{ bearer: [] }] : r.auth === 'codec' ? [{ bearer: [] }, { codecCookie: [] }] : [],
    ...(parameters.length ? { parameters } : {}),
    ...(r.body
      ? { requestBody: { required: r.body.required ?? true, content: { 'application/json': { schema: jsonSchema(r.body.schema, 'input'), example: r.body.example } } } }
      : {}),
    responses,
  };
}

/** `/v1/orders/:id` → `/v1/orders/{id}` */
export const openApiPath = (honoPath: string) => honoPath.replace(/:(\w+)/g, '{$1}');

/**
 * @example app.get('/openapi.json', (c) => c.json(openApiDocument(routeDocs, { version: '0.1.0' })))
 */
export function openApiDocument(routes: RouteDoc[], info: { title: string; version: string; description: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) (paths[openApiPath(r.path)] ??= {})[r.method] = operation(r);
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'From POST /v1/auth/register or /v1/auth/login; lives JWT_TTL (15 min by default)' },
        codecCookie: { type: 'apiKey', in: 'cookie', name: 'dt_codec', description: 'Set by POST /codec/session (the sign-in page /codec/login); sent by the Temporal UI with "Include cross-origin credentials"' },
      },
      schemas: { Error: jsonSchema(errorSchema, 'output') },
    },
    paths,
  };
}
