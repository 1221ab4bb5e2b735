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

export const entryKinds = ['BUY', 'SELL', 'DIVIDEND', 'DEPOSIT', 'WITHDRAWAL', 'FEE', 'SPLIT'] as const;
type EntryKindName = (typeof entryKinds)[number];

/** Which fields each kind takes (true: required, false: optional); any other field is refused. */
const KIND_FIELDS: Record<EntryKindName, Partial<Record<'symbol' | 'quantity' | 'price' | 'fee' | 'feeAsset' | 'amount' | 'currency' | 'ratio', boolean>>> = {
  BUY: { symbol: true, quantity: true, price: true, fee: false, feeAsset: false },
  SELL: { symbol: true, quantity: true, price: true, fee: false, feeAsset: false },
  DIVIDEND: { symbol: true, amount: true, currency: true },
  DEPOSIT: { amount: true, currency: true },
  WITHDRAWAL: { amount: true, currency: true },
  FEE: { amount: true, currency: true, symbol: false },
  SPLIT: { symbol: true, ratio: true },
};

export const createTradeSchema = z
  .strictObject({
    kind: z.enum(entryKinds).optional().openapi({
      description: 'What the entry is. BUY/SELL are trades (also accepted as `side`); DIVIDEND is income on a held symbol; DEPOSIT/WITHDRAWAL move cash in or out; FEE is a fee not tied to a trade; SPLIT multiplies the units held by `ratio`',
    }),
    side: sideSchema.optional().openapi({ description: 'BUY or SELL: the same as `kind` for a trade' }),
    portfolioId: z.uuid().optional().openapi({ description: 'The portfolio it books into; your default portfolio when left out' }),
    symbol: symbolSchema.optional().openapi({ description: 'BUY, SELL, DIVIDEND, SPLIT (required); FEE (optional)' }),
    quantity: positiveDecimal.optional().openapi({ description: 'BUY, SELL' }),
    price: positiveDecimal.optional().openapi({ description: 'BUY, SELL' }),
    fee: nonNegativeDecimal.optional().openapi({ description: 'BUY, SELL' }),
    feeAsset: assetSchema.optional().openapi({ description: 'Required when fee is above zero' }),
    amount: positiveDecimal.optional().openapi({ description: 'DIVIDEND, DEPOSIT, WITHDRAWAL, FEE: the cash amount, in `currency`' }),
    currency: assetSchema.optional().openapi({ description: 'DIVIDEND, DEPOSIT, WITHDRAWAL, FEE, e.g. "USD" or "USDT"' }),
    ratio: nonNegativeDecimal.optional().openapi({ description: "SPLIT: new units per old unit ('4' for 4-for-1, '0.5' for 1-for-2)" }),
    note: z.string().max(500).optional(),
    executedAt: isoTimeIn.optional().openapi({ description: 'Not in the future; now when left out' }),
  })
  .superRefine((t, ctx) => {
    if (t.kind !== undefined && t.side !== undefined && t.kind !== t.side) {
      ctx.addIssue({ code: 'custom', path: ['side'], message: `contradicts kind ${t.kind}; send one of them` });
    }
    const kind = t.kind ?? t.side;
    if (kind === undefined) {
      ctx.addIssue({ code: 'custom', path: ['kind'], message: `is required: one of ${entryKinds.join(', ')}` });
      return;
    }
    const fields = KIND_FIELDS[kind];
    for (const field of ['symbol', 'quantity', 'price', 'fee', 'feeAsset', 'amount', 'currency', 'ratio'] as const) {
      const rule = fields[field];
      if (rule === true && t[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is required for ${kind}` });
      if (rule === undefined && t[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is not allowed for ${kind}` });
    }
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
  portfolioId: z.uuid().optional().openapi({ description: 'Only this portfolio (your default one has your account id); all of them when left out' }),
  kind: z.enum([...entryKinds, 'VOID']).optional(),
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
  portfolioId: z.uuid(),
  kind: z.enum([...entryKinds, 'VOID']).openapi({ description: 'VOID reverses the entry named by `voids`' }),
  symbol: z.string().nullable(),
  side: z.enum([...entryKinds, 'VOID']).openapi({ description: 'The same as kind (kept for clients that read BUY/SELL here)' }),
  quantity: unsignedDecimal.nullable(),
  price: unsignedDecimal.nullable(),
  fee: unsignedDecimal,
  feeAsset: z.string().nullable(),
  amount: unsignedDecimal.nullable(),
  currency: z.string().nullable(),
  ratio: unsignedDecimal.nullable(),
  voids: z.string().nullable().openapi({ description: 'VOID: the id of the entry it reverses' }),
  voidedBy: z.string().nullable().openapi({ description: 'The VOID entry that reversed this one; a voided entry no longer counts' }),
  note: z.string().nullable(),
  executedAt: isoTime,
};

export const tradeSchema = z
  .strictObject({
    id: z.uuid(),
    venue: z.literal('manual'),
    ...ledgerEntryFields,
    createdAt: isoTime,
    links: z.strictObject({ portfolio: z.string(), positions: z.string(), void: z.string() }),
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
  roiPct: decimal.openapi({ description: '(realized + unrealized + dividends − fees not tied to a trade) / capitalInvested × 100; "0" before any buy' }),
  dividends: decimal.openapi({ description: 'DIVIDENDs received, USD: income, counted in the return, not subtracted from the cost basis' }),
  cashValue: decimal.openapi({ description: 'Cash held, USD (per currency in `cash`)' }),
  netWorth: decimal.openapi({ description: 'totalValue + cashValue, USD: what the performance series tracks' }),
  deposits: decimal.openapi({ description: 'DEPOSITs, USD' }),
  withdrawals: decimal.openapi({ description: 'WITHDRAWALs, USD' }),
  implicitFunding: decimal.openapi({ description: 'Purchases and fees paid from outside because cash was short, USD (counted as deposits by the performance)' }),
  netFlows: decimal.openapi({ description: 'External flows so far (deposits + implicit funding − withdrawals), USD, each converted when first seen' }),
  cash: z.array(
    z.strictObject({
      currency: z.string(),
      balance: decimal,
      usdRate: unsignedDecimal,
      deposits: unsignedDecimal,
      withdrawals: unsignedDecimal,
      implicitFunding: unsignedDecimal,
      dividends: unsignedDecimal,
      fees: unsignedDecimal,
    }),
  ),
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
    fullReason: z.string().nullable().openapi({ description: "Why a full recompute ran: 'requested', 'method-changed', 'late-fill', 'void' or 'unreadable-state'" }),
    applied: z.number().int().min(0).openapi({ description: 'Ledger entries folded in by this recalculation' }),
    cursor: z.string().openapi({ description: 'ledger_seq of the last fill in the state' }),
  }),
  portfolio: z.strictObject({ id: z.uuid(), name: z.string(), isDefault: z.boolean() }),
  workflowId: z.string(),
  links: z.strictObject({ self: z.string(), positions: z.string(), history: z.string(), performance: z.string(), temporalUi: temporalUiLink }),
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
  dividends: unsignedDecimal.openapi({ description: 'DIVIDENDs received on this position, in quoteAsset' }),
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
        netWorth: decimal.nullable().openapi({ description: 'Positions plus cash; null for points recorded before cash was tracked' }),
        netFlows: decimal.nullable().openapi({ description: 'Cumulative external flows at this point; null before cash was tracked' }),
      }),
    ),
    nextCursor,
  })
  .openapi('PortfolioHistoryPage');

