/**
 * The codec server on the API, as the Temporal Web UI and CLI use it: a round trip, a real order
 * history decoded through it, the CORS answers a browser needs, the cookie sign-in of the UI's
 * "Include cross-origin credentials", and everyone it must refuse.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { historyPayloads } from '../../lib/history-codec.js';
import { createLogger } from '../../lib/logger.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { testConfig } from '../helpers/env.js';
import { serveApp, type Served } from '../helpers/http.js';

const execFileAsync = promisify(execFile);
const OPERATOR = `codec-op-${randomUUID()}@durable-trader.test`;
const PASSWORD = 'correct horse battery staple';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

let e: TestEngine;
let uiOrigin: string;
beforeAll(async () => {
  e = await startEngine({ OPERATOR_EMAILS: OPERATOR });
  uiOrigin = e.config.codecOrigins[0]!;
  await e.setPrice('CODECUSDT', '10');
});
afterAll(() => e.stop());

const codec = (kind: 'encode' | 'decode', body: unknown, headers: Record<string, string> = {}, token: string | null = e.account.token) =>
  e.request('POST', `/codec/${kind}`, { body, token, headers: { 'x-namespace': e.config.TEMPORAL_NAMESPACE, ...headers } });

const plain = { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify({ hello: 'world' })) }] };

describe('/codec/encode and /codec/decode', () => {
  it('encrypts payloads and decrypts them back for an operator', async () => {
    const encoded = await codec('encode', plain);
    expect(encoded.status).toBe(200);
    expect(unb64(encoded.body.payloads[0].metadata.encoding)).toBe('binary/encrypted');
    expect(unb64(encoded.body.payloads[0].data)).not.toContain('world');
    const decoded = await codec('decode', encoded.body);
    expect(decoded.status).toBe(200);
    expect(decoded.body).toEqual(plain);
  });

  it("decodes an order's history: the encrypted workflow input becomes the order again", async () => {
    const placed = await e.call('POST', '/v1/orders', { symbol: 'CODECUSDT', side: 'BUY', type: 'MARKET', quantity: '1', venue: 'paper' });
    await e.waitForStatus(placed.body.id, ['FILLED']);
    const history = JSON.parse(historyToJSON(await e.temporal.workflow.getHandle(`order-${placed.body.id}`).fetchHistory()));
    const started = history.events.find((ev: { workflowExecutionStartedEventAttributes?: unknown }) => ev.workflowExecutionStartedEventAttributes);
    const input = started.workflowExecutionStartedEventAttributes.input;
    expect(unb64(input.payloads[0].metadata.encoding)).toBe('binary/encrypted');
    expect(unb64(input.payloads[0].data)).not.toContain('CODECUSDT');

    const decoded = await codec('decode', input);
    expect(decoded.status).toBe(200);
    expect(unb64(decoded.body.payloads[0].metadata.encoding)).toBe('json/plain');
    const [arg] = [JSON.parse(unb64(decoded.body.payloads[0].data))];
    expect(arg.order).toMatchObject({ orderId: placed.body.id, accountId: e.account.id, symbol: 'CODECUSDT', quantity: '1' });
  });

  it('refuses a request without a token with 401, from a non-operator with 403, and for another namespace with 403', async () => {
    expect((await codec('decode', plain, {}, null)).status).toBe(401);
    const user = await e.newAccount();
    const [row] = await e.sql<{ email: string }[]>`SELECT email FROM accounts WHERE id = ${user}`;
    const userToken = await e.tokens.sign({ sub: user, email: row!.email });
    const notOperator = await codec('decode', plain, {}, userToken);
    expect([notOperator.status, notOperator.body.error.code]).toEqual([403, 'forbidden']);
    const otherNamespace = await codec('decode', plain, { 'x-namespace': 'someone-elses' });
    expect([otherNamespace.status, otherNamespace.body.error.code]).toEqual([403, 'namespace_forbidden']);
    const noNamespace = await e.request('POST', '/codec/decode', { body: plain, token: e.account.token });
    expect(noNamespace.status).toBe(403);
  });

  it('answers a malformed body with 400 and a payload under an unknown key with 422', async () => {
    expect((await codec('decode', { payload: [] })).status).toBe(400);
    const foreign = { payloads: [{ metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('k-unknown') }, data: b64('x'.repeat(40)) }] };
    expect((await codec('decode', foreign)).body.error.code).toBe('undecodable_payload');
  });
});

describe('CORS for the Web UI', () => {
  it('answers the preflight from the UI origin with the headers the UI needs, credentials included', async () => {
    const res = await e.app.request('/codec/decode', {
      method: 'OPTIONS',
      headers: { origin: uiOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',');
    expect(allowed).toEqual(expect.arrayContaining(['content-type', 'x-namespace', 'authorization']));
  });

  it('grants nothing to another origin and refuses its requests with 403, even with a valid token', async () => {
    const preflight = await e.app.request('/codec/decode', { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const res = await codec('decode', plain, { origin: 'http://evil.example' });
    expect([res.status, res.body.error.code]).toEqual([403, 'origin_forbidden']);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('puts the CORS headers on errors too, so the UI can show why', async () => {
    const res = await codec('decode', plain, { origin: uiOrigin }, null);
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe(uiOrigin);
  });
});

describe('cookie sign-in for "Include cross-origin credentials"', () => {
  it('signs an operator in with an HttpOnly, SameSite=Strict cookie for /codec that decodes from the UI origin and opens nothing else', async () => {
    await e.registerUser(OPERATOR, PASSWORD);
    const signIn = await e.request('POST', '/codec/session', { body: { email: OPERATOR, password: PASSWORD } });
    expect(signIn.status).toBe(200);
    expect(signIn.body).toMatchObject({ email: OPERATOR, operator: true });
    const setCookie = signIn.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^dt_codec=[\w.-]+;/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/codec/);
    const cookie = setCookie.split(';')[0]!;

    expect((await e.request('GET', '/codec/session', { headers: { cookie } })).body.email).toBe(OPERATOR);
    const decoded = await codec('decode', plain, { cookie, origin: uiOrigin }, null);
    expect(decoded.status).toBe(200);
    expect(decoded.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    // The cookie is no API credential: the /v1 routes want the Authorization header.
    expect((await e.request('GET', '/v1/me', { headers: { cookie } })).status).toBe(401);

    // Its own audience: the cookie's token is refused as an API bearer token, and an API token is no cookie.
    const cookieToken = cookie.slice('dt_codec='.length);
    expect((await e.request('GET', '/v1/me', { token: cookieToken })).status).toBe(401);
    expect((await e.request('GET', '/codec/session', { headers: { cookie: `dt_codec=${e.account.token}` } })).status).toBe(401);

    const out = await e.request('DELETE', '/codec/session', { headers: { cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/dt_codec=;.*Max-Age=0/);
    // Revoked, not only cleared: a copy of the cookie kept elsewhere opens nothing any more.
    expect((await e.request('GET', '/codec/session', { headers: { cookie } })).status).toBe(401);
    expect((await codec('decode', plain, { cookie, origin: uiOrigin }, null)).status).toBe(401);
  });

  it('refuses a wrong password with 401 and sets no cookie', async () => {
    const res = await e.request('POST', '/codec/session', { body: { email: OPERATOR, password: 'wrong password here' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('serves a sign-in page that loads nothing from outside the API', async () => {
    const res = await e.request('GET', '/codec/login');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(res.body).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});

describe('the embedded Web UI of `npm start` (CODEC_TRUST_LOCAL_UI)', () => {
  const quiet = createLogger('test', { level: 'error' });
  let trusting: Served;
  let plainApp: Served;
  let port: number;
  beforeAll(async () => {
    const config = testConfig({ TASK_QUEUE_PREFIX: e.config.TASK_QUEUE_PREFIX, OPERATOR_EMAILS: OPERATOR, CODEC_TRUST_LOCAL_UI: '1' });
    trusting = await serveApp(createApp({ config, sql: e.sql, temporal: e.temporal, log: quiet, tokens: e.tokens }));
    plainApp = await serveApp(e.app);
    port = config.PORT;
  });
  afterAll(async () => {
    await trusting.close();
    await plainApp.close();
  });

  /** Over a real socket, with the Host and Origin a browser would send (fetch may not set Host). */
  function post(served: Served, kind: 'decode' | 'encode', headers: Record<string, string>): Promise<number> {
    const body = JSON.stringify(plain);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        `${served.url}/codec/${kind}`,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-namespace': e.config.TEMPORAL_NAMESPACE, ...headers } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('decodes for the UI at its own origin, addressed to localhost, from this machine, with no sign-in', async () => {
    for (const host of ['localhost', '127.0.0.1', '[::1]']) {
      expect(await post(trusting, 'decode', { origin: uiOrigin, host: `${host}:${port}` }), host).toBe(200);
    }
  });

  it('still refuses a page elsewhere, a DNS-rebound host name, a caller without Origin, a proxied request, another namespace, and encoding', async () => {
    const local = `localhost:${port}`;
    expect(await post(trusting, 'decode', { origin: 'http://evil.example', host: local })).toBe(403);
    // evil.example resolving to 127.0.0.1: the browser sends the UI-looking request with its own Host.
    expect(await post(trusting, 'decode', { origin: uiOrigin, host: `evil.example:${port}` })).toBe(401);
    expect(await post(trusting, 'decode', { host: local })).toBe(401);
    for (const proxied of [{ 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9' }, { via: '1.1 proxy' }, { 'x-real-ip': '203.0.113.9' }] as Array<Record<string, string>>) {
      expect(await post(trusting, 'decode', { origin: uiOrigin, host: local, ...proxied }), JSON.stringify(proxied)).toBe(401);
    }
    expect(await post(trusting, 'decode', { origin: uiOrigin, host: local, 'x-namespace': 'someone-elses' })).toBe(403);
    expect(await post(trusting, 'encode', { origin: uiOrigin, host: local })).toBe(401);
  });

  it('trusts nobody without the setting', async () => {
    expect(await post(plainApp, 'decode', { origin: uiOrigin, host: `localhost:${e.config.PORT}` })).toBe(401);
  });
});

