/**
 * Exchange credentials end to end: stored sealed, used by the worker for the caller's Binance
 * orders (the fake accepts only that pair), and never readable anywhere else. The proof scans
 * every workflow history of the namespace (raw, and with every payload decoded) and every log
 * line this process wrote for the key and the secret.
 */
import { randomBytes } from 'node:crypto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dataConverterFor, payloadCodecFor } from '../../lib/secrets.js';
import { historyPayloads } from '../../lib/history-codec.js';
import { handleCodecRequest } from '../../lib/security/payload-codec.js';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { startEngine, type TestAccount, type TestEngine } from '../helpers/engine.js';
import { sdkLogLines } from '../helpers/env.js';
import { waitFor } from '../helpers/wait.js';

const USER_KEY = `uk${randomBytes(12).toString('hex')}`;
const USER_SECRET = `us${randomBytes(24).toString('hex')}`;
// The single-user pair of the environment: the fake does not know it.
const ENV_KEY = `ek${randomBytes(12).toString('hex')}`;
const ENV_SECRET = `es${randomBytes(24).toString('hex')}`;
const SECRETS = [USER_KEY, USER_SECRET, ENV_SECRET];

let fake: BinanceFake;
let e: TestEngine;
let user: TestAccount & { password: string };
const orderIds: string[] = [];
let rejectedByExchange: string;

beforeAll(async () => {
  fake = await startBinanceFake({ apiKey: USER_KEY, apiSecret: USER_SECRET });
  e = await startEngine({ BINANCE_BASE_URL: fake.url, BINANCE_WS_API_URL: fake.wsApiUrl, BINANCE_API_KEY: ENV_KEY, BINANCE_API_SECRET: ENV_SECRET, BINANCE_TIMEOUT: '2s' });
  await e.setPrice('BTCUSDT', fake.price('BTCUSDT'));
  await e.setPrice('ETHUSDT', fake.price('ETHUSDT'));
  user = await e.registerUser();
});
afterAll(async () => {
  await e.stop();
  await fake.close();
});

const as = (method: string, path: string, body?: unknown) => e.callAs(user.id, method, path, body);
const waitStatus = (id: string, statuses: string[]) =>
  waitFor(async () => (await as('GET', `/v1/orders/${id}`)).body, (o) => statuses.includes(o?.status), { timeoutMs: 30_000, what: `order ${id} in ${statuses}` });

