/**
 * The logs of a full run, as an operator's log shipper would read them (LOG_FORMAT=json): orders on
 * both venues, exchange credentials stored, failed logins. No line may carry a secret, a password
 * or a token; the lines about an order carry its correlation ids.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { startEngine, type TestAccount, type TestEngine } from '../helpers/engine.js';
import { sdkLogLines } from '../helpers/env.js';
import { waitFor } from '../helpers/wait.js';

const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const WRONG_PASSWORD = `wrong-${randomBytes(12).toString('hex')}`;
const API_KEY = `lk${randomBytes(12).toString('hex')}`;
const API_SECRET = `ls${randomBytes(24).toString('hex')}`;

let fake: BinanceFake;
let e: TestEngine;
let user: TestAccount & { password: string };
/** What this process wrote to stderr: the worker's own loggers (user streams, request budget). */
const stderrLines: string[] = [];
const realStderrWrite = process.stderr.write.bind(process.stderr);
const formatBefore = process.env.LOG_FORMAT;
const ids: { paper?: string; binance?: string } = {};
let loginToken = '';

beforeAll(async () => {
  process.env.LOG_FORMAT = 'json';
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    stderrLines.push(...String(chunk).split('\n').filter(Boolean));
    return realStderrWrite(chunk, ...rest);
  }) as typeof process.stderr.write;
  fake = await startBinanceFake({ apiKey: API_KEY, apiSecret: API_SECRET });
  e = await startEngine({ BINANCE_BASE_URL: fake.url, BINANCE_WS_API_URL: fake.wsApiUrl, BINANCE_TIMEOUT: '2s', LOG_LEVEL: 'debug' });
  await e.setPrice('BTCUSDT', fake.price('BTCUSDT'));
  user = await e.registerUser(`logs-${randomUUID()}@durable-trader.test`, PASSWORD);
}, 120_000);

afterAll(async () => {
  process.stderr.write = realStderrWrite;
  if (formatBefore === undefined) delete process.env.LOG_FORMAT;
  else process.env.LOG_FORMAT = formatBefore;
  await e?.stop();
  await fake?.close();
});

const allLines = () => [...e.apiLogLines, ...sdkLogLines, ...stderrLines];
const parsed = (lines: string[]) =>
  lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

describe('the logs of a full run', () => {
  it('runs the traffic: failed and good logins, stored credentials, a MARKET order on paper and on the Binance fake', async () => {
    for (const password of [WRONG_PASSWORD, `${PASSWORD}x`]) {
      expect((await e.request('POST', '/v1/auth/login', { body: { email: user.email, password } })).status).toBe(401);
    }
    const login = await e.request('POST', '/v1/auth/login', { body: { email: user.email, password: PASSWORD } });
    expect(login.status).toBe(200);
    loginToken = login.body.token;
    expect((await e.callAs(user.id, 'PUT', '/v1/exchange-credentials/binance', { apiKey: API_KEY, apiSecret: API_SECRET })).status).toBe(204);

    for (const venue of ['paper', 'binance'] as const) {
      const res = await e.callAs(user.id, 'POST', '/v1/orders', { venue, symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      ids[venue] = res.body.id;
      await waitFor(async () => (await e.callAs(user.id, 'GET', `/v1/orders/${res.body.id}`)).body, (o) => o?.status === 'FILLED', { timeoutMs: 30_000, what: `the ${venue} order filled` });
    }
  }, 120_000);

  it('holds no password, token, API secret, JWT secret or encryption key in any line of the API or the worker', () => {
    const lines = allLines();
    expect(e.apiLogLines.length).toBeGreaterThan(10);
    expect(sdkLogLines.length).toBeGreaterThan(0);
    const keyring = (k: { keys: Record<string, Buffer> } | undefined) => Object.values(k?.keys ?? {}).flatMap((b) => [b.toString('base64'), b.toString('hex')]);
    const secrets = {
      password: PASSWORD,
      'wrong password': WRONG_PASSWORD,
      'API key': API_KEY,
      'API secret': API_SECRET,
      'access token (sign-up)': user.token,
      'access token (login)': loginToken,
      'JWT secret': e.config.JWT_SECRET!,
      'credentials key': keyring(e.config.credentialKeys)[0]!,
      'payload key': keyring(e.config.payloadKeys)[0]!,
    };
    for (const [what, value] of Object.entries(secrets)) {
      expect(value.length, what).toBeGreaterThan(8);
      expect(lines.filter((l) => l.includes(value)), what).toEqual([]);
    }
    // A token's signature alone is as good as a leak of it.
    for (const token of [user.token, loginToken]) expect(lines.filter((l) => l.includes(token.split('.')[2]!))).toEqual([]);
  });

  it('writes JSON lines that carry the request id, account id, order id and workflow id of an order', () => {
    const api = parsed(e.apiLogLines);
    expect(api.length).toBe(e.apiLogLines.length);
    for (const venue of ['paper', 'binance'] as const) {
      const submit = api.find((l) => l.msg === 'request' && l.method === 'POST' && l.orderId === ids[venue]);
      expect(submit, `the API line of the ${venue} order`).toMatchObject({ level: 'debug', component: 'test-api', status: 202, accountId: user.id, workflowId: `order-${ids[venue]}` });
      expect(submit!.requestId).toEqual(expect.any(String));

      const placed = parsed(sdkLogLines).find((l) => l.msg === 'order placed on the venue' && l.orderId === ids[venue]);
      expect(placed, `the worker line of the ${venue} order`).toMatchObject({ accountId: user.id, workflowId: `order-${ids[venue]}`, venue });
    }
    // A failed login names no account (none is known), but its request id.
    const failed = api.filter((l) => l.msg === 'request' && l.path === '/v1/auth/login' && l.status === 401);
    expect(failed).toHaveLength(2);
    for (const l of failed) expect(l.requestId).toEqual(expect.any(String));
  });
});
