/**
 * A whole engine for a test file: config, pool, Temporal client, real workers and the Hono app,
 * wired exactly as production wires them. `call` acts as the engine's own account (an operator);
 * `newAccount()` and `registerUser()` make others, used through `callAs`.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { createApp, type App } from '../../api/app.js';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createOrderWakeActivities } from '../../activities/market-data/refresh-activities.js';
import { createPriceAlertActivities } from '../../activities/market-data/alert-activities.js';
import { orderStarter } from '../../workflows/start-order.js';
import { orderSettingsFrom } from '../../lib/order-settings.js';
import { createPriceLookup, storeQuotes } from '../../store/prices.js';
import { paperVenues } from '../../workers/activities.js';
import { orderClients } from '../../workflows/clients.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { createLogger } from '../../lib/logger.js';
import type { ApiMetrics, WorkerMetrics } from '../../lib/metrics.js';
import { startTracing, type Tracing } from '../../lib/tracing.js';
import { tokenServiceFor } from '../../lib/secrets.js';
import type { TokenService } from '../../lib/security/jwt.js';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { startYahooFake, type YahooFake } from '../fakes/yahoo/index.js';
import { startWorkers, testClient, testConfig, testSql, type RunningWorkers, type StreamTuning } from './env.js';
import { waitFor } from './wait.js';

export interface TestAccount {
  id: string;
  email: string;
  token: string;
}

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

export interface TestEngine {
  config: Config;
  sql: Sql;
  temporal: Client;
  app: App;
  workers: RunningWorkers;
  /** Set when the engine's env has OTEL_EXPORTER_OTLP_ENDPOINT: API, client and workers trace, in this process. */
  tracing: Tracing | undefined;
  tokens: TokenService;
  /** The account `call` acts as; its email is the one operator of this engine (OPERATOR_EMAILS). */
  account: TestAccount;
  /** Every line the API logged (all levels, JSON); errors are printed too. */
  apiLogLines: string[];
  /** JSON request against the app as `account`; returns status and parsed body. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** A JSON request with the given token, or none (`null`). */
  request(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string>; token?: string | null }): Promise<Reply>;
  /** Stores a price as the refresh would, matches the paper orders it moves (their fills arrive as venue events) and fires the price alerts it satisfies. */
  setPrice(symbol: string, price: string, asOf?: Date): Promise<void>;
  /** A fresh account (inserted directly, with a real token), so a test's trades and portfolio workflow are its own. */
  newAccount(): Promise<string>;
  /** An account signed up through POST /v1/auth/register. */
  registerUser(email?: string, password?: string): Promise<TestAccount & { password: string }>;
  /** `call` as an account from newAccount() or registerUser(), with its token. */
  callAs(accountId: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  waitForStatus(id: string, statuses: string[], timeoutMs?: number): Promise<any>;
  restartWorkers(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEngine(env: Record<string, string | undefined> = {}, options: { streamTuning?: StreamTuning; metrics?: { api?: ApiMetrics; worker?: WorkerMetrics } } = {}): Promise<TestEngine> {
  const operatorEmail = `operator-${randomUUID()}@durable-trader.test`;
  // env.OPERATOR_EMAILS adds operators; the engine's own account is always one.
  const { OPERATOR_EMAILS: moreOperators, ...rest } = env;
  const config = testConfig({ ORDER_POLL_MAX_INTERVAL: '1s', ...rest, OPERATOR_EMAILS: [operatorEmail, moreOperators].filter(Boolean).join(',') });
  const sql = testSql();
  // Off unless the test sets OTEL_EXPORTER_OTLP_ENDPOINT; short batches so a test need not wait 5 s.
  const tracing = await startTracing(config, { defaultServiceName: 'durable-trader-test', scheduledDelayMillis: 100 });
  const temporal = await testClient(config, tracing);
  // What the price refresh does after storing a move: the paper orders it fills get their venue event.
  const { wakePaperOrders } = createOrderWakeActivities({ sql, orders: orderClients(temporal), paperFor: paperVenues(config, sql, createPriceLookup({ sql, fetchLatest: async () => [] })) });
  // …and the price alerts it satisfies fire (their conditional orders start).
  const { evaluatePriceAlerts } = createPriceAlertActivities({ sql, startOrder: orderStarter(temporal, { taskQueue: config.taskQueues.orders, settings: orderSettingsFrom(config) }) });
  const tokens = tokenServiceFor(config);
  const apiLogLines: string[] = [];
  const log = createLogger('test-api', {
    level: 'debug',
    format: 'json',
    write: (line) => {
      apiLogLines.push(line);
      if (line.includes('"level":"error"')) process.stderr.write(`${line}\n`);
    },
  });
  const app = createApp({ config, sql, temporal, log, tokens, ...(options.metrics?.api ? { metrics: options.metrics.api } : {}) });
  const tokenOf = new Map<string, string>();

  async function insertAccount(email: string): Promise<TestAccount> {
    const id = randomUUID();
    await sql`INSERT INTO accounts (id, email) VALUES (${id}, ${email})`;
    const token = await tokens.sign({ sub: id, email });
    tokenOf.set(id, token);
    return { id, email, token };
  }

  async function request(method: string, path: string, { body, headers = {}, token }: { body?: unknown; headers?: Record<string, string>; token?: string | null } = {}): Promise<Reply> {
    const res = await app.request(path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (an HTML page): the text itself.
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  const account = await insertAccount(operatorEmail);
  const engine: TestEngine = {
    config,
    sql,
    temporal,
    app,
    tracing,
    tokens,
    account,
    apiLogLines,
    workers: await startWorkers(config, sql, { streamTuning: options.streamTuning, tracing, metrics: options.metrics?.worker }),
    call: (method, path, body, headers) => request(method, path, { body, headers, token: account.token }),
    request,
    async setPrice(symbol, price, asOf = new Date()) {
      await storeQuotes(sql, [{ symbol, price, source: 'simulated', asOf: asOf.toISOString() }]);
      await new MockActivityEnvironment().run(wakePaperOrders, { moved: [{ symbol, price }] });
      await new MockActivityEnvironment().run(evaluatePriceAlerts, { moved: [{ symbol, price }] });
    },
    async newAccount() {
      return (await insertAccount(`user-${randomUUID()}@durable-trader.test`)).id;
    },
    async registerUser(email = `user-${randomUUID()}@durable-trader.test`, password = 'correct horse battery staple') {
      const res = await request('POST', '/v1/auth/register', { body: { email, password } });
      if (res.status !== 201) throw new Error(`register answered ${res.status}: ${JSON.stringify(res.body)}`);
      tokenOf.set(res.body.user.id, res.body.token);
      return { id: res.body.user.id, email: res.body.user.email, token: res.body.token, password };
    },
    callAs(accountId, method, path, body, headers) {
      const token = tokenOf.get(accountId);
      if (!token) throw new Error(`no token for account ${accountId}: make it with newAccount() or registerUser()`);
      return request(method, path, { body, headers, token });
    },
    async waitForStatus(id, statuses, timeoutMs = 30_000) {
      return waitFor(
        async () => (await engine.call('GET', `/v1/orders/${id}`)).body,
        (o) => statuses.includes(o?.status),
        { timeoutMs, what: `order ${id} to reach ${statuses.join('|')}` },
      );
    },
    async restartWorkers() {
      await engine.workers.stop();
      engine.workers = await startWorkers(config, sql, { streamTuning: options.streamTuning, tracing, metrics: options.metrics?.worker });
    },
    async stop() {
      await engine.workers.stop();
      await temporal.connection.close();
      await sql.end({ timeout: 2 });
      await tracing?.shutdown();
    },
  };
  return engine;
}

export interface MarketDataFakes {
  binance: BinanceFake;
  yahoo: YahooFake;
  /** Environment that points the engine's price sources at the fakes (for startEngine / testConfig). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** The Binance and Yahoo fakes on free ports, for tests of the market-data providers. */
export async function startMarketDataFakes(): Promise<MarketDataFakes> {
  const binance = await startBinanceFake({ apiKey: 'market-data-key', apiSecret: 'market-data-secret' });
  const yahoo = await startYahooFake();
  return {
    binance,
    yahoo,
    env: { BINANCE_BASE_URL: binance.url, YAHOO_BASE_URL: yahoo.url, MARKET_DATA_TIMEOUT: '2s' },
    async close() {
      await Promise.all([binance.close(), yahoo.close()]);
    },
  };
}
