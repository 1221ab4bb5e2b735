/**
 * The metrics an operator scrapes, after real traffic: a paper order, a price refresh (against the
 * Binance fake, spending the request budget), the portfolio recalculation the fill causes, a
 * reconciliation that finds an order we never placed, a refused login. The API's /metrics is read through the app; the worker's through the same
 * metrics server workers/main.ts runs, with the Temporal Core's exporter merged in.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreMetricsTelemetry, createApiMetrics, createWorkerMetrics, TEMPORAL_CORE_METRICS, type ApiMetrics, type WorkerMetrics } from '../../lib/metrics.js';
import { loopbackPort, startMetricsServer, type MetricsServer } from '../../lib/metrics-server.js';
import { refreshPricesInput } from '../../workflows/schedules.js';
import { createPaperExchange } from '../../venues/paper/exchange.js';
import { createPriceLookup } from '../../store/prices.js';
import { startEngine, startMarketDataFakes, type MarketDataFakes, type TestEngine } from '../helpers/engine.js';
import { useRuntimeTelemetry } from '../helpers/env.js';
import { waitFor } from '../helpers/wait.js';
import { startStreamApi } from '../helpers/stream-server.js';
import WebSocket from 'ws';


// A symbol of this file only, so its price moves no other file's orders.
const SYMBOL = 'MTRBTCUSDT';

let fakes: MarketDataFakes;
let e: TestEngine;
let api: ApiMetrics;
let worker: WorkerMetrics;
let server: MetricsServer;

beforeAll(async () => {
  const corePort = await loopbackPort(0);
  useRuntimeTelemetry(coreMetricsTelemetry(corePort));
  fakes = await startMarketDataFakes();
  api = createApiMetrics();
  worker = createWorkerMetrics();
  e = await startEngine({ ...fakes.env, LOGIN_RATE_LIMIT: '1/1h' }, { metrics: { api, worker } });
  server = await startMetricsServer({
    port: 0,
    host: '127.0.0.1',
    registry: worker.registry,
    coreMetricsUrl: `http://127.0.0.1:${corePort}/metrics`,
    ready: () => ({ ready: e.workers.workers.every((w) => w.getState() === 'RUNNING') }),
  });
});
afterAll(async () => {
  await server?.close();
  await e?.stop();
  await fakes?.close();
});

/** Samples of a scrape: `name{labels}` → value. */
function samples(text: string): Array<{ name: string; labels: string; value: number }> {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)/.exec(l);
      if (!m) throw new Error(`not a sample: ${l}`);
      return { name: m[1]!, labels: m[2] ?? '', value: Number(m[3]) };
    });
}

const scrapeWorker = async () => samples(await (await fetch(`${server.url}/metrics`)).text());
const scrapeApi = async () => {
  const res = await e.request('GET', '/metrics');
  expect(res.status).toBe(200);
  return samples(res.body as string);
};
const sum = (all: ReturnType<typeof samples>, name: string, labels: RegExp = /.*/) =>
  all.filter((s) => s.name === name && labels.test(s.labels)).reduce((n, s) => n + s.value, 0);

