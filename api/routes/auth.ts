/**
 * /v1/auth (sign-up and login, no token needed) and /v1/me. Login answers the same, in about the
 * same time, for an unknown email and a wrong password: an unknown email is checked against a
 * dummy hash with the same scrypt work. Both are rate limited per client IP, login also per email.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { createAccount, findAccount, findAccountByEmail, updatePasswordHash, type AccountRow } from '../../activities/db/accounts.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import type { TokenService } from '../../lib/security/jwt.js';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../../lib/security/password.js';
import { ApiError } from '../errors.js';
import { clientIp, enforceRateLimit, type RateLimiter } from '../middleware/rate-limit/index.js';
import { accountIdOf } from '../principal.js';
import { loginSchema, registerSchema } from '../schemas/auth.js';
import { readJson } from '../validation.js';

export interface AuthRoutesOptions {
  config: Pick<Config, 'LOGIN_RATE_LIMIT' | 'AUTH_IP_RATE_LIMIT' | 'TRUST_PROXY_HOPS'>;
  sql: Sql;
  tokens: TokenService;
  limiter: RateLimiter;
}

export interface SignedIn {
  token: string;
  tokenType: 'Bearer';
  expiresAt: string;
  user: { id: string; email: string };
}

/** Issues a token for an account that has an email. */
export async function signIn(tokens: TokenService, account: { id: string; email: string }): Promise<SignedIn> {
  const token = await tokens.sign({ sub: account.id, email: account.email });
  const { expiresAt } = await tokens.verify(token);
  return { token, tokenType: 'Bearer', expiresAt: expiresAt.toISOString(), user: { id: account.id, email: account.email } };
}

/**
 * Checks email and password with both rate limits; the account on success, else 401 (or 429).
 * Shared with the codec server's login form.
 */
export async function checkLogin(o: AuthRoutesOptions, c: Context, email: string, password: string): Promise<AccountRow & { email: string }> {
  await enforceRateLimit(o.limiter, `auth-ip:${clientIp(c, o.config.TRUST_PROXY_HOPS)}`, o.config.AUTH_IP_RATE_LIMIT, 'sign-up and login attempts from this address');
  await enforceRateLimit(o.limiter, `login-email:${email}`, o.config.LOGIN_RATE_LIMIT, 'login attempts for this email');
  const account = await findAccountByEmail(o.sql, email);
  const ok = account?.password_hash ? await verifyPassword(password, account.password_hash) : await verifyAgainstDummy(password);
  if (!ok || !account?.password_hash || !account.email) throw new ApiError(401, 'invalid_credentials', 'Email or password is wrong');
  if (needsRehash(account.password_hash)) await updatePasswordHash(o.sql, account.id, await hashPassword(password));
  return { ...account, email: account.email };
}

/**
 * @example app.route('/v1/auth', authRoutes({ config, sql, tokens, limiter }))
 */
export function authRoutes(o: AuthRoutesOptions) {
  // The first dummy check also makes the dummy hash: pay for it now, not in the first login's timing.
  verifyAgainstDummy('warm-up').catch(() => {});
  return new Hono()
    .post('/register', async (c) => {
      const body = registerSchema.parse(await readJson(c));
      await enforceRateLimit(o.limiter, `auth-ip:${clientIp(c, o.config.TRUST_PROXY_HOPS)}`, o.config.AUTH_IP_RATE_LIMIT, 'sign-up and login attempts from this address');
      const email = body.email.toLowerCase();
      const account = await createAccount(o.sql, { id: randomUUID(), email, passwordHash: await hashPassword(body.password) });
      if (!account) throw new ApiError(409, 'email_taken', 'An account with this email already exists; log in instead');
      return c.json(await signIn(o.tokens, { id: account.id, email }), 201);
    })

    .post('/login', async (c) => {
      const body = loginSchema.parse(await readJson(c));
      const account = await checkLogin(o, c, body.email.toLowerCase(), body.password);
      return c.json(await signIn(o.tokens, account));
    });
}

/**
 * @example app.route('/v1/me', meRoutes({ sql }))
 */
export function meRoutes({ sql }: { sql: Sql }) {
  return new Hono().get('/', async (c) => {
    const account = await findAccount(sql, accountIdOf(c));
    if (!account?.email) throw new ApiError(401, 'invalid_token', 'The account of this token no longer exists', undefined, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    return c.json({ id: account.id, email: account.email, createdAt: account.created_at.toISOString() });
  });
}
