/**
 * The single error shape of the API: `{"error": {"code", "message", "details"?}}`, never a stack.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import type { Logger } from '../lib/logger.js';

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** An HTTP failure with a machine-readable code. Throw it from any handler. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(status, { message });
  }
}

export function errorBody(code: string, message: string, details?: unknown): ApiErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Turns zod issues into `[{path, message}]`, and a one-line message naming the first field.
 * @param whole what an issue without a path is about: `(body)`, `(query)`
 */
export function zodDetails(err: ZodError, whole = '(body)'): { message: string; details: { path: string; message: string }[] } {
  const details = err.issues.map((i) => ({ path: i.path.join('.') || whole, message: i.message }));
  const first = details[0];
  return { message: first ? `${first.path}: ${first.message}` : 'invalid request', details };
}

export function createErrorHandler(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof ApiError) {
      if (err.headers) for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
      return c.json(errorBody(err.code, err.message, err.details), err.status);
    }
    if (err instanceof ZodError) {
      const { message, details } = zodDetails(err);
      return c.json(errorBody('invalid_request', message, details), 422);
    }
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      const code = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'http_error';
      return c.json(errorBody(code, err.message || 'request failed'), status);
    }
    log.error('unhandled error', { err, path: c.req.path, requestId: c.get('requestId') });
    return c.json(errorBody('internal', 'Internal error; retry later or report the request id', { requestId: c.get('requestId') }), 500);
  };
}
