/**
 * /v1/portfolios: the portfolios of an account. Every account has a default one (its id is the
 * account id, and /v1/portfolio is a shortcut to it); more are made here. Each one has its own
 * ledger entries, accounting method, value series and recalculation workflow `portfolio-<id>`.
 * Another account's portfolio answers 404, exactly like one that does not exist.
 */
import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createWorkflowClients } from '../../workflows/clients.js';
import { emptyState, serializeState } from '../../domain/portfolio/accounting.js';
import { portfolioWorkflowId } from '../../domain/orders.js';
import { archivePortfolio, insertPortfolio, listPortfolios, lockPortfolioEntries, portfolioUsage, renamePortfolio, type PortfolioBook } from '../../store/portfolio-books.js';
import { isUniqueViolation } from '../../lib/db.js';
import { ApiError } from '../errors.js';
import { bearerAuth, empty, errors, json, noQuery } from '../openapi/responses.js';
import { accountIdOf } from '../principal.js';
import { portfolioNotFound } from '../portfolio-choice.js';
import { createRouter } from '../router.js';
import { uuidParam } from '../schemas/common.js';
import {
  createPortfolioSchema,
  historyQuery,
  performanceQuery,
  performanceSchema,
  portfolioBookSchema,
  portfolioHistorySchema,
  portfolioSchema,
  portfolioSettingsSchema,
  positionSchema,
  recalculatedSchema,
  renamePortfolioSchema,
  settingsChangedSchema,
} from '../schemas/portfolio.js';
import { examplePortfolio, historyPage, portfolioAccess, presentPosition, presentPositionDetail, type PortfolioRoutesOptions } from './portfolio.js';

const tags = ['portfolio'];
const ID = '3d5e7f90-1a2b-4c3d-8e4f-5a6b7c8d9e0f';
const NOW = '2025-05-01T14:30:00.000Z';
const WORKFLOW_ID = `portfolio-${ID}`;
const exampleLinks = {
  self: `/v1/portfolios/${ID}`,
  positions: `/v1/portfolios/${ID}/positions`,
  history: `/v1/portfolios/${ID}/history`,
  performance: `/v1/portfolios/${ID}/performance`,
  temporalUi: `http://localhost:8233/namespaces/default/workflows/${WORKFLOW_ID}`,
};
const exampleBook: z.output<typeof portfolioBookSchema> = {
  id: ID,
  name: 'Long term',
  isDefault: false,
  method: 'average',
  createdAt: NOW,
  netWorth: '11450.5',
  asOf: NOW,
  workflowId: WORKFLOW_ID,
  links: exampleLinks,
};
const exampleSummary: z.output<typeof portfolioSchema> = {
  ...examplePortfolio,
  portfolio: { id: ID, name: 'Long term', isDefault: false },
  workflowId: WORKFLOW_ID,
  links: exampleLinks,
};
const examplePosition: z.output<typeof positionSchema> = {
  symbol: 'AAPL',
  venue: 'manual',
  quoteAsset: 'USD',
  quantity: '40',
  avgCost: '47.4',
  marketPrice: '190',
  priceSource: 'market',
  marketValue: '7600',
  costBasis: '1896',
  unrealizedPnl: '5704',
  realizedPnl: '0',
  feesPaid: '1',
  dividends: '38.4',
  allocationPct: '100',
};
const idParams = z.object({ id: uuidParam.openapi({ description: 'A portfolio id (your default portfolio has your account id)' }) });
const NOT_FOUND = 'No portfolio with this id in your account';
const CANNOT_COMPUTE = 'The portfolio cannot be computed (e.g. a sell larger than the holding)';

const listRoute = createRoute({
  method: 'get',
  path: '/',
  tags,
  operationId: 'listPortfolios',
  summary: 'Your portfolios, the default one first',
  security: bearerAuth,
  request: { query: noQuery },
  responses: { 200: json('Portfolios', z.strictObject({ data: z.array(portfolioBookSchema) }), { data: [exampleBook] }), ...errors({ auth: true }) },
});