export const portfolioBookSchema = z
  .strictObject({
    id: z.uuid(),
    name: z.string(),
    isDefault: z.boolean().openapi({ description: 'Your default portfolio (its id is your account id): where orders and entries go unless they name another' }),
    method: accountingMethod,
    createdAt: isoTime,
    netWorth: decimal.nullable().openapi({ description: 'USD, from the latest recalculation; null before the first' }),
    asOf: isoTime.nullable(),
    workflowId: z.string(),
    links: z.strictObject({ self: z.string(), positions: z.string(), history: z.string(), performance: z.string(), temporalUi: temporalUiLink }),
  })
  .openapi('PortfolioBook');

export const createPortfolioSchema = z.strictObject({
  name: z.string().trim().min(1).max(80).openapi({ description: 'Unique among your portfolios (case-insensitive)', example: 'Long term' }),
  method: accountingMethod.optional().openapi({ description: 'average when left out' }),
});

export const renamePortfolioSchema = z.strictObject({ name: z.string().trim().min(1).max(80) });

export const performanceRanges = ['1D', 'WTD', 'MTD', 'YTD', '1Y', 'MAX', 'CUSTOM'] as const;

export const performanceQuery = z
  .strictObject({
    range: z.enum(performanceRanges).default('MAX').openapi({ description: 'CUSTOM needs from (and optionally to)' }),
    from: z.union([z.iso.date(), isoTimeIn]).optional().openapi({ description: "CUSTOM: a date ('2024-01-01', 00:00 UTC) or a time with a zone" }),
    to: z.union([z.iso.date(), isoTimeIn]).optional().openapi({ description: 'CUSTOM: as from; now when left out' }),
    series: z.enum(['true', 'false']).default('false').openapi({ description: 'Include the value series (daily points, every point of the last day)' }),
  })
  .superRefine((q, ctx) => {
    if (q.range === 'CUSTOM' && q.from === undefined) ctx.addIssue({ code: 'custom', path: ['from'], message: 'is required when range is CUSTOM' });
    if (q.range !== 'CUSTOM' && (q.from !== undefined || q.to !== undefined)) ctx.addIssue({ code: 'custom', path: ['range'], message: 'must be CUSTOM when from or to is given' });
    if (q.from !== undefined && q.to !== undefined && Date.parse(q.from) >= Date.parse(q.to)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  });

const ratio = decimal.nullable();
export const performanceSchema = z
  .strictObject({
    portfolioId: z.uuid(),
    baseCurrency: usd,
    window: z.strictObject({ range: z.enum(performanceRanges), start: isoTime.nullable(), end: isoTime }),
    startedAt: isoTime.nullable().openapi({ description: 'When startValue was measured: the window start, or the first point when the series begins later' }),
    startValue: decimal.openapi({ description: 'Net worth (positions + cash), USD' }),
    endValue: decimal,
    netFlows: decimal.openapi({ description: 'Deposits (and implicit funding of purchases) minus withdrawals within the window, USD. Dividends are not flows: they are return' }),
    gain: decimal.openapi({ description: 'endValue − startValue − netFlows' }),
    twr: ratio.openapi({ description: 'Time-weighted return over the window as a ratio (0.05 = 5 %), not annualised; null when no capital was at risk' }),
    mwr: ratio.openapi({ description: 'Money-weighted return (XIRR), annualised, as a ratio; null without a solution' }),
    mwrPeriod: ratio.openapi({ description: 'The same internal rate compounded over the window only' }),
    points: z.number().int().min(0),
    series: z
      .array(z.strictObject({ at: isoTime, netWorth: decimal, netFlows: decimal }))
      .openapi({ description: 'With series=true: daily points (the last of each UTC day) plus every point of the last 24 hours; else empty' }),
    workflowId: z.string(),
  })
  .openapi('PortfolioPerformance');
