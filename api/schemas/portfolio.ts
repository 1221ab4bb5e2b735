/** What /v1/trades, /v1/portfolio and /v1/positions read and answer. */
import { z } from '@hono/zod-openapi';
import { countString, cursorParam, decimal, isoTime, nextCursor, positiveDecimal, queryLimit, sideSchema, symbolSchema, temporalUiLink, unsignedDecimal } from './common.js';

/** How far in the future a trade's executedAt may be (clock skew between the caller and us). */
export const FUTURE_SKEW_MS = 60_000;

/** Zero or a positive decimal as a JSON string, with positiveDecimal's limits. */
export const nonNegativeDecimal = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a decimal string such as "0.1" (not a JSON number)') })
  .regex(/^(0|[1-9]\d{0,19})(\.\d{1,18})?$/, 'must be a plain decimal string such as "0.1" (at most 20 integer and 18 fraction digits)');

export const assetSchema = z.string().regex(/^[A-Z0-9]{1,20}$/, 'must be an upper-case asset such as "USDT" or "BNB"');

const isoTimeIn = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 time with a zone, such as "2024-05-01T14:30:00Z"' });

export const createTradeSchema = z
  .strictObject({
    symbol: symbolSchema,
    side: sideSchema,
    quantity: positiveDecimal,
    price: positiveDecimal,
    fee: nonNegativeDecimal.optional(),
    feeAsset: assetSchema.optional().openapi({ description: 'Required when fee is above zero' }),
    executedAt: isoTimeIn.optional().openapi({ description: 'Not in the future; now when left out' }),
  })
  .superRefine((t, ctx) => {
    if (t.fee !== undefined && /[1-9]/.test(t.fee) && t.feeAsset === undefined) {
      ctx.addIssue({ code: 'custom', path: ['feeAsset'], message: 'is required when fee is above zero' });
    }
    if (t.executedAt !== undefined && Date.parse(t.executedAt) > Date.now() + FUTURE_SKEW_MS) {
      ctx.addIssue({ code: 'custom', path: ['executedAt'], message: 'must not be in the future' });
    }
  });

export type CreateTradeBody = z.infer<typeof createTradeSchema>;

export const tradeVenues = ['paper', 'binance', 'manual'] as const;

export const listTradesQuery = z.strictObject({
  symbol: symbolSchema.optional(),
  venue: z.enum(tradeVenues).optional(),
  limit: queryLimit(200, 50),
  cursor: cursorParam,
});

export const accountingMethod = z.enum(['average', 'fifo']).openapi({ description: 'average cost, or first in first out' });

export const portfolioSettingsSchema = z.strictObject({ method: accountingMethod });

/** POST /v1/portfolio/recalculate takes no options: an empty body or `{}`. */
export const recalculateBody = z.strictObject({}).optional();

export const historyQuery = z
  .strictObject({
    from: isoTimeIn.optional(),
    to: isoTimeIn.optional(),
    limit: queryLimit(5000, 1000),
    cursor: cursorParam,
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) <= Date.parse(q.to), { path: ['to'], message: 'must not be before from' });

// --- Answers --------------------------------------------------------------------------------------

const ledgerEntryFields = {
  symbol: z.string(),
  side: sideSchema,
  quantity: unsignedDecimal,
  price: unsignedDecimal,
  fee: unsignedDecimal,
  feeAsset: z.string().nullable(),
  executedAt: isoTime,
};

export const tradeSchema = z
  .strictObject({
    id: z.uuid(),
    venue: z.literal('manual'),
    ...ledgerEntryFields,
    createdAt: isoTime,
    links: z.strictObject({ portfolio: z.literal('/v1/portfolio'), positions: z.literal('/v1/positions') }),
    workflowId: z.string().openapi({ description: 'The portfolio workflow that takes the trade into account' }),
  })
  .openapi('Trade');

export const ledgerPageSchema = z
  .strictObject({
    data: z.array(
      z.strictObject({
        venue: z.enum(tradeVenues),
        tradeId: z.string(),
        orderId: z.uuid().nullable().openapi({ description: 'The order of a fill; null for a manual trade' }),
        ...ledgerEntryFields,
      }),
    ),
    nextCursor,
  })
  .openapi('LedgerPage');

const usd = z.literal('USD');

