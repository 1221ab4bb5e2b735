import { describe, expect, it } from 'vitest';
import {
  InvalidPasswordHashError,
  SCRYPT_PARAMS,
  hashPassword,
  needsRehash,
  verifyAgainstDummy,
  verifyPassword,
} from '../../lib/security/password.js';

const PASSWORD = 'correct horse battery staple';

/** Replaces the last field (the hash) with the same bytes, first byte flipped. */
function flipHashByte(encoded: string): string {
  const fields = encoded.split('$');
  const hash = Buffer.from(fields.at(-1) ?? '', 'base64');
  hash[0] = (hash[0] ?? 0) ^ 0x01;
  return [...fields.slice(0, -1), hash.toString('base64')].join('$');
}

describe('password hashing', () => {
  it('a hash verifies against the password it was made from', async () => {
    const encoded = await hashPassword(PASSWORD);
    expect(await verifyPassword(PASSWORD, encoded)).toBe(true);
  });

  it('a hash records the OWASP scrypt parameters, a 16-byte salt and a 64-byte key', async () => {
    const [scheme, n, r, p, salt = '', hash = ''] = (await hashPassword(PASSWORD)).split('$');
    expect([scheme, Number(n), Number(r), Number(p)]).toEqual(['scrypt', SCRYPT_PARAMS.N, SCRYPT_PARAMS.r, SCRYPT_PARAMS.p]);
    expect(Buffer.from(salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(hash, 'base64')).toHaveLength(64);
  });

  it('a wrong password does not verify', async () => {
    const encoded = await hashPassword(PASSWORD);
    expect(await verifyPassword('correct horse battery stapler', encoded)).toBe(false);
  });

  it('a hash with one altered bit does not verify the right password', async () => {
    const encoded = await hashPassword(PASSWORD);
    expect(await verifyPassword(PASSWORD, flipHashByte(encoded))).toBe(false);
  });

  it('the same password hashed twice gets different salts and hashes', async () => {
    const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
    expect(a).not.toBe(b);
  });

  it('a stored value that is not an scrypt hash is an error, not a wrong password', async () => {
    await expect(verifyPassword(PASSWORD, 'bcrypt$2b$10$abc')).rejects.toBeInstanceOf(InvalidPasswordHashError);
  });

  it('a stored hash asking for an enormous N is refused before any work', async () => {
    const huge = (await hashPassword(PASSWORD)).replace(`$${SCRYPT_PARAMS.N}$`, `$${2 ** 24}$`);
    await expect(verifyPassword(PASSWORD, huge)).rejects.toThrow(/out of range/);
  });

  it('a hash made with cheaper parameters needs a rehash', async () => {
    const current = await hashPassword(PASSWORD);
    expect(needsRehash(current)).toBe(false);
    expect(needsRehash(current.replace(`$${SCRYPT_PARAMS.N}$`, `$${2 ** 14}$`))).toBe(true);
  });

  it('the dummy check for an unknown email answers false even for a plausible password', async () => {
    expect(await verifyAgainstDummy(PASSWORD)).toBe(false);
  });

  it('the dummy check costs about as much as a real verification', async () => {
    const encoded = await hashPassword(PASSWORD);
    await verifyAgainstDummy('warm-up'); // the first call also makes the dummy hash
    const time = async (work: () => Promise<unknown>) => {
      const start = performance.now();
      await work();
      return performance.now() - start;
    };
    const real = await time(() => verifyPassword('wrong password', encoded));
    const dummy = await time(() => verifyAgainstDummy('wrong password'));
    expect(dummy).toBeGreaterThan(real / 4);
    expect(dummy).toBeLessThan(real * 4);
  });
});