describe('metrics after traffic', () => {
  it('counts an order, a refresh, a recalculation, a reconciliation and a refused login, in the API, the worker and the Temporal Core', { timeout: 90_000 }, async () => {
    // A paper order that fills (and so recalculates the account's portfolio).
    await e.setPrice(SYMBOL, '50000');
    const placed = await e.call('POST', '/v1/orders', { symbol: SYMBOL, side: 'BUY', type: 'MARKET', quantity: '0.01', venue: 'paper' });
    expect(placed.status).toBe(202);
    await e.waitForStatus(placed.body.id, ['FILLED']);
    expect((await e.call('GET', `/v1/orders/${placed.body.id}`)).status).toBe(200);

    // A price refresh of a watched Binance symbol, through the fake (and the request budget).
    expect((await e.call('PUT', '/v1/watchlist', { symbols: ['BTCUSDT'] })).status).toBe(200);
    await e.temporal.workflow.execute('refreshPrices', { taskQueue: e.config.taskQueues.marketData, workflowId: `test-metrics-refresh-${randomUUID()}`, args: [refreshPricesInput(e.config)] });

    // A paper order placed behind our back, which the reconciler finds.
    const account = await e.newAccount();
    const paper = createPaperExchange({ sql: e.sql, accountId: account, prices: createPriceLookup({ sql: e.sql }), feeBps: e.config.PAPER_FEE_BPS, slippageBps: e.config.PAPER_SLIPPAGE_BPS, startingCash: e.config.PAPER_STARTING_CASH, staleAfterMs: e.config.PRICE_STALE_AFTER });
    await paper.placeOrder({ symbol: SYMBOL, side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '30000', timeInForce: 'GTC', clientOrderId: `manual-${randomUUID().slice(0, 8)}` });
    await e.temporal.workflow.execute('reconcileOrders', { workflowId: `test-metrics-reconcile-${randomUUID()}`, taskQueue: e.config.taskQueues.orders, args: [{ graceMs: 0, accountIds: [account] }] });

    // A LIMIT_MAKER that would take liquidity at once: the venue itself refuses it, with its error code.
    const refused = await e.call('POST', '/v1/orders', { symbol: SYMBOL, side: 'BUY', type: 'LIMIT_MAKER', quantity: '0.01', price: '60000', venue: 'paper' });
    expect(refused.status).toBe(202);
    await e.waitForStatus(refused.body.id, ['REJECTED']);

    // A WebSocket client of /v1/stream, open while the API is scraped.
    const stream = await startStreamApi(e, undefined, api);
    const ws = new WebSocket(stream.url, { headers: { authorization: `Bearer ${(await e.registerUser()).token}` } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));

    // A workflow task that fails (a refresh started without its input throws a TypeError, which
    // fails the task, not the workflow): what a mixed rollout's nondeterminism errors look like
    // on the dashboard, under another failure_reason. Terminated once counted.
    const broken = await e.temporal.workflow.start('refreshPrices', { taskQueue: e.config.taskQueues.marketData, workflowId: `test-metrics-broken-${randomUUID()}`, args: [] });

    // A second login for one email within LOGIN_RATE_LIMIT (1/1h) is refused.
    const user = await e.registerUser();
    const login = () => e.request('POST', '/v1/auth/login', { body: { email: user.email, password: user.password } });
    expect((await login()).status).toBe(200);
    expect((await login()).status).toBe(429);

    const fromApi = await scrapeApi();
    expect(sum(fromApi, 'durable_trader_http_requests_total', /route="\/v1\/orders",status="202"/)).toBeGreaterThanOrEqual(1);
    // The route template, never the raw URL with the order's id.
    expect(sum(fromApi, 'durable_trader_http_requests_total', /route="\/v1\/orders\/:id"/)).toBeGreaterThanOrEqual(1);
    expect(fromApi.some((s) => s.labels.includes(placed.body.id))).toBe(false);
    expect(sum(fromApi, 'durable_trader_http_request_duration_seconds_count', /route="\/v1\/orders"/)).toBeGreaterThanOrEqual(1);
    expect(sum(fromApi, 'durable_trader_rate_limit_rejections_total', /limit="login-email"/)).toBe(1);
    expect(sum(fromApi, 'durable_trader_websocket_connections')).toBe(1);
    ws.close();
    await stream.close();

    // The recalculation follows the fill through the portfolio workflow: wait for it.
    const fromWorker = await waitFor(scrapeWorker, (all) => sum(all, 'durable_trader_portfolio_recalculation_duration_seconds_count') > 0, { timeoutMs: 30_000, what: 'a portfolio recalculation' });
    expect(sum(fromWorker, 'durable_trader_orders_terminal_total', /status="FILLED",venue="paper"/)).toBeGreaterThanOrEqual(1);
    expect(sum(fromWorker, 'durable_trader_order_submit_duration_seconds_count', /venue="paper",outcome="acked"/)).toBeGreaterThanOrEqual(1);
    expect(sum(fromWorker, 'durable_trader_price_age_seconds', /provider="binance"/)).toBeGreaterThanOrEqual(0);
    expect(fromWorker.some((s) => s.name === 'durable_trader_price_age_seconds' && s.labels.includes('provider="binance"'))).toBe(true);
    expect(sum(fromWorker, 'durable_trader_request_budget_used', /limiter="REQUEST_WEIGHT:1M"/)).toBeGreaterThan(0);
    expect(sum(fromWorker, 'durable_trader_reconciler_findings_total', /venue="paper",kind="external"/)).toBeGreaterThanOrEqual(1);
    expect(sum(fromWorker, 'durable_trader_core_metrics_up')).toBe(1);
    expect(sum(fromWorker, 'durable_trader_venue_errors_total', /venue="paper"/)).toBeGreaterThanOrEqual(1);

    // The Temporal Core's own metrics, with the names the dashboard uses.
    for (const name of ['temporal_workflow_task_schedule_to_start_latency_count', 'temporal_activity_schedule_to_start_latency_count', 'temporal_workflow_completed_total']) {
      expect(sum(fromWorker, name), name).toBeGreaterThan(0);
    }
    const failed = await waitFor(scrapeWorker, (all) => sum(all, 'temporal_workflow_task_execution_failed_total', /failure_reason="WorkflowError"/) > 0, { timeoutMs: 30_000, what: 'a failed workflow task counted' });
    expect(failed.find((s) => s.name === 'temporal_workflow_task_execution_failed_total')?.labels).toMatch(/task_queue="[^"]+"/);
    await broken.terminate('metrics test: a workflow task failure was wanted, and counted');
    // Every Core metric the dashboard and README rely on is one the Core exports.
    const exported = new Set(failed.map((s) => s.name.replace(/_(bucket|sum|count)$/, '')));
    expect(TEMPORAL_CORE_METRICS.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('answers /ready 200 while the workers poll, and 503 once they stopped', { timeout: 60_000 }, async () => {
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    await e.workers.stop();
    expect((await fetch(`${server.url}/ready`)).status).toBe(503);
  });
});
