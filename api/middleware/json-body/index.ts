/**
 * Request bodies are JSON and nothing else. Before any route sees a body: one that is not sent as
 * `Content-Type: application/json` answers 415, malformed JSON 400 `invalid_json`, and JSON that
 * repeats a key in one object 400 `duplicate_key` (JSON.parse would silently keep the last one,
 * so two readers of the same body could disagree on what it says).
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../principal.js';
import { ApiError } from '../../errors.js';

const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;
const WITHOUT_BODY = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The path (`a.b.0.c`) of the first key that an object of `text` repeats, or undefined.
 * `text` must already be valid JSON. Keys are compared decoded: `"a"` and `"\u0061"` are the same key.
 * @example duplicateKeyPath('{"a":{"b":1,"b":2}}') // 'a.b'
 */
export function duplicateKeyPath(text: string): string | undefined {
  // One frame per open object (its keys so far) or array (its current index).
  const stack: Array<{ keys: Set<string> | null; at: string | number }> = [];
  let previous = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (top?.keys && (previous === '{' || previous === ',')) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return [...stack.slice(0, -1).map((f) => f.at), key].join('.');
        top.keys.add(key);
        top.at = key;
      }
      previous = '"';
      i = end;
      continue;
    }
    if (ch === '{') stack.push({ keys: new Set(), at: '' });
    else if (ch === '[') stack.push({ keys: null, at: 0 });
    else if (ch === '}' || ch === ']') stack.pop();
    else if (ch === ',' && stack.at(-1)?.keys === null) (stack.at(-1)!.at as number)++;
    if (ch !== ' ' && ch !== '\n' && ch !== '\r' && ch !== '\t') previous = ch;
  }
  return undefined;
}

/**
 * Checks every request body; the routes' validators then read the same text. An empty body counts
 * as none: routes whose body is optional see `{}`, the others answer 400 (see `validationHook`).
 * @example app.use(jsonBody());
 */
export function jsonBody(): MiddlewareHandler<AppEnv> {
  return async function jsonBody(c, next) {
    if (WITHOUT_BODY.has(c.req.method)) return next();
    const text = await c.req.text();
    if (text.trim() === '') {
      c.set('emptyBody', true);
      // What c.req.text() (and so the validators' c.req.json()) reads from now on.
      (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve('{}');
      return next();
    }
    const contentType = c.req.header('content-type');
    if (!contentType || !JSON_MEDIA_TYPE.test(contentType)) {
      throw new ApiError(415, 'unsupported_media_type', `Send the body as JSON with Content-Type: application/json${contentType ? ` (not ${contentType.split(';')[0]})` : ''}`);
    }
    try {
      JSON.parse(text);
    } catch (err) {
      throw new ApiError(400, 'invalid_json', `Request body is not valid JSON: ${(err as Error).message}`);
    }
    const duplicate = duplicateKeyPath(text);
    if (duplicate !== undefined) {
      throw new ApiError(400, 'duplicate_key', `${duplicate}: appears twice in one object; send each key once`, [{ path: duplicate, message: 'appears twice in one object' }]);
    }
    await next();
  };
}
