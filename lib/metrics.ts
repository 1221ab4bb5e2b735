/**
 * The engine's Prometheus metrics (prom-client): one registry per process, with named metric
 * objects that the API's middleware and the worker's activities receive. Workflow code never
 * records metrics (it must stay deterministic); the Temporal SDK's own task metrics come from its
 * Core runtime (see coreMetricsTelemetry and lib/metrics-server.ts), not from here.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BudgetClaim, RequestLedger } from '../domain/request-budget.js';
import { ExchangeRateLimitError, ExchangeRejectedError, ExchangeUnavailableError, ExchangeUnknownOutcomeError } from '../domain/venue-errors.js';

/** Every metric of ours starts with this; the Temporal Core's start with `temporal_`. */
export const METRIC_PREFIX = 'durable_trader_';

/** Latency buckets in seconds, from a local PostgreSQL write to a slow venue. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface MetricsOptions {
  /**
   * prom-client's process metrics (CPU, memory, event-loop lag, GC), prefixed `durable_trader_api_`
   * or `durable_trader_worker_`. Default true; off for the throwaway registries of tests.
   */
  processMetrics?: boolean;
}

/**
 * The API's metrics.
 * @example const metrics = createApiMetrics(); createApp({ …, metrics }); // GET /metrics serves metrics.registry
 */
