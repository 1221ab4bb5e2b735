/**
 * Keyrings for the two AES-256-GCM users (credential secret box, Temporal payload codec): a map
 * from key id to 32 key bytes plus the id new values are sealed with. Older ids stay in the ring
 * so values written before a rotation still open.
 */

/** AES-256 key length in bytes. */
export const KEY_BYTES = 32;

/**
 * Key ids end up inside sealed strings (`v1.<keyId>.…`) and payload metadata, so they are kept to
 * characters that cannot collide with the separators `.`, `:` and `,`.
 */
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Key ids mapped to 32-byte keys. */
export type Keys = Readonly<Record<string, Uint8Array>>;

/** A validated keyring: every key is 32 bytes and `currentKeyId` is one of them. */
export interface Keyring {
  keys: ReadonlyMap<string, Uint8Array>;
  currentKeyId: string;
}

/** A keyring that cannot be used. The message names the key id, never key bytes. */
export class KeyringError extends Error {
  override name = 'KeyringError';
}

/**
 * Checks a keyring and copies it into a Map (so a later mutation of the caller's object changes
 * nothing, and lookups of `__proto__`-like ids are not surprising).
 *
 * @example
 * const ring = toKeyring({ k1: randomBytes(32) }, 'k1');
 */
export function toKeyring(keys: Keys, currentKeyId: string): Keyring {
  const map = new Map<string, Uint8Array>();
  for (const [id, key] of Object.entries(keys)) {
    if (!KEY_ID.test(id)) {
      throw new KeyringError(`key id "${id}" must be 1-32 characters of A-Z a-z 0-9 _ -`);
    }
    if (!(key instanceof Uint8Array) || key.byteLength !== KEY_BYTES) {
      const length = key instanceof Uint8Array ? key.byteLength : 0;
      throw new KeyringError(`key "${id}" must be ${KEY_BYTES} bytes, got ${length}`);
    }
    map.set(id, Uint8Array.from(key));
  }
  if (!map.has(currentKeyId)) {
    throw new KeyringError(`current key id "${currentKeyId}" is not in the keyring (have: ${[...map.keys()].join(', ') || 'none'})`);
  }
  return { keys: map, currentKeyId };
}

/**
 * Parses `id:base64,id:base64` (standard or URL-safe base64, each decoding to exactly 32 bytes),
 * the format of `CREDENTIALS_KEYS` and `PAYLOAD_KEYS`. Whitespace around entries is ignored.
 * Generate a key with `openssl rand -base64 32`.
 *
 * @example
 * const keys = parseKeyring(process.env.CREDENTIALS_KEYS ?? '');
 * const box = createSecretBox({ keys, currentKeyId: process.env.CREDENTIALS_KEY_ID ?? 'k1' });
 */
export function parseKeyring(value: string, variable = 'keyring'): Record<string, Buffer> {
  const keys: Record<string, Buffer> = {};
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) {
    throw new KeyringError(`${variable} is empty: expected "k1:<base64 of ${KEY_BYTES} bytes>[,k2:…]"`);
  }
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon === -1 ? '' : entry.slice(0, colon).trim();
    const encoded = colon === -1 ? '' : entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id) || encoded === '') {
      throw new KeyringError(`${variable} entry ${index + 1} is not "<id>:<base64 key>" (id of 1-32 characters A-Z a-z 0-9 _ -)`);
    }
    if (Object.hasOwn(keys, id)) {
      throw new KeyringError(`${variable} has key id "${id}" twice`);
    }
    if (!BASE64.test(encoded)) {
      throw new KeyringError(`${variable} key "${id}" is not base64`);
    }
    const key = Buffer.from(encoded, 'base64');
    if (key.byteLength !== KEY_BYTES) {
      throw new KeyringError(`${variable} key "${id}" decodes to ${key.byteLength} bytes; AES-256 needs exactly ${KEY_BYTES}`);
    }
    keys[id] = key;
  }
  return keys;
}
