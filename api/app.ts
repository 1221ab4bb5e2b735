/**
 * The Hono application: middleware, routes and the one error handler. Built from its dependencies
 * so tests can run it with `app.request()` or serve it over real HTTP.
 */
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import type { Client } from '@temporalio/client';
import { createPriceSources, type PriceSources } from '../venues/market-data/sources.js';
import { createPgRequestLedger } from '../store/request-budget.js';
import type { Config } from '../lib/config.js';
import type { Sql } from '../lib/db.js';
import { withLogContext, type Logger } from '../lib/logger.js';
import { CODEC_TOKEN_AUDIENCE, credentialBoxFor, payloadCodecFor, tokenServiceFor } from '../lib/secrets.js';
import type { TokenService } from '../lib/security/jwt.js';
import { ApiError, createErrorHandler, errorBody } from './errors.js';
import { requireAuth } from './middleware/auth/index.js';
import { jsonBody } from './middleware/json-body/index.js';
import { singleValuedQuery } from './middleware/query/index.js';
import { countRejections, createPgRateLimiter, rateLimit, type RateLimiter } from './middleware/rate-limit/index.js';
import { requestMetrics } from './middleware/metrics/index.js';
import { metricsRoutes } from './routes/metrics.js';
import { createApiMetrics, type ApiMetrics } from '../lib/metrics.js';
import { noSniff, noStore } from './middleware/security-headers/index.js';
import { traceRequests } from './middleware/tracing/index.js';
import { describeApp, openApiDocument } from './openapi/document.js';
import { MAX_BODY_BYTES } from './openapi/responses.js';
import { accountIdOf } from './principal.js';
import { createRouter } from './router.js';
import { authRoutes, meRoutes } from './routes/auth.js';
import { balanceRoutes } from './routes/balances.js';
import { codecRoutes } from './routes/codec.js';
import { dcaRoutes } from './routes/dca.js';
import { docsRoutes } from './routes/docs.js';
import { exchangeCredentialRoutes } from './routes/exchange-credentials.js';
import { healthRoutes } from './routes/health.js';
import { orderPresenter, orderRoutes } from './routes/orders.js';
import { orderListRoutes } from './routes/order-lists.js';
import { twapRoutes } from './routes/twap.js';
import { portfolioRoutes, positionRoutes } from './routes/portfolio.js';
import { portfoliosRoutes } from './routes/portfolios.js';
import { priceRoutes } from './routes/prices.js';
import { priceAlertRoutes } from './routes/price-alerts.js';
import { scheduleRoutes } from './routes/schedules.js';
import { tradeRoutes } from './routes/trades.js';
import { watchlistRoutes } from './routes/watchlist.js';

export interface AppDeps {
  config: Config;
  sql: Sql;
  temporal: Client;
  log: Logger;
  /** Providers for history backfill and watchlist checks; built from config when absent. */
  marketData?: PriceSources;
  /** Access tokens; built from JWT_SECRET (or the key pair) when absent. */
  tokens?: TokenService;
  /** Rate limits; PostgreSQL-backed (shared by every instance) when absent. */
  limiter?: RateLimiter;
  /** The process's metrics, served at GET /metrics; a registry of its own when absent. */
  metrics?: ApiMetrics;
  /** A connection of its own for the request budget's 429/418 back-offs (see createPgRequestLedger); the pool when absent. */
  budgetBlockSql?: Sql;
}

/**
 * @example const app = createApp({ config, sql, temporal, log }); serve({ fetch: app.fetch, port: 3000 });
 */
export function createApp(deps: AppDeps) {
  const { log, config, sql } = deps;
  const tokens = deps.tokens ?? tokenServiceFor(config);
  // Without the process's registry (tests), a registry of this app's own, without process metrics.
  const metrics = deps.metrics ?? createApiMetrics(undefined, { processMetrics: false });
  const limiter = countRejections(deps.limiter ?? createPgRateLimiter({ sql }), metrics.rateLimitRejections);
  const app = createRouter();
  app.use(requestId());
  // Count and time every request by its route template, whatever answers it.
  app.use(requestMetrics({ metrics }));
  // A span per request (OTEL_EXPORTER_OTLP_ENDPOINT): an order's trace starts here.
  app.use(traceRequests());
  // Every line logged while a request is served carries its id (the X-Request-Id header).
  app.use((c, next) => withLogContext({ requestId: c.get('requestId') }, next));
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    log.debug('request', { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) });
  });
  app.use(noSniff());
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', 'Request body is larger than 1 MiB');
      },
    }),
  );
  app.use(singleValuedQuery());
  app.route('/health', healthRoutes(deps));
  app.route('/', metricsRoutes(metrics));
  app.route('/', docsRoutes(() => openApiDocument(app)));
  const auth = { config, sql, tokens, limiter };
  // The codec routes read their bodies (jsonBody) only once the caller is known to be an operator.
  app.route('/codec', codecRoutes({ ...auth, codec: payloadCodecFor(config), cookieTokens: tokenServiceFor(config, undefined, CODEC_TOKEN_AUDIENCE) }));
  // Answers that carry a token or speak of credentials are never cached, failures included.
  for (const path of ['/v1/auth/*', '/v1/me', '/v1/exchange-credentials/*']) app.use(path, noStore());
  // Everything under /v1 but sign-up and login needs a valid access token; bodies are read after it.
  app.use('/v1/*', requireAuth({ tokens, publicPaths: ['/v1/auth/'] }));
  app.use('/v1/*', jsonBody());
  app.route('/v1/auth', authRoutes(auth));
  app.route('/v1/me', meRoutes(deps));
  app.route('/v1/exchange-credentials', exchangeCredentialRoutes({ sql, box: credentialBoxFor(config) }));
  app.use('/v1/orders', rateLimit({ limiter, rule: config.ORDER_RATE_LIMIT, key: (c) => `orders:${accountIdOf(c)}`, what: 'order submissions', methods: ['POST'] }));
  app.route('/v1/orders', orderRoutes(deps));
  app.route('/v1/order-lists', orderListRoutes({ ...deps, presentOrder: orderPresenter(config).present }));
  app.route('/v1/twap-orders', twapRoutes(deps));
  app.route('/v1/trades', tradeRoutes(deps));
  app.route('/v1/portfolio', portfolioRoutes(deps));
  app.route('/v1/portfolios', portfoliosRoutes(deps));
  app.route('/v1/positions', positionRoutes(deps));
  // Price history (klines) spends the Binance request budget the workers share, as polls do.
  const marketData = deps.marketData ?? createPriceSources(deps.config, { requestLedger: createPgRequestLedger(sql, { blockSql: deps.budgetBlockSql }) });
  app.route('/v1/prices', priceRoutes({ ...deps, marketData }));
  app.route('/v1/watchlist', watchlistRoutes({ ...deps, marketData }));
  app.route('/v1/dca-plans', dcaRoutes({ ...deps, marketData }));
  app.route('/v1/alerts', priceAlertRoutes({ ...deps, marketData }));
  // Binance balances are read by a workflow's activity on a worker, which alone opens the key pair.
  app.route('/v1/balances', balanceRoutes(deps));
  app.route('/v1/schedules', scheduleRoutes(deps));
  describeApp(app);
  app.notFound((c) => c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}`), 404));
  app.onError(createErrorHandler(log));
  return app;
}

export type App = ReturnType<typeof createApp>;
