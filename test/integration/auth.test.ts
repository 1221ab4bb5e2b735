/**
 * Sign-up, login and tokens against the real app, PostgreSQL and scrypt: what a caller gets, what
 * an attacker does not (which emails exist, a way around the signature check), and the brute-force
 * limits, over real HTTP where the client address matters.
 */
import { generateKeyPairSync, randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createLogger } from '../../lib/logger.js';
import { TOKEN_AUDIENCE, TOKEN_ISSUER, tokenServiceFor } from '../../lib/secrets.js';
import { decodeSecret } from '../../lib/security/jwt.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { testConfig } from '../helpers/env.js';
import { serveApp, type Served } from '../helpers/http.js';
import { enforceContract, expectContractKept } from '../helpers/openapi-contract.js';

const PASSWORD = 'correct horse battery staple';
const quiet = createLogger('test-auth', { level: 'error' });

let e: TestEngine;
beforeAll(async () => {
  e = await startEngine();
  await enforceContract(e.app);
});
afterAll(() => e.stop());
expectContractKept();

const email = () => `auth-${randomUUID()}@durable-trader.test`;
const post = (path: string, body: unknown, headers?: Record<string, string>) => e.request('POST', path, { body, headers });
const me = (token: string | null) => e.request('GET', '/v1/me', { token });

/** Claims the API would issue for `sub`, for hand-made tokens. */
function claims(sub: string) {
  return { email: 'forged@durable-trader.test', sub, iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, jti: randomUUID() };
}

