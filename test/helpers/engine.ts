/**
 * A whole engine for a test file: config, pool, Temporal client, real workers and the Hono app,
 * wired exactly as production wires them.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import { createApp, type App } from '../../api/app.js';
import { storeQuotes } from '../../activities/market-data/price-store.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { createLogger } from '../../lib/logger.js';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { startYahooFake, type YahooFake } from '../fakes/yahoo/index.js';
import { startWorkers, testClient, testConfig, testSql, type RunningWorkers } from './env.js';
import { waitFor } from './wait.js';

export interface TestEngine {
  config: Config;
  sql: Sql;
  temporal: Client;
  app: App;
  workers: RunningWorkers;
  /** JSON request against the app; returns status and parsed body. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  setPrice(symbol: string, price: string, asOf?: Date): Promise<void>;
  /** A fresh account, so a test's trades and portfolio workflow are its own. */
  newAccount(): Promise<string>;
  /** `call` as `accountId`, set the way the auth middleware will set it. */
  callAs(accountId: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  waitForStatus(id: string, statuses: string[], timeoutMs?: number): Promise<any>;
  restartWorkers(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEngine(env: Record<string, string | undefined> = {}): Promise<TestEngine> {
  const config = testConfig({ ORDER_POLL_MAX_INTERVAL: '1s', ...env });
  const sql = testSql();
  const temporal = await testClient();
  const app = createApp({ config, sql, temporal, log: createLogger('test-api', { level: 'error' }) });
  const appsByAccount = new Map<string, Hono>();
  const appAs = (accountId: string) => {
    let scoped = appsByAccount.get(accountId);
    if (!scoped) {
      scoped = new Hono();
      scoped.use(async (c, next) => {
        c.set('accountId', accountId);
        await next();
      });
      scoped.route('/', app);
      appsByAccount.set(accountId, scoped);
    }
    return scoped;
  };
  async function request(target: { request: App['request'] }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await target.request(path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const engine: TestEngine = {
    config,
    sql,
    temporal,
    app,
    workers: await startWorkers(config, sql),
    async call(method, path, body, headers = {}) {
      const res = await app.request(path, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async setPrice(symbol, price, asOf = new Date()) {
      await storeQuotes(sql, [{ symbol, price, source: 'simulated', asOf: asOf.toISOString() }]);
    },
    async newAccount() {
      const id = randomUUID();
      await sql`INSERT INTO accounts (id) VALUES (${id})`;
      return id;
    },
    callAs(accountId, method, path, body, headers) {
      return request(appAs(accountId), method, path, body, headers);
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
      engine.workers = await startWorkers(config, sql);
    },
    async stop() {
      await engine.workers.stop();
      await temporal.connection.close();
      await sql.end({ timeout: 2 });
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
