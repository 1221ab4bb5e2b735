/**
 * Encryption at rest for exchange credentials (API keys and secrets in PostgreSQL): AES-256-GCM
 * with a fresh 96-bit nonce per value, a key id in every sealed string so keys can rotate, and
 * optional associated data (the owning account id) so a ciphertext copied onto another row fails.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type Keys, toKeyring } from './keys.js';

export { KeyringError, parseKeyring } from './keys.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

/** A sealed value that cannot be opened. Never carries plaintext, ciphertext or key bytes. */
export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

export interface SecretBoxOptions {
  /** Key id → 32-byte key, e.g. from {@link parseKeyring}. Keep retired ids until nothing uses them. */
  keys: Keys;
  /** Id of the key new values are sealed with. */
  currentKeyId: string;
}

export interface SecretBox {
  /** Encrypts `plaintext`; `aad` (e.g. the account id) must be given again to open it. */
  seal(plaintext: string, aad?: string): string;
  /** Decrypts a value from {@link SecretBox.seal}; throws {@link SecretBoxError} if it was altered. */
  open(sealed: string, aad?: string): string;
  /** True when the value was sealed with a key other than the current one. */
  needsRotation(sealed: string): boolean;
  /** Opens and seals again with the current key (for a re-encryption job). */
  reseal(sealed: string, aad?: string): string;
}

interface Parsed {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function parse(sealed: string): Parsed {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) {
    throw new SecretBoxError(`sealed value is not in the ${VERSION}.<keyId>.<iv>.<ciphertext>.<tag> format`);
  }
  const [, keyId = '', iv = '', ciphertext = '', tag = ''] = parts;
  if (![iv, ciphertext, tag].every((part) => B64URL.test(part))) {
    throw new SecretBoxError('sealed value has a part that is not base64url');
  }
  const parsed = {
    keyId,
    iv: Buffer.from(iv, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
  };
  if (parsed.iv.byteLength !== IV_BYTES || parsed.tag.byteLength !== TAG_BYTES) {
    throw new SecretBoxError('sealed value has a nonce or tag of the wrong length');
  }
  return parsed;
}

/**
 * The header is authenticated too, so the version and key id cannot be edited; it cannot be
 * confused with the caller's part because key ids contain no `.`.
 */
function associatedData(keyId: string, aad: string | undefined): Buffer {
  return Buffer.from(`${VERSION}.${keyId}.${aad ?? ''}`, 'utf8');
}

/**
 * Creates a secret box over a keyring. Sealed strings look like
 * `v1.<keyId>.<iv b64url>.<ciphertext b64url>.<tag b64url>` and fit in a TEXT column.
 *
 * @example
 * const box = createSecretBox({ keys: parseKeyring(env.CREDENTIALS_KEYS), currentKeyId: env.CREDENTIALS_KEY_ID });
 * const stored = box.seal(apiSecret, accountId);
 * const apiSecretAgain = box.open(stored, accountId);
 * if (box.needsRotation(stored)) await saveSecret(accountId, box.reseal(stored, accountId));
 */
export function createSecretBox(options: SecretBoxOptions): SecretBox {
  const { keys, currentKeyId } = toKeyring(options.keys, options.currentKeyId);

  function seal(plaintext: string, aad?: string): string {
    const key = keys.get(currentKeyId);
    if (!key) throw new SecretBoxError(`no key "${currentKeyId}"`); // toKeyring already checked
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(currentKeyId, aad));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, currentKeyId, iv, ciphertext, tag]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  function open(sealed: string, aad?: string): string {
    const { keyId, iv, ciphertext, tag } = parse(sealed);
    const key = keys.get(keyId);
    if (!key) {
      throw new SecretBoxError(`sealed with key id "${keyId}", which is not configured`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(keyId, aad));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new SecretBoxError('authentication failed: the value was altered, or the key or associated data differ', {
        cause: error,
      });
    }
  }

  return {
    seal,
    open,
    needsRotation: (sealed) => parse(sealed).keyId !== currentKeyId,
    reseal: (sealed, aad) => seal(open(sealed, aad), aad),
  };
}
