/**
 * The pieces every route declaration shares: the error shape and the errors each kind of route can
 * answer, the headers every answer carries, and who may call. Routes spread them into their
 * `createRoute({ responses })`, so each status a route answers is in the document with its shape
 * and an example.
 */
import { z } from '@hono/zod-openapi';

/** How many bytes a request body may have (api/app.ts enforces it). */
export const MAX_BODY_BYTES = 1024 * 1024;

const issue = z.strictObject({
  path: z.string().openapi({ description: 'The field at fault, dotted (`symbols.2`), or `(body)`' }),
  message: z.string(),
});

export const errorSchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string().openapi({ description: 'Machine-readable, e.g. `invalid_request`, `rate_limited`' }),
      message: z.string().openapi({ description: 'One line for a human; names the field at fault' }),
      details: z
        .union([z.array(issue), z.record(z.string(), z.unknown())])
        .optional()
        .openapi({ description: 'Per-field issues `[{path, message}]`, or context such as `{retryAfterSeconds}` or `{requestId}`' }),
    }),
  })
  .openapi('Error', { description: 'Every 4xx and 5xx answer' });

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503;

const EXAMPLES: Record<ErrorStatus, { code: string; message: string; details?: unknown }> = {
  400: { code: 'invalid_json', message: 'Request body is not valid JSON: Unexpected end of JSON input' },
  401: { code: 'unauthorized', message: 'An access token is required: send Authorization: Bearer <token> (POST /v1/auth/login gives one)' },
  403: { code: 'forbidden', message: 'Only operators (OPERATOR_EMAILS) may pause or resume schedules' },
  404: { code: 'not_found', message: 'No order 1f0c…' },
  409: { code: 'conflict', message: 'Order is already FILLED; there is nothing to cancel' },
  413: { code: 'payload_too_large', message: 'Request body is larger than 1 MiB' },
  415: { code: 'unsupported_media_type', message: 'Send the body as JSON with Content-Type: application/json (not text/plain)' },
  422: { code: 'invalid_request', message: 'quantity: must be a plain decimal string such as "0.01"', details: [{ path: 'quantity', message: 'must be a plain decimal string such as "0.01"' }] },
  429: { code: 'rate_limited', message: 'Too many login attempts for this email; retry in 90 s', details: { retryAfterSeconds: 90 } },
  500: { code: 'internal', message: 'Internal error; retry later or report the request id', details: { requestId: '3f1c2b9e-…' } },
  502: { code: 'provider_unavailable', message: 'yahoo did not answer: timeout' },
  503: { code: 'provider_rate_limited', message: 'binance is rate limiting requests; retry later' },
};

const stringHeader = (description: string) => ({ description, schema: { type: 'string' as const } });

/** On every answer, errors included. */
export const requestIdHeader = { 'X-Request-Id': stringHeader('Id of this request (yours, if you sent a valid one); every log line about it carries the same id') };

/** On answers that carry a token or speak of credentials. */
export const noStoreHeader = { 'Cache-Control': stringHeader('`no-store`: no cache keeps this answer') };

/**
 * A JSON answer with its schema and an example.
 * @example responses: { 200: json('The order', orderSchema, exampleOrder) }
 */
export function json<S extends z.ZodType>(description: string, schema: S, example: z.output<S>, headers: Record<string, { description: string; schema: { type: 'string' } }> = {}) {
  return { description, headers: { ...requestIdHeader, ...headers }, content: { 'application/json': { schema, example } } };
}

/** An answer without a body (204). */
export function empty(description: string, headers: Record<string, { description: string; schema: { type: 'string' } }> = {}) {
  return { description, headers: { ...requestIdHeader, ...headers } };
}

function errorResponse(status: ErrorStatus, description: string) {
  const headers = { ...requestIdHeader, ...(status === 429 ? { 'Retry-After': stringHeader('Seconds to wait before trying again') } : {}) };
  return { description, headers, content: { 'application/json': { schema: errorSchema, example: { error: EXAMPLES[status] } } } };
}

/** What a route reads besides its path: decides which failures it can answer. */
export interface ErrorsOptions {
  /** Needs `Authorization: Bearer` (401 without a valid token). */
  auth?: boolean;
  /** Takes a JSON body (400 malformed, 413 too large, 415 not JSON, 422 invalid). */
  body?: boolean;
}

const QUERY_400 = 'A query parameter is given more than once';
const QUERY_422 = 'An unknown or malformed query parameter (details name each)';
const BODY_400 = 'The body is not JSON, is empty while required, or repeats a key in one object';
const BODY_422 = 'A body field is missing, malformed or unknown (details name each)';

/**
 * The error answers of a route: those of every route (a repeated or unknown query parameter, 500),
 * those of its token and body, and its own (`when`, merged into the common descriptions).
 * @example responses: { 200: json(...), ...errors({ auth: true, body: true }, { 404: 'No such order of yours' }) }
 */
export function errors(o: ErrorsOptions, when: Partial<Record<ErrorStatus, string>> = {}) {
  const all: Partial<Record<ErrorStatus, string[]>> = { 400: [QUERY_400], 422: [QUERY_422], 500: ['An unexpected failure; the body carries the request id'] };
  const add = (status: ErrorStatus, description: string) => (all[status] ??= []).unshift(description);
  if (o.auth) add(401, 'No token, or a token that is expired, altered, signed with another key or algorithm, or names no account');
  if (o.body) {
    add(400, BODY_400);
    add(413, `The body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
    add(415, 'The body is not sent as Content-Type: application/json');
    add(422, BODY_422);
  }
  for (const [status, description] of Object.entries(when)) add(Number(status) as ErrorStatus, description);
  return Object.fromEntries(Object.entries(all).map(([status, descriptions]) => [status, errorResponse(Number(status) as ErrorStatus, descriptions.join('. '))])) as Record<
    ErrorStatus,
    ReturnType<typeof errorResponse>
  >;
}

type Security = Array<Record<string, string[]>>;
/** `security` of the routes that need an access token. */
export const bearerAuth: Security = [{ bearer: [] }];
/** `security` of the codec server: the token, or the cookie its sign-in page sets. */
export const codecAuth: Security = [{ bearer: [] }, { codecCookie: [] }];
/** `security` of public routes. */
export const noAuth: Security = [];

/** The query of a route that takes none: any key answers 422, as on the routes that take some. */
export const noQuery = z.strictObject({});
