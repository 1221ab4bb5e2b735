/**
 * The Hono application: middleware, routes and the one error handler. Built from its dependencies
 * so tests can run it with `app.request()` or serve it over real HTTP.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import type { Client } from '@temporalio/client';
import { createPriceSources, type PriceSources } from '../activities/market-data/sources.js';
import type { Config } from '../lib/config.js';
import type { Sql } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';
import { ApiError, createErrorHandler, errorBody } from './errors.js';
import { healthRoutes } from './routes/health.js';
import { orderRoutes } from './routes/orders.js';
import { portfolioRoutes, positionRoutes } from './routes/portfolio.js';
import { priceRoutes } from './routes/prices.js';
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
}

/**
 * @example const app = createApp({ config, sql, temporal, log }); serve({ fetch: app.fetch, port: 3000 });
 */
export function createApp(deps: AppDeps) {
  const { log } = deps;
  const app = new Hono();
  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    log.debug('request', { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started), requestId: c.get('requestId') });
  });
  app.use(
    bodyLimit({
      maxSize: 1024 * 1024,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', 'Request body is larger than 1 MiB');
      },
    }),
  );
  app.route('/health', healthRoutes(deps));
  app.route('/v1/orders', orderRoutes(deps));
  app.route('/v1/trades', tradeRoutes(deps));
  app.route('/v1/portfolio', portfolioRoutes(deps));
  app.route('/v1/positions', positionRoutes(deps));
  const marketData = deps.marketData ?? createPriceSources(deps.config);
  app.route('/v1/prices', priceRoutes({ ...deps, marketData }));
  app.route('/v1/watchlist', watchlistRoutes({ ...deps, marketData }));
  app.route('/v1/schedules', scheduleRoutes(deps));
  app.notFound((c) => c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}`), 404));
  app.onError(createErrorHandler(log));
  return app;
}

export type App = ReturnType<typeof createApp>;
