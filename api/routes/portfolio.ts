/**
 * /v1/portfolio and /v1/positions: the latest result of the account's portfolio workflow (stored
 * by its recalculation activity), its value over time, the accounting method, and a full
 * recompute on demand through the workflow's `recalculate` Update (update-with-start).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { findPortfolioResult, listSnapshots } from '../../store/portfolio.js';
import { hasLedgerAfter } from '../../store/trades.js';
import { createWorkflowClients } from '../../workflows/clients.js';
import { temporalUiLinks } from '../../lib/temporal-ui.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { portfolioWorkflowId, type PortfolioResult, type RecalculateRequest } from '../../workflows/definitions.js';
import { decodeCursor, encodeCursor, pageOf } from '../cursor.js';
import { ApiError } from '../errors.js';
import { bearerAuth, errors, json, noQuery } from '../openapi/responses.js';
import { accountIdOf } from '../principal.js';
import { portfolioChooser } from '../portfolio-choice.js';
import type { PortfolioBook } from '../../store/portfolio-books.js';
import type { PositionSummary } from '../../domain/portfolio/summary.js';
import { createRouter } from '../router.js';
import { uuidParam } from '../schemas/common.js';
import {
  historyQuery,
  portfolioHistorySchema,
  portfolioSchema,
  portfolioSettingsSchema,
  positionSchema,
  recalculateBody,
  recalculatedSchema,
  settingsChangedSchema,
  settingsSchema,
} from '../schemas/portfolio.js';

export interface PortfolioRoutesOptions {
  config: Config;
  sql: Sql;
  temporal: Client;
}

const ACCOUNT_ID = '7e57a1c3-2b4d-4e6f-8a9b-0c1d2e3f4a5b';
const NOW = '2025-05-01T14:30:00.000Z';
const WORKFLOW_ID = `portfolio-${ACCOUNT_ID}`;
export const examplePortfolio: z.output<typeof portfolioSchema> = {
  baseCurrency: 'USD',
  totalValue: '10250.5',
  totalCost: '9800',
  realizedPnl: '120',
  unrealizedPnl: '450.5',
  feesPaid: '9.8',
  capitalInvested: '9800',
  roiPct: '5.8214',
  winRate: '0.6667',
  trades: '12',
  closedTrades: '3',
  method: 'average',
  usdtUsdRate: '1',
  usdtRateAssumed: false,
  missingPrices: [],
  feesUnpriced: false,
  unpricedFees: {},
  asOf: NOW,
  fillsPending: false,
  recalculation: { mode: 'incremental', fullReason: null, applied: 1, cursor: '42' },
  dividends: '38.4',
  cashValue: '1200',
  netWorth: '11450.5',
  deposits: '10000',
  withdrawals: '0',
  implicitFunding: '1000',
  netFlows: '11000',
  cash: [{ currency: 'USD', balance: '1200', usdRate: '1', deposits: '10000', withdrawals: '0', implicitFunding: '1000', dividends: '38.4', fees: '0' }],
  portfolio: { id: ACCOUNT_ID, name: 'Main', isDefault: true },
  workflowId: WORKFLOW_ID,
  links: {
    self: `/v1/portfolios/${ACCOUNT_ID}`,
    positions: `/v1/portfolios/${ACCOUNT_ID}/positions`,
    history: `/v1/portfolios/${ACCOUNT_ID}/history`,
    performance: `/v1/portfolios/${ACCOUNT_ID}/performance`,
    temporalUi: `http://localhost:8233/namespaces/default/workflows/${WORKFLOW_ID}`,
  },
};
const examplePosition: z.output<typeof positionSchema> = {
  symbol: 'BTCUSDT',
  venue: 'paper',
  quoteAsset: 'USDT',
  quantity: '0.01',
  avgCost: '60000',
  marketPrice: '61000',
  priceSource: 'market',
  marketValue: '610',
  costBasis: '600',
  unrealizedPnl: '10',
  realizedPnl: '0',
  feesPaid: '0.6',
  dividends: '0',
  allocationPct: '100',
};
const tags = ['portfolio'];
const CANNOT_COMPUTE = 'The portfolio cannot be computed (e.g. a sell larger than the holding)';

const getPortfolio = createRoute({
  method: 'get',
  path: '/',
  tags,
  operationId: 'getPortfolio',
  summary: "Your portfolio's latest totals",
  security: bearerAuth,
  request: { query: noQuery },
  responses: { 200: json('Totals, in USD', portfolioSchema, examplePortfolio), ...errors({ auth: true }, { 422: CANNOT_COMPUTE }) },
});

const getHistory = createRoute({
  method: 'get',
  path: '/history',
  tags,
  operationId: 'getPortfolioHistory',
  summary: "Your portfolio's value over time",
  security: bearerAuth,
  request: { query: historyQuery },
  responses: {
    200: json('Snapshots, oldest first', portfolioHistorySchema, {
      baseCurrency: 'USD',
      data: [{ at: NOW, totalValue: '10250.5', totalCost: '9800', realizedPnl: '120', unrealizedPnl: '450.5', feesPaid: '9.8', roiPct: '5.8214', trades: '12', netWorth: '11450.5', netFlows: '11000' }],
      nextCursor: null,
    }),
    ...errors({ auth: true }, { 400: 'cursor is not one this API returned' }),
  },
});

const recalculateRoute = createRoute({
  method: 'post',
  path: '/recalculate',
  tags,
  operationId: 'recalculatePortfolio',
  summary: 'Recompute your portfolio from every trade now',
  security: bearerAuth,
  request: { query: noQuery, body: { required: false, content: { 'application/json': { schema: recalculateBody, example: {} } } } },
  responses: {
    200: json('The fresh result with positions', recalculatedSchema, { ...examplePortfolio, recalculation: { mode: 'full', fullReason: 'requested', applied: 12, cursor: '42' }, positions: [{ ...examplePosition, usdRate: '1', trades: '1' }] }),
    ...errors({ auth: true, body: true }, { 422: CANNOT_COMPUTE }),
  },
});

const getSettings = createRoute({
  method: 'get',
  path: '/settings',
  tags,
  operationId: 'getPortfolioSettings',
  summary: 'Your accounting method',
  security: bearerAuth,
  request: { query: noQuery },
  responses: { 200: json('The method', settingsSchema, { method: 'average' }), ...errors({ auth: true }, { 422: CANNOT_COMPUTE }) },
});

const putSettings = createRoute({
  method: 'put',
  path: '/settings',
  tags,
  operationId: 'putPortfolioSettings',
  summary: 'Switch the accounting method (full recompute)',
  security: bearerAuth,
  request: { query: noQuery, body: { required: true, content: { 'application/json': { schema: portfolioSettingsSchema, example: { method: 'fifo' } } } } },
  responses: {
    200: json('The method and the recomputed portfolio', settingsChangedSchema, { method: 'fifo', portfolio: { ...examplePortfolio, method: 'fifo' } }),
    ...errors({ auth: true, body: true }, { 422: CANNOT_COMPUTE }),
  },
});

const listPositions = createRoute({
  method: 'get',
  path: '/',
  tags,
  operationId: 'listPositions',
  summary: 'Your open positions',
  security: bearerAuth,
  request: { query: noQuery },
  responses: { 200: json('Positions', z.array(positionSchema), [examplePosition]), ...errors({ auth: true }, { 422: CANNOT_COMPUTE }) },
});

/** What the portfolio route groups share: the current result, recalculation with our error shape, and the presenters. */
export function portfolioAccess({ config, sql, temporal }: PortfolioRoutesOptions) {
  const { portfolios } = createWorkflowClients(temporal, config);
  const portfolioFor = portfolioChooser(sql);
  async function recalculate(accountId: string, request: RecalculateRequest, portfolioId: string = accountId): Promise<PortfolioResult> {
    try {
      return await portfolios.recalculate(accountId, request, portfolioId);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
        throw new ApiError(422, 'portfolio_recalculation_failed', `The portfolio cannot be computed: ${cause?.message ?? err.message}`, cause?.type ? { type: cause.type } : undefined);
      }
      throw err;
    }
  }

  /** The stored result; a portfolio never recalculated gets its workflow started and a first result. 404 for another account's. */
  async function current(accountId: string, portfolioId?: string): Promise<{ book: PortfolioBook; result: PortfolioResult }> {
    const book = await portfolioFor(accountId, portfolioId);
    const stored = await findPortfolioResult(sql, accountId, book.id);
    if (stored) return { book, result: stored.result };
    return { book, result: await recalculate(accountId, {}, book.id) };
  }

  const uiLink = temporalUiLinks(config).workflow;
  const linksOf = (portfolioId: string) => {
    const self = `/v1/portfolios/${portfolioId}`;
    return { self, positions: `${self}/positions`, history: `${self}/history`, performance: `${self}/performance`, temporalUi: uiLink(portfolioWorkflowId(portfolioId)) };
  };

  /**
   * `fillsPending`: entries were recorded after this result was computed. Normally a recalculation
   * is a debounce away; if it stays true, the last ones failed (POST /recalculate says why).
   */
  async function present(book: PortfolioBook, r: PortfolioResult) {
    const t = r.totals;
    const fillsPending = await hasLedgerAfter(sql, book.account_id, r.cursor, book.id);
    const workflowId = portfolioWorkflowId(book.id);
    return {
      baseCurrency: t.baseCurrency,
      totalValue: t.totalValue,
      totalCost: t.totalCost,
      realizedPnl: t.realizedPnl,
      unrealizedPnl: t.unrealizedPnl,
      feesPaid: t.feesPaid,
      capitalInvested: t.capitalInvested,
      roiPct: t.roiPct,
      winRate: t.winRate,
      trades: t.trades,
      closedTrades: t.closedTrades,
      // Results stored before cash was tracked lack these until the next recalculation.
      dividends: t.dividends ?? '0',
      cashValue: t.cashValue ?? '0',
      netWorth: t.netWorth ?? t.totalValue,
      deposits: t.deposits ?? '0',
      withdrawals: t.withdrawals ?? '0',
      implicitFunding: t.implicitFunding ?? '0',
      netFlows: r.netFlows ?? '0',
      cash: t.cash ?? [],
      method: r.method,
      usdtUsdRate: r.usdtUsdRate,
      usdtRateAssumed: t.usdtRateAssumed,
      missingPrices: t.missingPrices,
      feesUnpriced: t.feesUnpriced,
      unpricedFees: t.unpricedFees,
      asOf: r.asOf,
      fillsPending,
      recalculation: { mode: r.mode, fullReason: r.fullReason, applied: r.applied, cursor: r.cursor },
      portfolio: { id: book.id, name: book.name, isDefault: book.is_default },
      workflowId,
      links: linksOf(book.id),
    };
  }

  return { current, recalculate, present, linksOf, portfolioFor };
}

