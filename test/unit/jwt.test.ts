import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  InvalidTokenError,
  TokenConfigError,
  WeakSecretError,
  createTokenService,
  decodeSecret,
  type TokenServiceOptions,
} from '../../lib/security/jwt.js';

const SECRET = randomBytes(32).toString('base64');
const BASE = { issuer: 'durable-trader', audience: 'durable-trader-api', ttlSeconds: 900 } satisfies Partial<TokenServiceOptions>;
const USER = { sub: 'user-42', email: 'ada@example.com' };

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);
const validClaims = () => ({ ...USER, iss: BASE.issuer, aud: BASE.audience, iat: nowSeconds(), exp: nowSeconds() + 60, jti: 'j-1' });

/** Rejects with InvalidTokenError and returns its reason. */
async function rejectionReason(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  return (error as InvalidTokenError).reason;
}

function rsaPems(modulusLength = 2048) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

describe('token service', () => {
  it('an HS256 token verifies and gives back the subject, email, id and expiry', async () => {
    const tokens = createTokenService({ ...BASE, secret: SECRET });
    const verified = await tokens.verify(await tokens.sign(USER));
    expect(tokens.algorithm).toBe('HS256');
    expect(verified).toMatchObject(USER);
    expect(verified.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(verified.expiresAt.getTime() / 1000).toBeCloseTo(nowSeconds() + BASE.ttlSeconds, -1);
  });

  it('an RS256 key pair signs tokens that the public key alone verifies', async () => {
    const { privateKeyPem, publicKeyPem } = rsaPems();
    const signer = createTokenService({ ...BASE, privateKeyPem });
    const verifier = createTokenService({ ...BASE, publicKeyPem });
    expect(signer.algorithm).toBe('RS256');
    expect(await verifier.verify(await signer.sign(USER))).toMatchObject(USER);
  });

  it('an Ed25519 key selects EdDSA and round-trips', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const tokens = createTokenService({ ...BASE, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    expect(tokens.algorithm).toBe('EdDSA');
    expect(await tokens.verify(await tokens.sign(USER))).toMatchObject(USER);
  });

  it('a verify-only service refuses to sign', async () => {
    const tokens = createTokenService({ ...BASE, publicKeyPem: rsaPems().publicKeyPem });
    await expect(tokens.sign(USER)).rejects.toBeInstanceOf(TokenConfigError);
  });

  it('a private key and a public key that are not a pair are refused', () => {
    const options = { ...BASE, privateKeyPem: rsaPems().privateKeyPem, publicKeyPem: rsaPems().publicKeyPem };
    expect(() => createTokenService(options)).toThrow(/not a pair/);
  });

  it('an unsigned alg=none token is rejected', async () => {
    const tokens = createTokenService({ ...BASE, secret: SECRET });
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(validClaims())}.`;
    expect(await rejectionReason(tokens.verify(token))).toBe('algorithm not allowed');
  });

  it('an HS256 token keyed with the RSA public key is rejected by an RS256 service', async () => {
    const { publicKeyPem } = rsaPems();
    const tokens = createTokenService({ ...BASE, publicKeyPem });
    const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(validClaims())}`;
    const mac = createHmac('sha256', publicKeyPem).update(input).digest('base64url');
    expect(await rejectionReason(tokens.verify(`${input}.${mac}`))).toBe('algorithm not allowed');
  });

  it('an expired token is rejected', async () => {
    let clock = new Date('2030-01-01T00:00:00Z');
    const tokens = createTokenService({ ...BASE, secret: SECRET, now: () => clock });
    const token = await tokens.sign(USER);
    clock = new Date(clock.getTime() + (BASE.ttlSeconds + 10) * 1000);
    expect(await rejectionReason(tokens.verify(token))).toBe('expired');
  });

  it('a token with an altered signature is rejected', async () => {
    const tokens = createTokenService({ ...BASE, secret: SECRET });
    const [header, payload, signature = ''] = (await tokens.sign(USER)).split('.');
    const altered = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(await rejectionReason(tokens.verify(`${header}.${payload}.${altered}`))).toBe('bad signature');
  });

  it('a token signed with another secret is rejected', async () => {
    const ours = createTokenService({ ...BASE, secret: SECRET });
    const theirs = createTokenService({ ...BASE, secret: randomBytes(32).toString('base64') });
    expect(await rejectionReason(ours.verify(await theirs.sign(USER)))).toBe('bad signature');
  });

  it('a correctly signed token without exp is rejected', async () => {
    const tokens = createTokenService({ ...BASE, secret: SECRET });
    const token = await new SignJWT({ email: USER.email })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(USER.sub)
      .setIssuer(BASE.issuer)
      .setAudience(BASE.audience)
      .setIssuedAt()
      .setJti('j-1')
      .sign(decodeSecret(SECRET));
    expect(await rejectionReason(tokens.verify(token))).toBe('claim "exp" missing');
  });

  it('a token for another audience is rejected', async () => {
    const tokens = createTokenService({ ...BASE, secret: SECRET });
    const other = createTokenService({ ...BASE, audience: 'some-other-api', secret: SECRET });
    expect(await rejectionReason(tokens.verify(await other.sign(USER)))).toBe('claim "aud" invalid');
  });

  it('a token from another issuer is rejected', async () => {
    const tokens = createTokenService({ ...BASE, secret: SECRET });
    const other = createTokenService({ ...BASE, issuer: 'someone-else', secret: SECRET });
    expect(await rejectionReason(tokens.verify(await other.sign(USER)))).toBe('claim "iss" invalid');
  });

  it('the rejection message does not contain the token', async () => {
    const tokens = createTokenService({ ...BASE, secret: SECRET });
    const token = `${await tokens.sign(USER)}x`;
    const error = await tokens.verify(token).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTokenError);
    for (const part of token.split('.')) expect((error as Error).message).not.toContain(part);
  });

  it('a 31-byte secret is refused with WeakSecretError', () => {
    expect(() => createTokenService({ ...BASE, secret: randomBytes(31).toString('hex') })).toThrow(WeakSecretError);
  });

  it('a short passphrase is refused even though it has 32 characters as base64 would', () => {
    // 32 base64 characters decode to 24 bytes.
    expect(() => createTokenService({ ...BASE, secret: 'abcdefghijklmnopqrstuvwxyzABCDEF' })).toThrow(WeakSecretError);
  });

  it('an RSA key under 2048 bits is refused with WeakSecretError', () => {
    expect(() => createTokenService({ ...BASE, privateKeyPem: rsaPems(1024).privateKeyPem })).toThrow(WeakSecretError);
  });

  it('the secret is read as hex, base64, or else UTF-8, and a prefix forces the reading', () => {
    expect(decodeSecret('ab'.repeat(32))).toHaveLength(32);
    expect(decodeSecret(randomBytes(32).toString('base64'))).toHaveLength(32);
    expect(decodeSecret(randomBytes(32).toString('base64url'))).toHaveLength(32);
    expect(Buffer.from(decodeSecret('not base64, a sentence!'))).toEqual(Buffer.from('not base64, a sentence!'));
    expect(decodeSecret('raw:' + 'ab'.repeat(32))).toHaveLength(64);
  });
});