// Shapes, not `.extend()` of the named schemas: a `$ref` to a closed object cannot be extended in JSON Schema.
const portfolioShape = {
  baseCurrency: usd,
  totalValue: decimal.openapi({ description: 'Market value of what is held, USD' }),
  totalCost: decimal.openapi({ description: 'Cost basis of what is still held, USD' }),
  realizedPnl: decimal,
  unrealizedPnl: decimal,
  feesPaid: decimal,
  capitalInvested: decimal.openapi({ description: 'Cost of every BUY ever made, fees included: the ROI denominator' }),
  roiPct: decimal.openapi({ description: '(realized + unrealized) / capitalInvested × 100; "0" before any buy' }),
  winRate: decimal.openapi({ description: 'Winning closed round trips ÷ closed round trips, 0 to 1' }),
  trades: countString,
  closedTrades: countString.openapi({ description: 'SELL fills: each is one closed round trip' }),
  method: accountingMethod,
  usdtUsdRate: unsignedDecimal.openapi({ description: 'USD per USDT used for the totals' }),
  usdtRateAssumed: z.boolean().openapi({ description: 'True when no USDTUSD price was known and 1 was used' }),
  missingPrices: z.array(z.string()).openapi({ description: 'Symbols valued at their last fill price because no price was known' }),
  feesUnpriced: z.boolean().openapi({ description: 'Some fee in a third asset had no price and counts as 0 in feesPaid' }),
  unpricedFees: z.record(z.string(), unsignedDecimal).openapi({ description: 'Those fees, by asset' }),
  asOf: isoTime,
  fillsPending: z.boolean().openapi({ description: 'Fills were recorded after this result; a recalculation follows shortly (POST /recalculate says why if it stays true)' }),
  recalculation: z.strictObject({
    mode: z.enum(['incremental', 'full']),
    fullReason: z.string().nullable().openapi({ description: "Why a full recompute ran: 'requested', 'method-changed', 'late-fill' or 'unreadable-state'" }),
    applied: z.number().int().min(0).openapi({ description: 'Ledger entries folded in by this recalculation' }),
    cursor: z.string().openapi({ description: 'ledger_seq of the last fill in the state' }),
  }),
  workflowId: z.string(),
  links: z.strictObject({ self: z.literal('/v1/portfolio'), positions: z.literal('/v1/positions'), history: z.literal('/v1/portfolio/history'), temporalUi: temporalUiLink }),
};

export const portfolioSchema = z.strictObject(portfolioShape).openapi('Portfolio');

const positionShape = {
  symbol: z.string(),
  venue: z.enum(tradeVenues),
  quoteAsset: z.string().openapi({ description: 'The currency of the amounts below' }),
  quantity: unsignedDecimal,
  avgCost: unsignedDecimal,
  marketPrice: unsignedDecimal,
  priceSource: z.enum(['market', 'last-trade']).openapi({ description: "'last-trade' when no price was known and the latest fill price stands in" }),
  marketValue: unsignedDecimal,
  costBasis: unsignedDecimal,
  unrealizedPnl: decimal,
  realizedPnl: decimal,
  feesPaid: unsignedDecimal,
  allocationPct: unsignedDecimal.openapi({ description: 'Share of the total value; the column sums to exactly 100' }),
};

export const positionSchema = z.strictObject(positionShape).openapi('Position');

/** A position as a recalculation returns it: with its USD rate and trade count. */
export const positionDetailSchema = z
  .strictObject({ ...positionShape, usdRate: unsignedDecimal.openapi({ description: 'USD per unit of quoteAsset' }), trades: countString })
  .openapi('PositionDetail');

export const recalculatedSchema = z.strictObject({ ...portfolioShape, positions: z.array(positionDetailSchema) }).openapi('RecalculatedPortfolio');

export const settingsSchema = z.strictObject({ method: accountingMethod }).openapi('PortfolioSettings');
export const settingsChangedSchema = z.strictObject({ method: accountingMethod, portfolio: portfolioSchema }).openapi('PortfolioSettingsChanged');

export const portfolioHistorySchema = z
  .strictObject({
    baseCurrency: usd,
    data: z.array(
      z.strictObject({
        at: isoTime,
        totalValue: decimal,
        totalCost: decimal,
        realizedPnl: decimal,
        unrealizedPnl: decimal,
        feesPaid: decimal,
        roiPct: decimal,
        trades: countString,
      }),
    ),
    nextCursor,
  })
  .openapi('PortfolioHistoryPage');
