/**
 * The codec server the Temporal Web UI and CLI call to read encrypted payloads: POST
 * /codec/decode and /codec/encode (`{payloads: [...]}` in proto3 JSON, both ways). It can decrypt
 * anything, so it answers only operators (OPERATOR_EMAILS), for the engine's namespace
 * (X-Namespace), and browsers only from CODEC_CORS_ORIGINS.
 *
 * Two ways in: `Authorization: Bearer <token>` (the CLI's `--codec-auth`), or the `dt_codec`
 * cookie that the sign-in page at /codec/login sets, which the UI sends with "Include
 * cross-origin credentials". The UI's "Pass access token" sends the UI's own OIDC token (and only
 * to https endpoints), which this API does not issue.
 */
import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { PayloadCodec } from '@temporalio/common';
import type { Config } from '../../lib/config.js';
import { CodecRequestError, handleCodecRequest, PayloadDecryptionError, UnknownKeyIdError } from '../../lib/security/payload-codec.js';
import { ApiError } from '../errors.js';
import { bearerToken, verifyOr401 } from '../middleware/auth/index.js';
import { loginSchema } from '../schemas/auth.js';
import { readJson } from '../validation.js';
import { checkLogin, type AuthRoutesOptions } from './auth.js';
import { codecLoginPage } from './codec-page.js';

export const CODEC_COOKIE = 'dt_codec';

export interface CodecRoutesOptions extends AuthRoutesOptions {
  config: AuthRoutesOptions['config'] & Pick<Config, 'TEMPORAL_NAMESPACE' | 'OPERATOR_EMAILS' | 'codecOrigins' | 'JWT_TTL'>;
  /** The payload codec (PAYLOAD_KEYS); without it /encode and /decode answer 503. */
  codec: PayloadCodec | undefined;
}

/**
 * @example app.route('/codec', codecRoutes({ config, sql, tokens, limiter, codec }))
 */
export function codecRoutes(o: CodecRoutesOptions) {
  const { config } = o;
  const isOperator = (email: string) => config.OPERATOR_EMAILS.includes(email.toLowerCase());

  /** Who is calling, from the bearer token or the sign-in cookie. */
  async function principal(c: Context) {
    return verifyOr401(o.tokens, bearerToken(c.req.header('authorization')) ?? getCookie(c, CODEC_COOKIE));
  }

  async function convert(c: Context, kind: 'encode' | 'decode') {
    const origin = c.req.header('origin');
    // A cookie rides along with any same-site page: only the Web UI's origin may use it.
    if (origin !== undefined && !config.codecOrigins.includes(origin)) {
      throw new ApiError(403, 'origin_forbidden', `Origin ${origin} may not call the codec server; allowed: ${config.codecOrigins.join(', ')} (CODEC_CORS_ORIGINS)`);
    }
    const { email } = await principal(c);
    if (!isOperator(email)) throw new ApiError(403, 'forbidden', 'Only operators (OPERATOR_EMAILS) may use the codec server');
    const namespace = c.req.header('x-namespace');
    if (namespace !== config.TEMPORAL_NAMESPACE) {
      throw new ApiError(403, 'namespace_forbidden', `This codec server serves namespace ${JSON.stringify(config.TEMPORAL_NAMESPACE)}; X-Namespace was ${JSON.stringify(namespace ?? null)}`);
    }
    if (!o.codec) throw new ApiError(503, 'codec_unavailable', 'This API instance has no PAYLOAD_KEYS');
    const body = await readJson(c);
    try {
      return c.json(await handleCodecRequest(o.codec, kind, body));
    } catch (err) {
      if (err instanceof CodecRequestError) throw new ApiError(400, 'invalid_codec_request', err.message);
      if (err instanceof UnknownKeyIdError || err instanceof PayloadDecryptionError) throw new ApiError(422, 'undecodable_payload', err.message);
      throw err;
    }
  }

  const session = (email: string, expiresAt: Date) => ({ email, operator: isOperator(email), expiresAt: expiresAt.toISOString() });

  // The UI's fetch sends Content-Type: application/json and X-Namespace, so browsers preflight.
  const codecCors = cors({
    origin: (origin) => (config.codecOrigins.includes(origin) ? origin : null),
    credentials: true,
    allowMethods: ['POST', 'OPTIONS'],
    allowHeaders: ['Content-Type', 'X-Namespace', 'Authorization'],
    maxAge: 600,
  });

  return (
    new Hono()
      .use('/decode', codecCors)
      .use('/encode', codecCors)
      .post('/decode', (c) => convert(c, 'decode'))
      .post('/encode', (c) => convert(c, 'encode'))

      .get('/login', (c) => {
        const nonce = randomBytes(16).toString('base64');
        c.header('Content-Security-Policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'`);
        return c.html(codecLoginPage({ nonce, namespace: config.TEMPORAL_NAMESPACE, origins: config.codecOrigins }));
      })

      .get('/session', async (c) => {
        const p = await verifyOr401(o.tokens, getCookie(c, CODEC_COOKIE));
        return c.json(session(p.email, p.expiresAt));
      })

      .post('/session', async (c) => {
        const body = loginSchema.parse(await readJson(c));
        const account = await checkLogin(o, c, body.email.toLowerCase(), body.password);
        const token = await o.tokens.sign({ sub: account.id, email: account.email });
        const { expiresAt } = await o.tokens.verify(token);
        // Path=/codec: the cookie never authenticates the /v1 API, so the API needs no CSRF defence.
        setCookie(c, CODEC_COOKIE, token, {
          httpOnly: true,
          sameSite: 'Strict',
          path: '/codec',
          maxAge: Math.round(config.JWT_TTL / 1000),
          secure: new URL(c.req.url).protocol === 'https:',
        });
        return c.json(session(account.email, expiresAt));
      })

      .delete('/session', (c) => {
        deleteCookie(c, CODEC_COOKIE, { path: '/codec' });
        return c.body(null, 204);
      })
  );
}
