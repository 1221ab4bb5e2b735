/**
 * The codec server the Temporal Web UI and CLI call to read encrypted payloads: POST
 * /codec/decode and /codec/encode (`{payloads: [...]}` in proto3 JSON, both ways). It can decrypt
 * anything, so it answers only operators (OPERATOR_EMAILS), for the engine's namespace
 * (X-Namespace), and browsers only from CODEC_CORS_ORIGINS.
 *
 * Three ways in:
 * - `Authorization: Bearer <access token>` (the CLI's `--codec-auth`);
 * - the `dt_codec` cookie that the sign-in page at /codec/login sets (its own audience, good for
 *   /codec only, revoked on sign-out), which the UI sends with "Include cross-origin credentials";
 * - with CODEC_TRUST_LOCAL_UI (`npm start` on loopback), for decoding only: the embedded UI itself,
 *   recognised by its loopback Origin, a Host naming this machine, a loopback socket and no proxy
 *   headers, so a page elsewhere, a DNS-rebound name or a forwarded request cannot use it.
 */
import { randomBytes } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { PayloadCodec } from '@temporalio/common';
import type { Config } from '../../lib/config.js';
import { CodecRequestError, handleCodecRequest, PayloadDecryptionError, UnknownKeyIdError } from '../../lib/security/payload-codec.js';
import { ApiError } from '../errors.js';
import { bearerToken, verifyOr401 } from '../middleware/auth/index.js';
import { jsonBody } from '../middleware/json-body/index.js';
import { noStore } from '../middleware/security-headers/index.js';
import { codecAuth, empty, errors, json, noAuth, noQuery, noStoreHeader, requestIdHeader } from '../openapi/responses.js';
import type { AppEnv } from '../principal.js';
import { createRouter } from '../router.js';
import { loginSchema } from '../schemas/auth.js';
import { codecRequestSchema, codecResponseSchema, codecSessionSchema, namespaceHeaders } from '../schemas/system.js';
import { validationHook, type ValidationResult } from '../validation.js';
import { isRevoked, revokeToken } from '../../store/revoked-tokens.js';
import type { TokenService } from '../../lib/security/jwt.js';
import { checkLogin, type AuthRoutesOptions } from './auth.js';
import { codecLoginPage } from './codec-page.js';

export const CODEC_COOKIE = 'dt_codec';

/** Headers a reverse proxy or forwarder adds: their presence means the caller may not be on this machine. */
/** This machine as a browser names it in Host and Origin. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'via'];

export interface CodecRoutesOptions extends AuthRoutesOptions {
  config: AuthRoutesOptions['config'] & Pick<Config, 'TEMPORAL_NAMESPACE' | 'OPERATOR_EMAILS' | 'codecOrigins' | 'JWT_TTL' | 'CODEC_TRUST_LOCAL_UI' | 'PORT'>;
  /** Signs and verifies the sign-in cookie (audience durable-trader-codec). */
  cookieTokens: TokenService;
  /** The payload codec (PAYLOAD_KEYS); without it /encode and /decode answer 503. */
  codec: PayloadCodec | undefined;
}

const tags = ['codec server'];
const NOW = '2025-05-01T14:30:00.000Z';
const session = { email: 'ops@example.com', operator: true, expiresAt: NOW };
const FORBIDDEN = 'Not an operator, another namespace, or an origin not in CODEC_CORS_ORIGINS';

function convertRoute(kind: 'encode' | 'decode', access: MiddlewareHandler<AppEnv>) {
  const examples = {
    decode: {
      request: { payloads: [{ metadata: { encoding: 'YmluYXJ5L2VuY3J5cHRlZA==', 'encryption-key-id': 'bG9jYWwx' }, data: 'q83vEjRW' }] },
      response: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJvcmRlcklkIjoiMSJ9' }] },
    },
    encode: {
      request: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJyZWFzb24iOiJ0ZXN0In0=' }] },
      response: { payloads: [{ metadata: { encoding: 'YmluYXJ5L2VuY3J5cHRlZA==', 'encryption-key-id': 'bG9jYWwx' }, data: 'xL1q9Jv0' }] },
    },
  }[kind];
  return createRoute({
    method: 'post',
    path: `/${kind}`,
    tags,
    operationId: `${kind}Payloads`,
    summary: kind === 'decode' ? 'Decrypt payloads for the Temporal Web UI and CLI (operators only)' : "Encrypt payloads (for the UI's and CLI's signal, start and query inputs)",
    description:
      "Needs `X-Namespace` equal to the engine's namespace. Browsers: only from CODEC_CORS_ORIGINS, with the `dt_codec` cookie (\"Include cross-origin credentials\"). CLI: `--codec-endpoint http://localhost:3000/codec --codec-auth \"Bearer <token>\"`.",
    security: codecAuth,
    // Who may call is settled before the body is read.
    middleware: [access, jsonBody()],
    request: { query: noQuery, headers: namespaceHeaders, body: { required: true, content: { 'application/json': { schema: codecRequestSchema, example: examples.request } } } },
    responses: {
      200: json(kind === 'decode' ? 'The payloads, decrypted' : 'The payloads, encrypted', codecResponseSchema, examples.response),
      ...errors(
        { auth: true, body: true },
        {
          400: 'The body is not {payloads: [...]} of base64 values',
          403: FORBIDDEN,
          ...(kind === 'decode' ? { 422: 'A payload was encrypted with an unknown key or altered' } : {}),
          503: 'This instance has no PAYLOAD_KEYS',
        },
      ),
    },
  });
}