/** A position as GET …/positions shows it. */
export function presentPosition(p: PositionSummary) {
  return {
    symbol: p.symbol,
    venue: p.venue,
    quoteAsset: p.quoteAsset,
    quantity: p.quantity,
    avgCost: p.avgCost,
    marketPrice: p.marketPrice,
    priceSource: p.priceSource,
    marketValue: p.marketValue,
    costBasis: p.costBasis,
    unrealizedPnl: p.unrealizedPnl,
    realizedPnl: p.realizedPnl,
    feesPaid: p.feesPaid,
    dividends: p.dividends ?? '0',
    allocationPct: p.allocationPct,
  };
}

/** A position with its USD rate and trade count, as a recalculation returns it. */
export const presentPositionDetail = (p: PositionSummary) => ({ ...presentPosition(p), usdRate: p.usdRate, trades: p.trades });

/** One value-series page (GET …/history). */
export async function historyPage(sql: Sql, accountId: string, portfolioId: string, q: { from?: string | undefined; to?: string | undefined; limit: number; cursor?: string | undefined }) {
  const cursor = q.cursor ? decodeCursor(q.cursor, (k) => uuidParam.safeParse(k).success) : undefined;
  const after = cursor && { at: cursor.at, id: cursor.key };
  const from = q.from ? new Date(q.from) : undefined;
  const to = q.to ? new Date(q.to) : undefined;
  const rows = await listSnapshots(sql, accountId, { from, to, limit: q.limit, after }, portfolioId);
  const { page, nextCursor } = pageOf(rows, q.limit, (r) => encodeCursor(r.at, r.id));
  return {
    baseCurrency: 'USD' as const,
    data: page.map((s) => ({
      at: s.at.toISOString(),
      totalValue: s.total_value,
      totalCost: s.total_cost,
      realizedPnl: s.realized_pnl,
      unrealizedPnl: s.unrealized_pnl,
      feesPaid: s.fees_paid,
      roiPct: s.roi_pct,
      trades: String(s.trades),
      netWorth: s.net_worth,
      netFlows: s.net_flows,
    })),
    nextCursor,
  };
}

