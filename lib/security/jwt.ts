/**
 * Access tokens for the API: short-lived JWTs signed with HS256 (a shared secret of at least
 * 32 bytes) or with a key pair (RS256 for RSA ≥ 2048 bits, EdDSA for Ed25519). Verification pins
 * the one configured algorithm, so `alg: none` and HS/RS confusion are refused by construction.
 */
import { createPrivateKey, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';

export const MIN_SECRET_BYTES = 32;
export type TokenAlgorithm = 'HS256' | 'RS256' | 'EdDSA';

/** A JWT secret or key too weak to use: refuse to start with it. */
export class WeakSecretError extends Error {
  override name = 'WeakSecretError';
}

/** Options that do not describe one usable key (none, both, unreadable PEM, mismatched pair). */
export class TokenConfigError extends Error {
  override name = 'TokenConfigError';
}

/** Any token we do not accept. `reason` says why and never contains the token. */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
  constructor(readonly reason: string) {
    super(`invalid token: ${reason}`);
  }
}

export interface TokenServiceOptions {
  /** HS256 secret, decoded by {@link decodeSecret}. Exclusive with the PEM keys. */
  secret?: string | undefined;
  /** PKCS#8 PEM (RSA or Ed25519); enough on its own, the public key is derived from it. */
  privateKeyPem?: string | undefined;
  /** SPKI PEM; on its own the service can verify but not sign. */
  publicKeyPem?: string | undefined;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /** Allowed clock skew for exp/nbf/iat, default 5 s. */
  clockToleranceSeconds?: number;
  /** Clock for iat/exp and for verification (tests). */
  now?: () => Date;
}

export interface TokenClaims {
  sub: string;
  email: string;
}

export interface VerifiedToken extends TokenClaims {
  jti: string;
  expiresAt: Date;
}

export interface TokenService {
  readonly algorithm: TokenAlgorithm;
  sign(claims: TokenClaims): Promise<string>;
  verify(token: string): Promise<VerifiedToken>;
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Turns `JWT_SECRET` into key bytes. An explicit `hex:`, `base64:`, `base64url:` or `raw:` prefix
 * wins; otherwise a string of hex pairs is hex, a canonical base64 or unpadded base64url string is
 * base64, and anything else is its UTF-8 bytes. Guessing can only make the secret shorter than its
 * text, so a misread secret fails the length check rather than passing it.
 *
 * @example
 * decodeSecret('hex:' + 'ab'.repeat(32)).byteLength; // 32
 * decodeSecret(execSync('openssl rand -base64 32').toString().trim()).byteLength; // 32
 */
export function decodeSecret(secret: string): Uint8Array {
  const match = /^(hex|base64|base64url|raw):(.*)$/s.exec(secret);
  const prefix = match?.[1];
  const text = match ? (match[2] ?? '') : secret;
  const isBase64 = BASE64.test(text) || BASE64URL.test(text);
  if (prefix === 'raw') return Buffer.from(text, 'utf8');
  if (prefix === 'hex' || (!prefix && HEX.test(text))) {
    if (!HEX.test(text)) throw new TokenConfigError('JWT secret has the hex: prefix but is not hex');
    return Buffer.from(text, 'hex');
  }
  if (prefix || isBase64) {
    if (!isBase64) throw new TokenConfigError(`JWT secret has the ${prefix}: prefix but is not base64`);
    return Buffer.from(text, 'base64');
  }
  return Buffer.from(text, 'utf8');
}

interface Keys {
  algorithm: TokenAlgorithm;
  signKey: Uint8Array | KeyObject | undefined;
  verifyKey: Uint8Array | KeyObject;
}

function loadKeys(options: TokenServiceOptions): Keys {
  const { secret, privateKeyPem, publicKeyPem } = options;
  if (secret !== undefined && (privateKeyPem || publicKeyPem)) {
    throw new TokenConfigError('give either a JWT secret or a key pair, not both');
  }
  if (secret !== undefined) {
    const bytes = decodeSecret(secret);
    if (bytes.byteLength < MIN_SECRET_BYTES) {
      throw new WeakSecretError(`JWT secret is ${bytes.byteLength} bytes after decoding; HS256 needs at least ${MIN_SECRET_BYTES} (try: openssl rand -base64 32)`);
    }
    return { algorithm: 'HS256', signKey: bytes, verifyKey: bytes };
  }
  if (!privateKeyPem && !publicKeyPem) throw new TokenConfigError('no JWT secret and no key pair given');
  let privateKey: KeyObject | undefined;
  let publicKey: KeyObject;
  try {
    privateKey = privateKeyPem ? createPrivateKey(privateKeyPem) : undefined;
    // Given a private key PEM, createPublicKey derives its public half.
    publicKey = createPublicKey(publicKeyPem || privateKeyPem || '');
  } catch {
    throw new TokenConfigError('JWT key is not a readable PEM key (expected PKCS#8 private / SPKI public)');
  }
  if (privateKey && publicKeyPem && !createPublicKey(privateKey).equals(publicKey)) {
    throw new TokenConfigError('JWT private and public keys are not a pair');
  }
  const type = publicKey.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new WeakSecretError(`RSA key is ${bits} bits; RS256 needs at least 2048`);
    return { algorithm: 'RS256', signKey: privateKey, verifyKey: publicKey };
  }
  if (type === 'ed25519') return { algorithm: 'EdDSA', signKey: privateKey, verifyKey: publicKey };
  throw new TokenConfigError(`JWT key type ${type ?? 'unknown'} is not supported (use RSA or Ed25519)`);
}

