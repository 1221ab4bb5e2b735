/**
 * /v1/auth (sign-up and login, no token needed) and /v1/me. Login answers the same, in about the
 * same time, for an unknown email and a wrong password: an unknown email is checked against a
 * dummy hash with the same scrypt work. Both are rate limited per client IP, login also per email.
 */
import { randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { createAccount, findAccount, findAccountByEmail, updatePasswordHash, type AccountRow } from '../../store/accounts.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import type { TokenService } from '../../lib/security/jwt.js';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../../lib/security/password.js';
import { ApiError } from '../errors.js';
import { clientIp, enforceRateLimit, type RateLimiter } from '../middleware/rate-limit/index.js';
import { bearerAuth, errors, json, noAuth, noQuery, noStoreHeader } from '../openapi/responses.js';
import { accountIdOf } from '../principal.js';
import { createRouter } from '../router.js';
import { loginSchema, meSchema, registerSchema, signedInSchema } from '../schemas/auth.js';

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

const ACCOUNT_ID = '7e57a1c3-2b4d-4e6f-8a9b-0c1d2e3f4a5b';
const credentials = { email: 'ada@example.com', password: 'correct horse battery staple' };
const signedIn: SignedIn = { token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOi…', tokenType: 'Bearer', expiresAt: '2025-05-01T14:45:00.000Z', user: { id: ACCOUNT_ID, email: 'ada@example.com' } };

const register = createRoute({
  method: 'post',
  path: '/register',
  tags: ['auth'],
  operationId: 'register',
  summary: 'Create an account and get an access token',
  description: 'Emails are case-insensitive. Passwords: 12-256 characters. Counts against AUTH_IP_RATE_LIMIT.',
  security: noAuth,
  request: { query: noQuery, body: { required: true, content: { 'application/json': { schema: registerSchema, example: credentials } } } },
  responses: {
    201: json('Created; the token is ready to use', signedInSchema, signedIn, noStoreHeader),
    ...errors({ body: true }, { 409: 'An account with this email exists', 429: 'Too many sign-ups or logins from this IP (Retry-After)' }),
  },
});

const login = createRoute({
  method: 'post',
  path: '/login',
  tags: ['auth'],
  operationId: 'login',
  summary: 'Exchange email and password for an access token',
  description: 'An unknown email and a wrong password answer the same 401, in about the same time. Rate limited per email (LOGIN_RATE_LIMIT) and per IP (AUTH_IP_RATE_LIMIT).',
  security: noAuth,
  request: { query: noQuery, body: { required: true, content: { 'application/json': { schema: loginSchema, example: credentials } } } },
  responses: {
    200: json('Signed in', signedInSchema, signedIn, noStoreHeader),
    ...errors({ body: true }, { 401: 'Email or password is wrong', 429: 'Too many attempts for this email or from this IP (Retry-After)' }),
  },
});

const me = createRoute({
  method: 'get',
  path: '/',
  tags: ['auth'],
  operationId: 'getMe',
  summary: 'The account of the token',
  security: bearerAuth,
  request: { query: noQuery },
  responses: {
    200: json('The account', meSchema, { id: ACCOUNT_ID, email: 'ada@example.com', createdAt: '2025-05-01T14:30:00.000Z' }, noStoreHeader),
    ...errors({ auth: true }),
  },
});

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
  return createRouter()
    .openapi(register, async (c) => {
      const body = c.req.valid('json');
      await enforceRateLimit(o.limiter, `auth-ip:${clientIp(c, o.config.TRUST_PROXY_HOPS)}`, o.config.AUTH_IP_RATE_LIMIT, 'sign-up and login attempts from this address');
      const email = body.email.toLowerCase();
      const account = await createAccount(o.sql, { id: randomUUID(), email, passwordHash: await hashPassword(body.password) });
      if (!account) throw new ApiError(409, 'email_taken', 'An account with this email already exists; log in instead');
      return c.json(await signIn(o.tokens, { id: account.id, email }), 201);
    })
    .openapi(login, async (c) => {
      const body = c.req.valid('json');
      const account = await checkLogin(o, c, body.email.toLowerCase(), body.password);
      return c.json(await signIn(o.tokens, account), 200);
    });
}

/**
 * @example app.route('/v1/me', meRoutes({ sql }))
 */
export function meRoutes({ sql }: { sql: Sql }) {
  return createRouter().openapi(me, async (c) => {
    const account = await findAccount(sql, accountIdOf(c));
    if (!account?.email) throw new ApiError(401, 'invalid_token', 'The account of this token no longer exists', undefined, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    return c.json({ id: account.id, email: account.email, createdAt: account.created_at.toISOString() }, 200);
  });
}