describe('exchange credentials', () => {
  it('stores a key pair with 204, shows only that it is set and the last four characters of the key, and keeps it sealed', async () => {
    expect((await as('GET', '/v1/exchange-credentials/binance')).body).toEqual({ configured: false, apiKeyLast4: null });
    const put = await as('PUT', '/v1/exchange-credentials/binance', { apiKey: USER_KEY, apiSecret: USER_SECRET });
    expect(put.status).toBe(204);
    const got = await as('GET', '/v1/exchange-credentials/binance');
    expect(got.body).toEqual({ configured: true, apiKeyLast4: USER_KEY.slice(-4) });
    const rows = await e.sql`SELECT * FROM exchange_credentials WHERE account_id = ${user.id}`;
    expect(rows).toHaveLength(1);
    const text = JSON.stringify(rows);
    for (const s of [USER_KEY, USER_SECRET]) expect(text).not.toContain(s);
    expect(rows[0]!.api_secret_sealed).toMatch(/^v1\.test1\./);
  });

  it("places the account's Binance orders with its own pair, not the environment's, and defaults to Binance once it has one", async () => {
    const market = await as('POST', '/v1/orders', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    expect(market.status).toBe(202);
    orderIds.push(market.body.id);
    const filled = await waitStatus(market.body.id, ['FILLED', 'REJECTED']);
    expect([filled.status, filled.venue]).toEqual(['FILLED', 'binance']);
    expect(fake.orders().filter((o) => o.clientOrderId === filled.clientOrderId)).toHaveLength(1);

    const limit = (BigInt(Math.round(Number(fake.price('ETHUSDT')))) - 100n).toString();
    const resting = await as('POST', '/v1/orders', { symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.1', price: limit, venue: 'binance' });
    orderIds.push(resting.body.id);
    await waitStatus(resting.body.id, ['NEW']);
    // Deleting the pair would strand the open order: refused until it is done.
    expect((await as('DELETE', '/v1/exchange-credentials/binance')).status).toBe(409);
    expect((await as('DELETE', `/v1/orders/${resting.body.id}`)).body.status).toBe('CANCELED');
  });

  it('uses the environment pair for an account that stored none, which this exchange rejects with -2015', async () => {
    const other = await e.newAccount();
    const res = await e.callAs(other, 'POST', '/v1/orders', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', venue: 'binance' });
    orderIds.push(res.body.id);
    rejectedByExchange = res.body.id;
    const order = await waitFor(async () => (await e.callAs(other, 'GET', `/v1/orders/${res.body.id}`)).body, (o) => o?.status === 'REJECTED', { timeoutMs: 30_000, what: 'the rejection' });
    expect(order.rejectCode).toBe('-2015');
    for (const s of SECRETS) expect(JSON.stringify(order)).not.toContain(s);
  });

  it('deletes the pair with 204 once no open order needs it, after which Binance orders fall back to the environment pair', async () => {
    expect((await as('DELETE', '/v1/exchange-credentials/binance')).status).toBe(204);
    expect((await as('GET', '/v1/exchange-credentials/binance')).body).toEqual({ configured: false, apiKeyLast4: null });
    const res = await as('POST', '/v1/orders', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', venue: 'binance' });
    orderIds.push(res.body.id);
    expect((await waitStatus(res.body.id, ['FILLED', 'REJECTED'])).rejectCode).toBe('-2015');
  });
});

describe('secrets stay out of Temporal and the logs', () => {
  it('finds neither key nor secret in any workflow history of the namespace, raw or with every payload decoded, nor in any log line', async () => {
    const codec = payloadCodecFor(e.config)!;
    const ours = new Set(orderIds.map((id) => `order-${id}`));
    const executions = await waitFor(
      async () => {
        const all: Array<{ workflowId: string; runId: string }> = [];
        for await (const wf of e.temporal.workflow.list()) all.push({ workflowId: wf.workflowId, runId: wf.runId });
        return all;
      },
      (all) => [...ours].every((id) => all.some((w) => w.workflowId === id)),
      { timeoutMs: 20_000, what: 'our order workflows in the visibility store' },
    );
    expect(executions.length).toBeGreaterThanOrEqual(ours.size);

    let decodedAll = '';
    const histories: Array<{ workflowId: string; history: temporal.api.history.v1.IHistory }> = [];
    for (let i = 0; i < executions.length; i += 16) {
      await Promise.all(
        executions.slice(i, i + 16).map(async ({ workflowId, runId }) => {
          const history = await e.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
          const raw = historyToJSON(history);
          for (const s of SECRETS) expect(raw, `${workflowId} (raw)`).not.toContain(s);
          const { payloads } = await handleCodecRequest(codec, 'decode', { payloads: historyPayloads(JSON.parse(raw)) });
          const decoded = payloads.map((p) => Buffer.from(p.data ?? '', 'base64').toString('utf8')).join('\n');
          for (const s of SECRETS) expect(decoded, `${workflowId} (decoded)`).not.toContain(s);
          if (ours.has(workflowId)) {
            decodedAll += decoded;
            histories.push({ workflowId, history });
            // Encrypted at rest: the raw history names neither the account nor the symbol.
            expect(raw).not.toContain(user.id);
            expect(raw).not.toContain('BTCUSDT');
          }
        }),
      );
    }
    // The decoding really happened: the decoded payloads hold the orders.
    expect(decodedAll).toContain(user.id);
    expect(decodedAll).toContain('BTCUSDT');

    // The exchange's rejection reached the history as an encrypted failure.
    const rejected = histories.find((h) => h.workflowId === `order-${rejectedByExchange}`)!;
    const rawRejected = historyToJSON(rejected.history);
    expect(rawRejected).not.toContain('Invalid API-key');
    expect(rawRejected).toContain('Encoded failure');

    const logs = [...e.apiLogLines, ...sdkLogLines];
    expect(logs.length).toBeGreaterThan(0);
    for (const s of SECRETS) expect(logs.filter((l) => l.includes(s))).toEqual([]);
  }, 180_000);

  it('replays the encrypted order histories with the payload codec, and cannot without it', async () => {
    const ours = new Set(orderIds.map((id) => `order-${id}`));
    const histories = [];
    for (const id of ours) histories.push({ workflowId: id, history: await e.temporal.workflow.getHandle(id).fetchHistory() });
    const bundle = { workflowBundle: { codePath: inject('workflowBundlePath') } };
    const withCodec = [];
    for await (const r of Worker.runReplayHistories({ ...bundle, dataConverter: dataConverterFor(e.config) }, histories)) withCodec.push(r);
    expect(withCodec.map((r) => r.error?.message ?? null)).toEqual(histories.map(() => null));
    const without = [];
    for await (const r of Worker.runReplayHistories(bundle, histories)) without.push(r);
    expect(without.filter((r) => r.error)).toHaveLength(histories.length);
  }, 120_000);
});
