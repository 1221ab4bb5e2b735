/** Request body reading with our error shape: malformed JSON is a 400 that says so. */
import type { Context } from 'hono';
import { ApiError } from './errors.js';

/**
 * The request body as parsed JSON. An empty body gives `undefined` when `optional`, else a 400.
 * @example const body = createOrderSchema.parse(await readJson(c));
 */
export async function readJson(c: Context, { optional = false } = {}): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') {
    if (optional) return undefined;
    throw new ApiError(400, 'invalid_json', 'Request body is empty; send a JSON object');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `Request body is not valid JSON: ${(err as Error).message}`);
  }
}
