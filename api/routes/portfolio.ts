/**
 * /v1/portfolio and /v1/positions: the latest result of the account's portfolio workflow (stored
 * by its recalculation activity), its value over time, the accounting method, and a full
 * recompute on demand through the workflow's `recalculate` Update (update-with-start).
 */
import { Hono, type Context } from 'hono';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { findPortfolioResult, listSnapshots } from '../../activities/db/portfolio.js';
import { hasLedgerAfter } from '../../activities/db/trades.js';
import { recalculateWithStart } from '../../activities/portfolio/portfolio-activities.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { portfolioWorkflowId, type PortfolioResult, type RecalculateRequest } from '../../workflows/definitions.js';
import { decodeCursor, encodeCursor, pageOf } from '../cursor.js';
import { ApiError } from '../errors.js';
import { accountIdOf } from '../principal.js';
import { uuidParam } from '../schemas/common.js';
import { historyQuery, portfolioSettingsSchema, recalculateBody } from '../schemas/portfolio.js';
import { readJson } from '../validation.js';

export interface PortfolioRoutesOptions {
  config: Config;
  sql: Sql;
  temporal: Client;
}

/** What both route groups share: the current result, and recalculation with our error shape. */
function portfolioAccess({ config, sql, temporal }: PortfolioRoutesOptions) {
  async function recalculate(accountId: string, request: RecalculateRequest): Promise<PortfolioResult> {
    try {
      return await recalculateWithStart(temporal, config, accountId, request);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
        throw new ApiError(422, 'portfolio_recalculation_failed', `The portfolio cannot be computed: ${cause?.message ?? err.message}`, cause?.type ? { type: cause.type } : undefined);
      }
      throw err;
    }
  }

  /** The stored result; an account never recalculated gets its workflow started and a first result. */
  async function current(c: Context): Promise<{ workflowId: string; result: PortfolioResult }> {
    const accountId = accountIdOf(c);
    const stored = await findPortfolioResult(sql, accountId);
    if (stored) return stored;
    return { workflowId: portfolioWorkflowId(accountId), result: await recalculate(accountId, {}) };
  }

  const uiLink = (workflowId: string) =>
    `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}/history`;

  /**
   * `fillsPending`: fills were recorded after this result was computed. Normally a recalculation
   * is a debounce away; if it stays true, the last ones failed (POST /recalculate says why).
   */
  async function present(workflowId: string, r: PortfolioResult) {
    const t = r.totals;
    const fillsPending = await hasLedgerAfter(sql, r.accountId, r.cursor);
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
      method: r.method,
      usdtUsdRate: r.usdtUsdRate,
      usdtRateAssumed: t.usdtRateAssumed,
      missingPrices: t.missingPrices,
      feesUnpriced: t.feesUnpriced,
      unpricedFees: t.unpricedFees,
      asOf: r.asOf,
      fillsPending,
      recalculation: { mode: r.mode, fullReason: r.fullReason, applied: r.applied, cursor: r.cursor },
      workflowId,
      links: { self: '/v1/portfolio', positions: '/v1/positions', history: '/v1/portfolio/history', temporalUi: uiLink(workflowId) },
    };
  }

  return { current, recalculate, present };
}

/**
 * @example app.route('/v1/portfolio', portfolioRoutes({ config, sql, temporal }))
 */
export function portfolioRoutes(options: PortfolioRoutesOptions) {
  const { sql } = options;
  const { current, recalculate, present } = portfolioAccess(options);

  return new Hono()
    .get('/', async (c) => {
      const { workflowId, result } = await current(c);
      return c.json(await present(workflowId, result));
    })

    .get('/history', async (c) => {
      const q = historyQuery.parse(c.req.query());
      const cursor = q.cursor ? decodeCursor(q.cursor, (k) => uuidParam.safeParse(k).success) : undefined;
      const after = cursor && { at: cursor.at, id: cursor.key };
      const from = q.from ? new Date(q.from) : undefined;
      const to = q.to ? new Date(q.to) : undefined;
      const rows = await listSnapshots(sql, accountIdOf(c), { from, to, limit: q.limit, after });
      const { page, nextCursor } = pageOf(rows, q.limit, (r) => encodeCursor(r.at, r.id));
      return c.json({
        baseCurrency: 'USD',
        data: page.map((s) => ({
          at: s.at.toISOString(),
          totalValue: s.total_value,
          totalCost: s.total_cost,
          realizedPnl: s.realized_pnl,
          unrealizedPnl: s.unrealized_pnl,
          feesPaid: s.fees_paid,
          roiPct: s.roi_pct,
          trades: String(s.trades),
        })),
        nextCursor,
      });
    })

    .post('/recalculate', async (c) => {
      recalculateBody.parse(await readJson(c, { optional: true }));
      const accountId = accountIdOf(c);
      const result = await recalculate(accountId, {});
      return c.json({ ...(await present(portfolioWorkflowId(accountId), result)), positions: result.positions });
    })

    .get('/settings', async (c) => {
      const { result } = await current(c);
      return c.json({ method: result.method });
    })

    .put('/settings', async (c) => {
      const body = portfolioSettingsSchema.parse(await readJson(c));
      const accountId = accountIdOf(c);
      // Through the workflow, so the switch and its full recompute never race a running recalculation.
      const result = await recalculate(accountId, { method: body.method });
      return c.json({ method: result.method, portfolio: await present(portfolioWorkflowId(accountId), result) });
    });
}

/**
 * @example app.route('/v1/positions', positionRoutes({ config, sql, temporal }))
 */
export function positionRoutes(options: PortfolioRoutesOptions) {
  const { current } = portfolioAccess(options);
  return new Hono().get('/', async (c) => {
    const { result } = await current(c);
    return c.json(
      result.positions.map((p) => ({
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
        allocationPct: p.allocationPct,
      })),
    );
  });
}