describe("the README's CLI command", () => {
  it('shows a decoded order history through the codec server, exactly as documented', async () => {
    const readme = readFileSync(path.resolve('README.md'), 'utf8');
    const documented = readme.split('\n').map((l) => l.trim()).find((l) => l.startsWith('temporal workflow show ') && l.includes('--codec-endpoint'));
    expect(documented).toBeDefined();
    await e.registerUser(OPERATOR, PASSWORD).catch(() => undefined);
    const login = await e.request('POST', '/v1/auth/login', { body: { email: OPERATOR, password: PASSWORD } });
    const placed = await e.call('POST', '/v1/orders', { symbol: 'CODECUSDT', side: 'BUY', type: 'MARKET', quantity: '2', venue: 'paper' });
    await e.waitForStatus(placed.body.id, ['FILLED']);
    const served = await serveApp(e.app);
    try {
      const command = documented!
        .replace('<id>', placed.body.id)
        .replace('http://localhost:3000', served.url)
        .replace('--namespace default', `--namespace ${e.config.TEMPORAL_NAMESPACE}`);
      const [binary, ...args] = shellWords(command, { TOKEN: login.body.token });
      expect(binary).toBe('temporal');
      // Asynchronously: the codec server it calls runs in this process.
      const { stdout: out } = await execFileAsync(inject('temporalBinary'), [...args, '--address', inject('temporalAddress'), '--output', 'json'], { timeout: 60_000 });
      // The CLI prints payloads in proto3 JSON (base64): every one came back decoded.
      const payloads = historyPayloads(JSON.parse(out));
      expect(payloads.length).toBeGreaterThan(5);
      expect(new Set(payloads.map((p) => unb64(p.metadata?.encoding)))).not.toContain('binary/encrypted');
      expect(payloads.map((p) => unb64(p.data)).join('\n')).toContain('"symbol":"CODECUSDT"');
    } finally {
      await served.close();
    }
  });
});

/** Splits a one-line shell command into words as bash would here: double quotes group, $VAR expands from `vars`. */
function shellWords(line: string, vars: Record<string, string>): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => (m[1] ?? m[2]!).replace(/\$(\w+)/g, (_, name: string) => vars[name] ?? ''));
}