export function createApiMetrics(registry = new Registry(), { processMetrics = true }: MetricsOptions = {}) {
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX + 'api_' });
  return {
    registry,
    httpRequests: new Counter({
      name: `${METRIC_PREFIX}http_requests_total`,
      help: 'HTTP requests answered, by method, route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'Time to answer an HTTP request, by method, route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    websocketConnections: new Gauge({
      name: `${METRIC_PREFIX}websocket_connections`,
      help: 'Open WebSocket connections to /v1/stream on this instance',
      registers: [registry],
    }),
    rateLimitRejections: new Counter({
      name: `${METRIC_PREFIX}rate_limit_rejections_total`,
      help: 'Requests refused with 429 by a rate limit, by limit (the bucket kind: orders, login-email, auth-ip, …)',
      labelNames: ['limit'] as const,
      registers: [registry],
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/**
 * The worker's business metrics, recorded by activities.
 * @example const metrics = createWorkerMetrics(); createWorkers({ config, sql, connection, metrics, requestBudget: workerRequestBudget({ config, sql, metrics }) });
 */
export function createWorkerMetrics(registry = new Registry(), { processMetrics = true }: MetricsOptions = {}) {
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX + 'worker_' });
  /** Per provider, the `asOf` (epoch ms) of the oldest quote of its latest batch. */
  const priceAsOf = new Map<string, number>();
  return {
    registry,
    ordersTerminal: new Counter({
      name: `${METRIC_PREFIX}orders_terminal_total`,
      help: 'Orders that reached a final status (FILLED, CANCELED, REJECTED, EXPIRED), by status and venue',
      labelNames: ['status', 'venue'] as const,
      registers: [registry],
    }),
    submitDuration: new Histogram({
      name: `${METRIC_PREFIX}order_submit_duration_seconds`,
      help: "Submit-to-ack latency: from sending a new order to the venue's answer, by venue and outcome (acked, rejected, busy, unavailable, unknown)",
      labelNames: ['venue', 'outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    venueErrors: new Counter({
      name: `${METRIC_PREFIX}venue_errors_total`,
      help: "Errors of venue calls, by venue and code (the venue's error code, http_429/http_418, unavailable, unknown_outcome)",
      labelNames: ['venue', 'code'] as const,
      registers: [registry],
    }),
    requestBudgetUsed: new Gauge({
      name: `${METRIC_PREFIX}request_budget_used`,
      help: 'Binance request budget in use in the current window (weight or order count), as last reserved or observed by this process, by scope and limiter',
      labelNames: ['scope', 'limiter'] as const,
      registers: [registry],
    }),
    requestBudgetLimit: new Gauge({
      name: `${METRIC_PREFIX}request_budget_limit`,
      help: "The limit of the request budget's window, by scope and limiter",
      labelNames: ['scope', 'limiter'] as const,
      registers: [registry],
    }),
    recalculationDuration: new Histogram({
      name: `${METRIC_PREFIX}portfolio_recalculation_duration_seconds`,
      help: 'Time of one portfolio recalculation (recalculatePortfolio), by mode and outcome',
      labelNames: ['mode', 'outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    priceAge: new Gauge({
      name: `${METRIC_PREFIX}price_age_seconds`,
      help: "Age, at scrape time, of the oldest quote of each provider's latest batch (grows while a provider fails)",
      labelNames: ['provider'] as const,
      registers: [registry],
      collect() {
        for (const [provider, asOf] of priceAsOf) this.set({ provider }, Math.max(0, (Date.now() - asOf) / 1000));
      },
    }),
    /** Notes a provider's batch: the age gauge follows its oldest quote from now on. */
    notePrices(provider: string, asOfs: readonly string[]): void {
      const times = asOfs.map((a) => Date.parse(a)).filter((t) => Number.isFinite(t));
      if (times.length > 0) priceAsOf.set(provider, Math.min(...times));
    },
    reconcilerFindings: new Counter({
      name: `${METRIC_PREFIX}reconciler_findings_total`,
      help: 'What the reconciler found, by venue and kind: restarted (tracking restarted), external (venue orders we never placed), open_but_final (final here, open on the venue)',
      labelNames: ['venue', 'kind'] as const,
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

/**
 * A venue error as a bounded label: the venue's own code, the HTTP status of a rate limit, or the
 * error's kind. Undefined for what is not a venue error.
 * @example venueErrorCode(new ExchangeRejectedError(-2010, 'insufficient balance')) // '-2010'
 */
export function venueErrorCode(err: unknown): string | undefined {
  if (err instanceof ExchangeRejectedError) return String(err.code);
  if (err instanceof ExchangeRateLimitError) return `http_${err.httpStatus}`;
  if (err instanceof ExchangeUnknownOutcomeError) return 'unknown_outcome';
  if (err instanceof ExchangeUnavailableError) return 'unavailable';
  return undefined;
}

/**
 * The request ledger, reporting each reservation's count to the budget gauges.
 * @example createPriceSources(config, { requestLedger: instrumentLedger(createPgRequestLedger(sql), metrics) })
 */
export function instrumentLedger(ledger: RequestLedger, metrics: Pick<WorkerMetrics, 'requestBudgetUsed' | 'requestBudgetLimit'> | undefined): RequestLedger {
  if (!metrics) return ledger;
  const labels = (c: Pick<BudgetClaim, 'scope' | 'limiter'>) => ({ scope: c.scope, limiter: c.limiter });
  return {
    ...ledger,
    async reserve(c) {
      const state = await ledger.reserve(c);
      metrics.requestBudgetUsed.set(labels(c), state.used);
      metrics.requestBudgetLimit.set(labels(c), c.limit);
      return state;
    },
    async observe(c, windowStart, used) {
      await ledger.observe(c, windowStart, used);
      metrics.requestBudgetUsed.set(labels(c), used);
    },
  };
}

/**
 * The Temporal Core's Prometheus exporter for Runtime.install, on loopback: the worker's /metrics
 * serves it merged with its own (lib/metrics-server.ts), so each worker is one scrape target.
 * Counters get `_total`, durations are in seconds, as prom-client's are.
 * @example Runtime.install({ telemetryOptions: coreMetricsTelemetry(config.TEMPORAL_METRICS_PORT), … })
 */
export function coreMetricsTelemetry(port: number) {
  return {
    metrics: {
      prometheus: { bindAddress: `127.0.0.1:${port}`, countersTotalSuffix: true, useSecondsForDurations: true },
    },
  };
}

/**
 * The Temporal Core metrics (as coreMetricsTelemetry names them) that the dashboard and the README
 * use; test/integration/metrics.test.ts checks the Core exports each, the dashboard test that
 * nothing else is queried.
 */
export const TEMPORAL_CORE_METRICS = [
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_activity_schedule_to_start_latency',
  'temporal_workflow_task_execution_latency',
  'temporal_activity_execution_latency',
  'temporal_worker_task_slots_available',
  'temporal_workflow_completed_total',
  'temporal_num_pollers',
  // By failure_reason: NonDeterminismError is an old worker meeting a newer worker's history (README, "Rolling out a new version").
  'temporal_workflow_task_execution_failed_total',
] as const;
