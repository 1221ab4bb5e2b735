/**
 * The duplicate-key scan of api/middleware/json-body: JSON.parse keeps the last of two equal keys
 * without a word, so the API finds them first. Keys compare decoded, strings are not keys, and
 * arrays give the index in the path.
 */
import { describe, expect, it } from 'vitest';
import { duplicateKeyPath } from '../../api/middleware/json-body/index.js';

describe('duplicateKeyPath', () => {
  it('names a key repeated at the top level', () => {
    expect(duplicateKeyPath('{"quantity":"1","price":"2","quantity":"1000"}')).toBe('quantity');
  });

  it('names a key repeated deep inside, with array indexes in the path', () => {
    expect(duplicateKeyPath('{"payloads":[{"data":"a"},{"metadata":{"encoding":"x","encoding":"y"}}]}')).toBe('payloads.1.metadata.encoding');
  });

  it('compares keys decoded: "side" and "\\u0073ide" are the same key', () => {
    expect(duplicateKeyPath('{"side":"BUY","\\u0073ide":"SELL"}')).toBe('side');
  });

  it('finds nothing in JSON whose equal names sit in different objects, in values or in escaped quotes', () => {
    for (const text of ['{"a":{"b":1},"b":{"a":2}}', '{"a":"a","b":["a","a"]}', '{"a\\"":1,"a":2}', '[{"a":1},{"a":2}]', '"a"', '{}', '{"a":"{\\"a\\":1,\\"a\\":2}"}']) {
      expect(duplicateKeyPath(text), text).toBeUndefined();
    }
  });
});