const createRouteDef = createRoute({
  method: 'post',
  path: '/',
  tags,
  operationId: 'createPortfolio',
  summary: 'Open another portfolio',
  security: bearerAuth,
  request: { query: noQuery, body: { required: true, content: { 'application/json': { schema: createPortfolioSchema, example: { name: 'Long term', method: 'fifo' } } } } },
  responses: {
    201: json('Created; entries and orders book into it when they name its id', portfolioBookSchema, { ...exampleBook, netWorth: null, asOf: null }),
    ...errors({ auth: true, body: true }, { 409: 'You already have a portfolio of that name' }),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  operationId: 'getPortfolioById',
  summary: "A portfolio's latest totals",
  security: bearerAuth,
  request: { query: noQuery, params: idParams },
  responses: { 200: json('Totals, in USD', portfolioSchema, exampleSummary), ...errors({ auth: true }, { 404: NOT_FOUND, 422: CANNOT_COMPUTE }) },
});

const renameRoute = createRoute({
  method: 'patch',
  path: '/{id}',
  tags,
  operationId: 'renamePortfolio',
  summary: 'Rename a portfolio',
  security: bearerAuth,
  request: { query: noQuery, params: idParams, body: { required: true, content: { 'application/json': { schema: renamePortfolioSchema, example: { name: 'Retirement' } } } } },
  responses: {
    200: json('Renamed', portfolioBookSchema, { ...exampleBook, name: 'Retirement' }),
    ...errors({ auth: true, body: true }, { 404: NOT_FOUND, 409: 'You already have a portfolio of that name' }),
  },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/{id}',
  tags,
  operationId: 'deletePortfolio',
  summary: 'Delete an empty portfolio',
  description: 'History is never deleted: a portfolio with ledger entries or orders is kept (409), and so is the default one.',
  security: bearerAuth,
  request: { query: noQuery, params: idParams },
  responses: { 204: empty('Deleted'), ...errors({ auth: true }, { 404: NOT_FOUND, 409: 'The default portfolio, or one with entries or orders' }) },
});

const positionsRoute = createRoute({
  method: 'get',
  path: '/{id}/positions',
  tags,
  operationId: 'listPortfolioPositions',
  summary: "A portfolio's positions",
  security: bearerAuth,
  request: { query: noQuery, params: idParams },
  responses: { 200: json('Positions', z.array(positionSchema), [examplePosition]), ...errors({ auth: true }, { 404: NOT_FOUND, 422: CANNOT_COMPUTE }) },
});

const historyRoute = createRoute({
  method: 'get',
  path: '/{id}/history',
  tags,
  operationId: 'getPortfolioHistoryById',
  summary: "A portfolio's value over time (every recalculation)",
  security: bearerAuth,
  request: { query: historyQuery, params: idParams },
  responses: {
    200: json('Snapshots, oldest first', portfolioHistorySchema, {
      baseCurrency: 'USD',
      data: [{ at: NOW, totalValue: '10250.5', totalCost: '9800', realizedPnl: '120', unrealizedPnl: '450.5', feesPaid: '9.8', roiPct: '6.2133', trades: '12', netWorth: '11450.5', netFlows: '11000' }],
      nextCursor: null,
    }),
    ...errors({ auth: true }, { 400: 'cursor is not one this API returned', 404: NOT_FOUND }),
  },
});

const recalculateRoute = createRoute({
  method: 'post',
  path: '/{id}/recalculate',
  tags,
  operationId: 'recalculatePortfolioById',
  summary: 'Recompute a portfolio from every entry now',
  security: bearerAuth,
  request: { query: noQuery, params: idParams },
  responses: {
    200: json('The fresh result with positions', recalculatedSchema, {
      ...exampleSummary,
      recalculation: { mode: 'full', fullReason: 'requested', applied: 12, cursor: '42' },
      positions: [{ ...examplePosition, usdRate: '1', trades: '3' }],
    }),
    ...errors({ auth: true }, { 404: NOT_FOUND, 422: CANNOT_COMPUTE }),
  },
});

const settingsRoute = createRoute({
  method: 'put',
  path: '/{id}/settings',
  tags,
  operationId: 'putPortfolioSettingsById',
  summary: "Switch a portfolio's accounting method (full recompute)",
  security: bearerAuth,
  request: { query: noQuery, params: idParams, body: { required: true, content: { 'application/json': { schema: portfolioSettingsSchema, example: { method: 'fifo' } } } } },
  responses: {
    200: json('The method and the recomputed portfolio', settingsChangedSchema, { method: 'fifo', portfolio: { ...exampleSummary, method: 'fifo' } }),
    ...errors({ auth: true, body: true }, { 404: NOT_FOUND, 422: CANNOT_COMPUTE }),
  },
});

const performanceRoute = createRoute({
  method: 'get',
  path: '/{id}/performance',
  tags,
  operationId: 'getPortfolioPerformance',
  summary: 'Time-weighted and money-weighted return over a range',
  description:
    'Computed by the portfolio workflow\'s activity from its value series (net worth and cumulative external flows at each recalculation). ' +
    'Ranges: 1D (last 24 h), WTD (from Monday 00:00 UTC), MTD, YTD, 1Y, MAX, or CUSTOM with from/to. Deposits and withdrawals are flows; dividends are return.',
  security: bearerAuth,
  request: { query: performanceQuery, params: idParams },
  responses: {
    200: json('The figures', performanceSchema, {
      portfolioId: ID,
      baseCurrency: 'USD',
      window: { range: 'YTD', start: '2025-01-01T00:00:00.000Z', end: NOW },
      startedAt: '2025-01-01T00:00:00.000Z',
      startValue: '10000',
      endValue: '11450.5',
      netFlows: '1000',
      gain: '450.5',
      twr: '0.04212345',
      mwr: '0.12804417',
      mwrPeriod: '0.04170021',
      points: 122,
      series: [],
      workflowId: WORKFLOW_ID,
    }),
    ...errors({ auth: true }, { 404: NOT_FOUND, 422: 'A range the series cannot answer (e.g. a CUSTOM range ending in the future)' }),
  },
});

const nameTaken = (name: string) => new ApiError(409, 'portfolio_name_taken', `You already have a portfolio named ${JSON.stringify(name)}; choose another name`);

/**
 * @example app.route('/v1/portfolios', portfoliosRoutes({ config, sql, temporal }))
 */
export function portfoliosRoutes(options: PortfolioRoutesOptions) {
  const { sql } = options;
  const { current, recalculate, present, linksOf, portfolioFor } = portfolioAccess(options);
  const { portfolios } = createWorkflowClients(options.temporal, options.config);

  const presentBook = (b: PortfolioBook) => ({
    id: b.id,
    name: b.name,
    isDefault: b.is_default,
    method: b.method,
    createdAt: b.created_at.toISOString(),
    netWorth: b.summary ? (b.summary.totals.netWorth ?? b.summary.totals.totalValue) : null,
    asOf: b.summary?.asOf ?? null,
    workflowId: portfolioWorkflowId(b.id),
    links: linksOf(b.id),
  });

  return createRouter()
    .openapi(listRoute, async (c) => {
      const accountId = accountIdOf(c);
      await portfolioFor(accountId, undefined); // the default one exists from the first look
      return c.json({ data: (await listPortfolios(sql, accountId)).map(presentBook) }, 200);
    })

    .openapi(createRouteDef, async (c) => {
      const body = c.req.valid('json');
      const accountId = accountIdOf(c);
      await portfolioFor(accountId, undefined);
      const id = randomUUID();
      try {
        const book = await insertPortfolio(sql, accountId, {
          id,
          name: body.name,
          method: body.method ?? 'average',
          workflowId: portfolioWorkflowId(id),
          empty: serializeState(emptyState(body.method ?? 'average')),
        });
        return c.json(presentBook(book), 201);
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(body.name);
        throw err;
      }
    })

    .openapi(getRoute, async (c) => {
      const { book, result } = await current(accountIdOf(c), c.req.valid('param').id);
      return c.json(await present(book, result), 200);
    })

    .openapi(renameRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { name } = c.req.valid('json');
      try {
        const book = await renamePortfolio(sql, accountIdOf(c), id, name);
        if (!book) throw portfolioNotFound(id);
        return c.json(presentBook(book), 200);
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(name);
        throw err;
      }
    })

    .openapi(deleteRoute, async (c) => {
      const { id } = c.req.valid('param');
      const accountId = accountIdOf(c);
      const book = await portfolioFor(accountId, id);
      if (book.is_default) throw new ApiError(409, 'portfolio_is_default', 'Your default portfolio cannot be deleted; it is where orders and entries go unless they name another');
      // Under the lock manual entries take, so none lands between the check and the archive.
      await sql.begin(async (tx) => {
        await lockPortfolioEntries(tx, id);
        const usage = await portfolioUsage(tx, accountId, id);
        if (usage.entries > 0 || usage.orders > 0) {
          throw new ApiError(409, 'portfolio_has_history', `Portfolio ${id} has ${usage.entries} ledger entries and ${usage.orders} orders; history is never deleted, so it is kept`, usage);
        }
        if (!(await archivePortfolio(tx, accountId, id))) throw portfolioNotFound(id);
      });
      return c.body(null, 204);
    })

    .openapi(positionsRoute, async (c) => {
      const { result } = await current(accountIdOf(c), c.req.valid('param').id);
      return c.json(result.positions.map(presentPosition), 200);
    })

    .openapi(historyRoute, async (c) => {
      const accountId = accountIdOf(c);
      const book = await portfolioFor(accountId, c.req.valid('param').id);
      return c.json(await historyPage(sql, accountId, book.id, c.req.valid('query')), 200);
    })

    .openapi(recalculateRoute, async (c) => {
      const accountId = accountIdOf(c);
      const book = await portfolioFor(accountId, c.req.valid('param').id);
      const result = await recalculate(accountId, {}, book.id);
      return c.json({ ...(await present(book, result)), positions: result.positions.map(presentPositionDetail) }, 200);
    })

    .openapi(performanceRoute, async (c) => {
      const accountId = accountIdOf(c);
      const book = await portfolioFor(accountId, c.req.valid('param').id);
      const q = c.req.valid('query');
      try {
        const r = await portfolios.performance(accountId, { range: q.range, from: q.from, to: q.to, withSeries: q.series === 'true' }, book.id);
        return c.json({ portfolioId: book.id, baseCurrency: 'USD' as const, ...r, workflowId: portfolioWorkflowId(book.id) }, 200);
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
          throw new ApiError(422, 'performance_unavailable', `The performance cannot be computed: ${cause?.message ?? err.message}`, cause?.type ? { type: cause.type } : undefined);
        }
        throw err;
      }
    })

    .openapi(settingsRoute, async (c) => {
      const accountId = accountIdOf(c);
      const book = await portfolioFor(accountId, c.req.valid('param').id);
      const result = await recalculate(accountId, { method: c.req.valid('json').method }, book.id);
      return c.json({ method: result.method, portfolio: await present(book, result) }, 200);
    });
}
