import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyringError, SecretBoxError, createSecretBox, parseKeyring } from '../../lib/security/secret-box.js';

const K1 = randomBytes(32);
const K2 = randomBytes(32);
const SECRET = 'binance-api-secret-3f9a';
const ACCOUNT = 'account-7';

/** Flips one bit of the ciphertext part of a sealed string. */
function tamper(sealed: string): string {
  const parts = sealed.split('.');
  const ciphertext = Buffer.from(parts[3] ?? '', 'base64url');
  ciphertext[0] = (ciphertext[0] ?? 0) ^ 0x01;
  parts[3] = ciphertext.toString('base64url');
  return parts.join('.');
}

describe('secret box', () => {
  it('a sealed value opens to the original text', () => {
    const box = createSecretBox({ keys: { k1: K1 }, currentKeyId: 'k1' });
    expect(box.open(box.seal(SECRET))).toBe(SECRET);
  });

  it('a sealed value is v1.<keyId>.<iv>.<ciphertext>.<tag> and does not contain the plaintext', () => {
    const sealed = createSecretBox({ keys: { k1: K1 }, currentKeyId: 'k1' }).seal(SECRET);
    const [version, keyId, iv = '', , tag = ''] = sealed.split('.');
    expect([version, keyId]).toEqual(['v1', 'k1']);
    expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag, 'base64url')).toHaveLength(16);
    expect(sealed).not.toContain(SECRET);
  });

  it('sealing the same text many times uses a different nonce every time', () => {
    const box = createSecretBox({ keys: { k1: K1 }, currentKeyId: 'k1' });
    const nonces = new Set(Array.from({ length: 500 }, () => box.seal(SECRET).split('.')[2]));
    expect(nonces.size).toBe(500);
  });

  it('an altered ciphertext fails to open with SecretBoxError', () => {
    const box = createSecretBox({ keys: { k1: K1 }, currentKeyId: 'k1' });
    expect(() => box.open(tamper(box.seal(SECRET)))).toThrow(SecretBoxError);
  });

  it('a value sealed for one account does not open for another', () => {
    const box = createSecretBox({ keys: { k1: K1 }, currentKeyId: 'k1' });
    const sealed = box.seal(SECRET, ACCOUNT);
    expect(box.open(sealed, ACCOUNT)).toBe(SECRET);
    expect(() => box.open(sealed, 'account-8')).toThrow(/authentication failed/);
  });

  it('a value sealed with associated data does not open without it', () => {
    const box = createSecretBox({ keys: { k1: K1 }, currentKeyId: 'k1' });
    expect(() => box.open(box.seal(SECRET, ACCOUNT))).toThrow(SecretBoxError);
  });

  it('after rotation a value sealed with the old key still opens and needs rotation', () => {
    const before = createSecretBox({ keys: { k1: K1 }, currentKeyId: 'k1' });
    const after = createSecretBox({ keys: { k1: K1, k2: K2 }, currentKeyId: 'k2' });
    const old = before.seal(SECRET, ACCOUNT);
    expect(after.open(old, ACCOUNT)).toBe(SECRET);
    expect(after.needsRotation(old)).toBe(true);
    expect(after.needsRotation(after.seal(SECRET))).toBe(false);
  });

  it('resealing moves a value to the current key', () => {
    const after = createSecretBox({ keys: { k1: K1, k2: K2 }, currentKeyId: 'k2' });
    const old = createSecretBox({ keys: { k1: K1 }, currentKeyId: 'k1' }).seal(SECRET, ACCOUNT);
    const resealed = after.reseal(old, ACCOUNT);
    expect(resealed.split('.')[1]).toBe('k2');
    expect(createSecretBox({ keys: { k2: K2 }, currentKeyId: 'k2' }).open(resealed, ACCOUNT)).toBe(SECRET);
  });

  it('a value sealed with a key that is no longer configured names the key id', () => {
    const old = createSecretBox({ keys: { k1: K1 }, currentKeyId: 'k1' }).seal(SECRET);
    const box = createSecretBox({ keys: { k2: K2 }, currentKeyId: 'k2' });
    expect(() => box.open(old)).toThrow(/key id "k1", which is not configured/);
  });

  it('editing the key id in the header is detected even when both ids hold the same key', () => {
    const box = createSecretBox({ keys: { k1: K1, alias: K1 }, currentKeyId: 'k1' });
    const relabelled = box.seal(SECRET).replace('v1.k1.', 'v1.alias.');
    expect(() => box.open(relabelled)).toThrow(SecretBoxError);
  });

  it('a current key id missing from the keyring is refused at creation', () => {
    expect(() => createSecretBox({ keys: { k1: K1 }, currentKeyId: 'k2' })).toThrow(KeyringError);
  });
});

describe('parseKeyring', () => {
  it('reads id:base64 pairs separated by commas', () => {
    const keys = parseKeyring(`k1:${K1.toString('base64')}, k2:${K2.toString('base64url')}`);
    expect(Object.keys(keys)).toEqual(['k1', 'k2']);
    expect(keys.k1?.equals(K1)).toBe(true);
    expect(keys.k2?.equals(K2)).toBe(true);
  });

  it('a key that is not 32 bytes is refused with its id and length, never its bytes', () => {
    const short = randomBytes(16).toString('base64');
    const error = (() => {
      try {
        parseKeyring(`k1:${short}`, 'CREDENTIALS_KEYS');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(KeyringError);
    expect(error?.message).toBe('CREDENTIALS_KEYS key "k1" decodes to 16 bytes; AES-256 needs exactly 32');
    expect(error?.message).not.toContain(short);
  });

  it('an entry without an id is refused', () => {
    expect(() => parseKeyring(K1.toString('base64'))).toThrow(/not "<id>:<base64 key>"/);
  });

  it('the same id twice is refused', () => {
    expect(() => parseKeyring(`k1:${K1.toString('base64')},k1:${K2.toString('base64')}`)).toThrow(/twice/);
  });
});