describe('sign-up and login', () => {
  it('signs up with 201 and a token that GET /v1/me accepts', async () => {
    const address = email();
    const res = await post('/v1/auth/register', { email: address, password: PASSWORD });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ token: expect.any(String), tokenType: 'Bearer', expiresAt: expect.any(String), user: { id: expect.any(String), email: address } });
    const who = await me(res.body.token);
    expect(who.status).toBe(200);
    expect(who.body).toEqual({ id: res.body.user.id, email: address, createdAt: expect.any(String) });
  });

  it('logs in with the email in another case and gets a token for the same account', async () => {
    const account = await e.registerUser(email());
    const res = await post('/v1/auth/login', { email: account.email.toUpperCase(), password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({ id: account.id, email: account.email });
    expect((await me(res.body.token)).body.id).toBe(account.id);
  });

  it('refuses a second sign-up with the same email, whatever its case, with 409', async () => {
    const account = await e.registerUser(email());
    const res = await post('/v1/auth/register', { email: account.email.toUpperCase(), password: 'another long password' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('email_taken');
  });

  it('refuses a short password, a malformed email and an unknown field with 422 and creates no account', async () => {
    const address = email();
    for (const body of [{ email: address, password: 'short' }, { email: 'not-an-email', password: PASSWORD }, { email: address, password: PASSWORD, admin: true }]) {
      const res = await post('/v1/auth/register', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect(await e.sql`SELECT 1 FROM accounts WHERE email = ${address}`).toHaveLength(0);
  });

  it('keeps only a scrypt hash of the password', async () => {
    const account = await e.registerUser(email());
    const [row] = await e.sql<{ password_hash: string }[]>`SELECT password_hash FROM accounts WHERE id = ${account.id}`;
    expect(row?.password_hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(row?.password_hash).not.toContain(PASSWORD);
  });

  it('answers a wrong password and an unknown email with the same 401 and body, in about the same time', async () => {
    const account = await e.registerUser(email());
    const wrong = () => post('/v1/auth/login', { email: account.email, password: 'not the password at all' });
    const unknown = () => post('/v1/auth/login', { email: email(), password: 'not the password at all' });
    const [a, b] = [await wrong(), await unknown()];
    expect([a.status, b.status]).toEqual([401, 401]);
    expect(a.body).toEqual(b.body);
    expect(a.body).toEqual({ error: { code: 'invalid_credentials', message: 'Email or password is wrong' } });

    const timings = { wrong: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < 5; i++) {
      for (const [kind, call] of [['wrong', wrong], ['unknown', unknown]] as const) {
        const started = performance.now();
        await call();
        timings[kind].push(performance.now() - started);
      }
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const ratio = median(timings.wrong) / median(timings.unknown);
    // Both run one scrypt with the same parameters (~0.1-0.5 s); without the dummy check an unknown email answers in ~1 ms.
    expect(ratio, JSON.stringify(timings)).toBeGreaterThan(0.5);
    expect(ratio, JSON.stringify(timings)).toBeLessThan(2);
  });

  it('answers sign-up, login and the account with Cache-Control: no-store, failures included', async () => {
    const address = email();
    const answers = [
      await post('/v1/auth/register', { email: address, password: PASSWORD }),
      await post('/v1/auth/login', { email: address, password: PASSWORD }),
      await post('/v1/auth/login', { email: address, password: 'not the password at all' }),
    ];
    answers.push(await me(answers[0]!.body.token), await me(null));
    expect(answers.map((a) => a.status)).toEqual([201, 200, 401, 200, 401]);
    for (const a of answers) expect(a.headers.get('cache-control'), String(a.status)).toBe('no-store');
  });

  it('cannot sign in to an account that has no password (made by a script or test)', async () => {
    const id = await e.newAccount();
    const [row] = await e.sql<{ email: string }[]>`SELECT email FROM accounts WHERE id = ${id}`;
    const res = await post('/v1/auth/login', { email: row!.email, password: PASSWORD });
    expect(res.status).toBe(401);
  });
});

describe('tokens the API refuses with 401', () => {
  it('no token at all, with the error shape and a WWW-Authenticate challenge', async () => {
    const res = await me(null);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('a token with alg "none"', async () => {
    const token = new UnsecuredJWT(claims(e.account.id)).setIssuedAt().setExpirationTime('5m').encode();
    const res = await me(token);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_token');
  });

  it('an expired token', async () => {
    const past = tokenServiceFor(e.config, () => new Date(Date.now() - 2 * 3_600_000));
    const token = await past.sign({ sub: e.account.id, email: e.account.email });
    const res = await me(token);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/expired/);
  });

  it('a token whose payload was altered to another account', async () => {
    const other = await e.registerUser(email());
    const [head, , signature] = e.account.token.split('.') as [string, string, string];
    const [, otherPayload] = other.token.split('.') as [string, string, string];
    expect((await me(`${head}.${otherPayload}.${signature}`)).status).toBe(401);
  });

  it('a token signed with another secret', async () => {
    const token = await new SignJWT(claims(e.account.id)).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('5m').sign(new Uint8Array(32).fill(1));
    expect((await me(token)).status).toBe(401);
  });

  it('an RS256 token on an API that signs with HS256', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await new SignJWT(claims(e.account.id)).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('5m').sign(privateKey);
    expect((await me(token)).status).toBe(401);
  });

  it('a correctly signed token whose subject is not an account id (not a UUID), on every kind of route', async () => {
    const key = decodeSecret(e.config.JWT_SECRET!);
    for (const sub of ['admin', '1', `${e.account.id}x`, "' OR 1=1 --"]) {
      const token = await new SignJWT(claims(sub)).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('5m').sign(key);
      for (const [method, path] of [['GET', '/v1/me'], ['GET', '/v1/orders'], ['GET', '/v1/portfolio'], ['GET', '/v1/exchange-credentials/binance']] as const) {
        const res = await e.request(method, path, { token });
        expect(res.status, `${sub} ${method} ${path}`).toBe(401);
        expect(res.body.error.code).toBe('invalid_token');
        expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      }
    }
  });

  it('a token of the right secret but another issuer or audience', async () => {
    const key = decodeSecret(e.config.JWT_SECRET!);
    const wrongAudience = await new SignJWT({ ...claims(e.account.id), aud: 'someone-else' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('5m').sign(key);
    expect((await me(wrongAudience)).status).toBe(401);
    const rightClaims = await new SignJWT(claims(e.account.id)).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('5m').sign(key);
    // The same construction with the right claims passes: the refusals above are about what they change.
    expect((await me(rightClaims)).status).toBe(200);
  });
});

describe('an API signing with an RSA key pair', () => {
  it('accepts its own RS256 tokens and refuses an HS256 token whose secret is its public key (HS/RS confusion)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jwt-'));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyPath = path.join(dir, 'jwt.pem');
    writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const config = testConfig({ JWT_SECRET: '', JWT_PRIVATE_KEY_PATH: keyPath });
    const app = createApp({ config, sql: e.sql, temporal: e.temporal, log: quiet });
    await enforceContract(app);
    const call = async (token: string) => (await app.request('/v1/me', { headers: { authorization: `Bearer ${token}` } })).status;

    const address = email();
    const registered = await app.request('/v1/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: address, password: PASSWORD }) });
    expect(registered.status).toBe(201);
    const { token, user } = (await registered.json()) as { token: string; user: { id: string } };
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg).toBe('RS256');
    expect(await call(token)).toBe(200);

    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const confused = await new SignJWT({ ...claims(user.id), email: address }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(pem));
    expect(await call(confused)).toBe(401);
    // And the HS256 API's tokens mean nothing here.
    expect(await call(e.account.token)).toBe(401);
  });
});

describe('brute force', () => {
  let served: Served;
  /** An address of this run only (198.18.0.0/15 is for benchmarks), sent as the proxy would. */
  const ip = () => `198.18.${randomInt(256)}.${randomInt(1, 255)}`;
  beforeAll(async () => {
    const config = testConfig({ LOGIN_RATE_LIMIT: '3/1m', AUTH_IP_RATE_LIMIT: '4/1m', TRUST_PROXY_HOPS: '1' });
    const app = createApp({ config, sql: e.sql, temporal: e.temporal, log: quiet, tokens: e.tokens });
    await enforceContract(app);
    served = await serveApp(app);
  });
  afterAll(() => served.close());

  const login = (body: unknown, from: string) =>
    fetch(`${served.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': from }, body: JSON.stringify(body) });

  it('answers 429 with Retry-After once an email has used its login attempts, even to the right password', async () => {
    const account = await e.registerUser(email());
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await login({ email: account.email, password: 'guess number ' + i }, ip())).status);
    expect(statuses).toEqual([401, 401, 401]);
    const limited = await login({ email: account.email, password: PASSWORD }, ip());
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    const body = (await limited.json()) as { error: { code: string; details: { retryAfterSeconds: number } } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.details.retryAfterSeconds).toBe(Number(limited.headers.get('retry-after')));
  });

  it('limits an unknown email exactly like a known one, so the limit tells nothing either', async () => {
    const unknown = email();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await login({ email: unknown, password: 'guess' }, ip())).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('answers 429 to one address that tries many emails, while another address still gets through', async () => {
    const attacker = ip();
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await login({ email: email(), password: 'guess' }, attacker)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    expect((await login({ email: email(), password: 'guess' }, ip())).status).toBe(401);
  });
});
