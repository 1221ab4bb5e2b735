/**
 * The engine's HTTP API as the bench uses it. When the API has accounts (`POST /v1/auth/register`
 * answers something other than 404), the bench registers a user of its own and sends its bearer
 * token with every /v1 request; otherwise requests act for the default account.
 */
import { randomBytes } from 'node:crypto';
import { createHttpClient, type HttpClient } from './http.js';

/** The account migration 001 creates, which every request acts for while the API has no sign-up. */
export const DEFAULT_ACCOUNT_ID = '00000000-0000-0000-0000-000000000001';

export interface EngineApi {
  http: HttpClient;
  /** `bearer` when the API wanted a registered user, `none` when it has no accounts yet. */
  auth: 'bearer' | 'none';
  /** The account the requests act for. */
  accountId: string;
  /** The bearer token (when `auth` is `bearer`), for other servers that check it the same way (the direct baseline). */
  token?: string;
}

/** The account id in a register answer (`user.id`), else the token's `sub` claim. */
function accountIn(body: unknown, token: string): string | undefined {
  const user = (body as { user?: { id?: unknown } } | undefined)?.user;
  if (typeof user?.id === 'string') return user.id;
  const claims = safeJson(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown } | undefined;
  return typeof claims?.sub === 'string' ? claims.sub : undefined;
}

/** The token in a register/login answer, whatever the exact field name. */
function tokenIn(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const o = body as Record<string, unknown>;
  for (const key of ['token', 'accessToken', 'access_token', 'jwt']) if (typeof o[key] === 'string') return o[key] as string;
  for (const nested of ['data', 'session', 'tokens', 'auth']) {
    const t = tokenIn(o[nested]);
    if (t) return t;
  }
  return undefined;
}

/**
 * @example const { http } = await connectEngineApi('http://127.0.0.1:3000'); await http.request('POST', '/v1/orders', body);
 */
export async function connectEngineApi(baseUrl: string, maxSockets = 512): Promise<EngineApi> {
  const http = createHttpClient({ baseUrl, maxSockets });
  const credentials = { email: `bench-${randomBytes(6).toString('hex')}@example.com`, password: randomBytes(18).toString('base64url') };
  const registered = await http.request('POST', '/v1/auth/register', credentials);
  if (registered.status === 404) return { http, auth: 'none', accountId: DEFAULT_ACCOUNT_ID };
  if (registered.status >= 300) throw new Error(`POST /v1/auth/register answered ${registered.status}: ${registered.body.slice(0, 300)}`);
  const answer = safeJson(registered.body);
  let token = tokenIn(answer);
  if (!token) {
    const login = await http.request('POST', '/v1/auth/login', credentials);
    if (login.status >= 300) throw new Error(`POST /v1/auth/login answered ${login.status}: ${login.body.slice(0, 300)}`);
    token = tokenIn(safeJson(login.body));
  }
  if (!token) throw new Error(`Registered a bench user but found no token in the answers of /v1/auth/register and /v1/auth/login: ${registered.body.slice(0, 300)}`);
  const accountId = accountIn(answer, token);
  if (!accountId) throw new Error('Registered a bench user but found its account id neither in the answer (user.id) nor in the token (sub)');
  return { http: http.withHeaders({ authorization: `Bearer ${token}` }), auth: 'bearer', accountId, token };
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