/**
 * /v1/portfolio: your default portfolio (the same as /v1/portfolios/{your account id}).
 * @example app.route('/v1/portfolio', portfolioRoutes({ config, sql, temporal }))
 */
export function portfolioRoutes(options: PortfolioRoutesOptions) {
  const { sql } = options;
  const { current, recalculate, present, portfolioFor } = portfolioAccess(options);

  return createRouter()
    .openapi(getPortfolio, async (c) => {
      const { book, result } = await current(accountIdOf(c));
      return c.json(await present(book, result), 200);
    })

    .openapi(getHistory, async (c) => {
      const accountId = accountIdOf(c);
      return c.json(await historyPage(sql, accountId, accountId, c.req.valid('query')), 200);
    })

    .openapi(recalculateRoute, async (c) => {
      const accountId = accountIdOf(c);
      const book = await portfolioFor(accountId, undefined);
      const result = await recalculate(accountId, {});
      return c.json({ ...(await present(book, result)), positions: result.positions.map(presentPositionDetail) }, 200);
    })

    .openapi(getSettings, async (c) => {
      const { result } = await current(accountIdOf(c));
      return c.json({ method: result.method }, 200);
    })

    .openapi(putSettings, async (c) => {
      const body = c.req.valid('json');
      const accountId = accountIdOf(c);
      const book = await portfolioFor(accountId, undefined);
      // Through the workflow, so the switch and its full recompute never race a running recalculation.
      const result = await recalculate(accountId, { method: body.method });
      return c.json({ method: result.method, portfolio: await present(book, result) }, 200);
    });
}

/**
 * @example app.route('/v1/positions', positionRoutes({ config, sql, temporal }))
 */
export function positionRoutes(options: PortfolioRoutesOptions) {
  const { current } = portfolioAccess(options);
  return createRouter().openapi(listPositions, async (c) => {
    const { result } = await current(accountIdOf(c));
    return c.json(result.positions.map(presentPosition), 200);
  });
}