const loginPage = createRoute({
  method: 'get',
  path: '/login',
  tags,
  operationId: 'codecLoginPage',
  summary: 'Sign-in page that sets the codec cookie in this browser',
  security: noAuth,
  request: { query: noQuery },
  responses: {
    200: { description: 'HTML, self-contained (no external assets)', headers: requestIdHeader, content: { 'text/html': { schema: z.string() } } },
    ...errors({}),
  },
});

const getSession = createRoute({
  method: 'get',
  path: '/session',
  tags,
  operationId: 'getCodecSession',
  summary: 'Who the codec cookie signs in',
  security: [{ codecCookie: [] }],
  request: { query: noQuery },
  responses: { 200: json('The session', codecSessionSchema, session, noStoreHeader), ...errors({ auth: true }) },
});

const postSession = createRoute({
  method: 'post',
  path: '/session',
  tags,
  operationId: 'createCodecSession',
  summary: 'Sign in: sets the HttpOnly dt_codec cookie (Path=/codec, SameSite=Strict)',
  security: noAuth,
  middleware: [jsonBody()],
  request: { query: noQuery, body: { required: true, content: { 'application/json': { schema: loginSchema, example: { email: 'ops@example.com', password: 'correct horse battery staple' } } } } },
  responses: {
    200: json('Signed in', codecSessionSchema, session, {
      ...noStoreHeader,
      'Set-Cookie': { description: 'dt_codec=<token>; Path=/codec; HttpOnly; SameSite=Strict', schema: { type: 'string' } },
    }),
    ...errors({ body: true }, { 401: 'Email or password is wrong', 429: 'Too many attempts (Retry-After)' }),
  },
});

const deleteSession = createRoute({
  method: 'delete',
  path: '/session',
  tags,
  operationId: 'deleteCodecSession',
  summary: 'Sign out: revokes the session and clears the cookie',
  security: noAuth,
  request: { query: noQuery },
  responses: { 204: empty('Cleared', noStoreHeader), ...errors({}) },
});

/** A body the codec cannot read is a 400 (as codec servers answer), not a field-by-field 422. */
function malformedCodecRequest<T>(result: ValidationResult<T>, c: Context<AppEnv, any>): undefined {
  if (!result.success && result.target === 'json' && !c.get('emptyBody')) {
    const issue = result.error.issues[0];
    throw new ApiError(400, 'invalid_codec_request', `invalid codec request at ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'malformed'}`);
  }
  return validationHook(result, c);
}

/**
 * @example app.route('/codec', codecRoutes({ config, sql, tokens, limiter, codec }))
 */