/** Maps jose's errors to a short reason; jose's messages never include the token either. */
function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `claim "${error.claim}" ${error.reason === 'missing' ? 'missing' : 'invalid'}`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  return 'malformed';
}

/**
 * Creates the API's token service. Tokens carry `sub`, `email`, `iat`, `exp`, `iss`, `aud`, `jti`
 * with header `typ: JWT`; verification requires all of them.
 *
 * @example
 * const tokens = createTokenService({ secret: env.JWT_SECRET, issuer: 'durable-trader', audience: 'durable-trader-api', ttlSeconds: 900 });
 * const token = await tokens.sign({ sub: user.id, email: user.email });
 * const { sub } = await tokens.verify(token); // throws InvalidTokenError
 */
export function createTokenService(options: TokenServiceOptions): TokenService {
  const { algorithm, signKey, verifyKey } = loadKeys(options);
  const { issuer, audience, ttlSeconds, clockToleranceSeconds = 5, now = () => new Date() } = options;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new TokenConfigError('ttlSeconds must be a positive integer');

  return {
    algorithm,
    async sign({ sub, email }) {
      if (!signKey) throw new TokenConfigError('this token service has only a public key and cannot sign');
      const iat = Math.floor(now().getTime() / 1000);
      return new SignJWT({ email })
        .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
        .setSubject(sub)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .setJti(randomUUID())
        .sign(signKey);
    },
    async verify(token) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, verifyKey, {
          algorithms: [algorithm],
          issuer,
          audience,
          typ: 'JWT',
          requiredClaims: ['exp', 'sub', 'iat', 'jti'],
          // Also bounds iat: no token lives longer than we would have issued it for.
          maxTokenAge: ttlSeconds,
          clockTolerance: clockToleranceSeconds,
          currentDate: now(),
        }));
      } catch (error) {
        // No `cause`: jose's claim errors carry the decoded claims, which do not belong in logs.
        throw new InvalidTokenError(reasonOf(error));
      }
      const { sub, email, jti, exp } = payload;
      if (typeof email !== 'string' || email === '') throw new InvalidTokenError('claim "email" missing');
      if (!sub || !jti || exp === undefined) throw new InvalidTokenError('claim "sub" missing');
      return { sub, email, jti, expiresAt: new Date(exp * 1000) };
    },
  };
}
