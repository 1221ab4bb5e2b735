/**
 * Password hashing with scrypt (OWASP parameters). Hashes carry their parameters
 * (`scrypt$N$r$p$salt$hash`) so the cost can be raised later and old hashes still verify;
 * {@link needsRehash} tells login when to store a fresh hash.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** OWASP Password Storage Cheat Sheet: N=2^17, r=8, p=1. Each hash needs 128·N·r = 128 MiB. */
export const SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_BYTES = 64;
const SALT_BYTES = 16;

/**
 * Limits for parameters read back from a stored hash: a corrupted or hostile row must not make
 * us allocate gigabytes.
 */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const HASH_FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** A stored hash that is not in our format, or whose parameters are out of range. */
export class InvalidPasswordHashError extends Error {
  override name = 'InvalidPasswordHashError';
}

interface Params {
  N: number;
  r: number;
  p: number;
}

/**
 * Node refuses more than 32 MiB by default; OpenSSL needs 128·r·(N+2) + 128·r·p bytes, and we
 * leave 1 MiB on top.
 */
function maxmemFor({ N, r, p }: Params): number {
  return 128 * r * (N + 2) + 128 * r * p + 1024 * 1024;
}

/** Passwords are NFKC-normalised (NIST SP 800-63B) so the same text typed differently matches. */
function derive(password: string, salt: Buffer, keyLength: number, params: Params): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: maxmemFor(params) };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function parse(encoded: string): Params & { salt: Buffer; hash: Buffer } {
  const match = HASH_FORMAT.exec(encoded);
  if (!match) throw new InvalidPasswordHashError('stored password hash is not in the scrypt$N$r$p$salt$hash format');
  const [, n = '', r = '', p = '', salt = '', hash = ''] = match;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const powerOfTwo = params.N > 1 && (params.N & (params.N - 1)) === 0;
  if (!powerOfTwo || params.N > MAX_N || params.r < 1 || params.r > MAX_R || params.p < 1 || params.p > MAX_P) {
    throw new InvalidPasswordHashError('stored password hash has scrypt parameters out of range');
  }
  const parsed = { ...params, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
  if (parsed.salt.byteLength < 8 || parsed.hash.byteLength < 16) {
    throw new InvalidPasswordHashError('stored password hash has a salt or hash that is too short');
  }
  return parsed;
}

/**
 * Hashes a password with a fresh 16-byte salt. Runs on the libuv thread pool (~0.2–0.5 s,
 * 128 MiB), so the event loop stays free.
 *
 * @example
 * const passwordHash = await hashPassword('correct horse battery staple');
 * // 'scrypt$131072$8$1$<salt b64>$<hash b64>'
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, KEY_BYTES, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return ['scrypt', N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/**
 * True when `password` matches `encoded`, compared in constant time. A malformed hash is a data
 * error, not a wrong password, so it throws {@link InvalidPasswordHashError}.
 *
 * @example
 * if (!(await verifyPassword(body.password, user.passwordHash))) throw unauthorized();
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const { salt, hash, ...params } = parse(encoded);
  const candidate = await derive(password, salt, hash.byteLength, params);
  return timingSafeEqual(candidate, hash);
}

/** True when a hash was made with other parameters than {@link SCRYPT_PARAMS}. */
export function needsRehash(encoded: string): boolean {
  const { N, r, p, hash } = parse(encoded);
  return N !== SCRYPT_PARAMS.N || r !== SCRYPT_PARAMS.r || p !== SCRYPT_PARAMS.p || hash.byteLength !== KEY_BYTES;
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same scrypt work as {@link verifyPassword} and always answers false, so a login for
 * an unknown email takes as long as one with a wrong password and does not reveal which emails
 * have accounts. The dummy hash is made once per process, with the current parameters (so the
 * first call costs two hashes: call it once at start-up to warm it).
 *
 * @example
 * const user = await findUserByEmail(sql, email);
 * const ok = user ? await verifyPassword(password, user.passwordHash) : await verifyAgainstDummy(password);
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64')).catch((error: unknown) => {
    dummyHash = undefined;
    throw error;
  });
  await verifyPassword(password, await dummyHash);
  return false;
}