export function codecRoutes(o: CodecRoutesOptions) {
  const { config } = o;
  const isOperator = (email: string) => config.OPERATOR_EMAILS.includes(email.toLowerCase());

  const localHosts = new Set(LOOPBACK_NAMES.map((h) => `${h}:${config.PORT}`));
  const localUiOrigins = config.codecOrigins.filter((o) => LOOPBACK_NAMES.includes(new URL(o).hostname));

  /**
   * The embedded UI's browser on this machine: its origin (a loopback one), a Host naming this
   * machine, a socket from loopback, and nothing a proxy or port forward adds. Decoding only.
   */
  function isLocalUi(c: Context<AppEnv>, kind: 'encode' | 'decode', origin: string | undefined, bearer: string | undefined): boolean {
    if (!config.CODEC_TRUST_LOCAL_UI || kind !== 'decode' || bearer !== undefined) return false;
    if (origin === undefined || !localUiOrigins.includes(origin) || !localHosts.has(c.req.header('host') ?? '')) return false;
    if (PROXY_HEADERS.some((h) => c.req.header(h) !== undefined)) return false;
    const remote = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
    return remote !== undefined && /^(127\.|::1$|::ffff:127\.)/.test(remote);
  }

  /** The sign-in cookie's session: valid, of the codec audience, and not signed out. */
  async function cookieSession(c: Context<AppEnv>) {
    const session = await verifyOr401(o.cookieTokens, getCookie(c, CODEC_COOKIE));
    if (await isRevoked(o.sql, session.jti)) throw new ApiError(401, 'unauthorized', 'This codec session was signed out; sign in again at /codec/login');
    return session;
  }

  /** Who is calling: the bearer token, the sign-in cookie, or the trusted local UI; only operators, for our namespace, from the UI's origin. */
  const access = (kind: 'encode' | 'decode'): MiddlewareHandler<AppEnv> => async (c, next) => {
    const origin = c.req.header('origin');
    // A cookie rides along with any same-site page: only the Web UI's origin may use it.
    if (origin !== undefined && !config.codecOrigins.includes(origin)) {
      throw new ApiError(403, 'origin_forbidden', `Origin ${origin} may not call the codec server; allowed: ${config.codecOrigins.join(', ')} (CODEC_CORS_ORIGINS)`);
    }
    const bearer = bearerToken(c.req.header('authorization'));
    if (!isLocalUi(c, kind, origin, bearer)) {
      const { email } = bearer !== undefined ? await verifyOr401(o.tokens, bearer) : await cookieSession(c);
      if (!isOperator(email)) throw new ApiError(403, 'forbidden', 'Only operators (OPERATOR_EMAILS) may use the codec server');
    }
    const namespace = c.req.header('x-namespace');
    if (namespace !== config.TEMPORAL_NAMESPACE) {
      throw new ApiError(403, 'namespace_forbidden', `This codec server serves namespace ${JSON.stringify(config.TEMPORAL_NAMESPACE)}; X-Namespace was ${JSON.stringify(namespace ?? null)}`);
    }
    await next();
  };

  async function convert(kind: 'encode' | 'decode', body: z.infer<typeof codecRequestSchema>) {
    if (!o.codec) throw new ApiError(503, 'codec_unavailable', 'This API instance has no PAYLOAD_KEYS');
    try {
      return await handleCodecRequest(o.codec, kind, body);
    } catch (err) {
      if (err instanceof CodecRequestError) throw new ApiError(400, 'invalid_codec_request', err.message);
      if (err instanceof UnknownKeyIdError || err instanceof PayloadDecryptionError) throw new ApiError(422, 'undecodable_payload', err.message);
      throw err;
    }
  }

  const sessionOf = (email: string, expiresAt: Date) => ({ email, operator: isOperator(email), expiresAt: expiresAt.toISOString() });

  // The UI's fetch sends Content-Type: application/json and X-Namespace, so browsers preflight.
  const codecCors = cors({
    origin: (origin) => (config.codecOrigins.includes(origin) ? origin : null),
    credentials: true,
    allowMethods: ['POST', 'OPTIONS'],
    allowHeaders: ['Content-Type', 'X-Namespace', 'Authorization'],
    maxAge: 600,
  });

  const app = createRouter();
  app.use('/decode', codecCors);
  app.use('/encode', codecCors);
  app.use('/session', noStore());
  return app
    .openapi(convertRoute('decode', access('decode')), async (c) => c.json(await convert('decode', c.req.valid('json')), 200), malformedCodecRequest)
    .openapi(convertRoute('encode', access('encode')), async (c) => c.json(await convert('encode', c.req.valid('json')), 200), malformedCodecRequest)

    .openapi(loginPage, (c) => {
      const nonce = randomBytes(16).toString('base64');
      c.header('Content-Security-Policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'`);
      return c.html(codecLoginPage({ nonce, namespace: config.TEMPORAL_NAMESPACE, origins: config.codecOrigins }));
    })

    .openapi(getSession, async (c) => {
      const p = await cookieSession(c);
      return c.json(sessionOf(p.email, p.expiresAt), 200);
    })

    .openapi(postSession, async (c) => {
      const body = c.req.valid('json');
      const account = await checkLogin(o, c, body.email.toLowerCase(), body.password);
      const token = await o.cookieTokens.sign({ sub: account.id, email: account.email });
      const { expiresAt } = await o.cookieTokens.verify(token);
      // Path=/codec and its own audience: the cookie never authenticates the /v1 API, so the API needs no CSRF defence.
      setCookie(c, CODEC_COOKIE, token, {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/codec',
        maxAge: Math.round(config.JWT_TTL / 1000),
        secure: new URL(c.req.url).protocol === 'https:',
      });
      return c.json(sessionOf(account.email, expiresAt), 200);
    })

    .openapi(deleteSession, async (c) => {
      // Revoked, not only forgotten: a copy of the cookie stops working too.
      const session = await o.cookieTokens.verify(getCookie(c, CODEC_COOKIE) ?? '').catch(() => undefined);
      if (session) await revokeToken(o.sql, session.jti, session.expiresAt);
      deleteCookie(c, CODEC_COOKIE, { path: '/codec' });
      return c.body(null, 204);
    });
}
