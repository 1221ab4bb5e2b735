/** Request schemas of /v1/trades and /v1/portfolio. */
import { z } from 'zod';
import { positiveDecimal, symbolSchema } from './common.js';

/** How far in the future a trade's executedAt may be (clock skew between the caller and us). */
export const FUTURE_SKEW_MS = 60_000;

/** Zero or a positive decimal as a JSON string, with positiveDecimal's limits. */
export const nonNegativeDecimal = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a decimal string such as "0.1" (not a JSON number)') })
  .regex(/^(0|[1-9]\d{0,19})(\.\d{1,18})?$/, 'must be a plain decimal string such as "0.1" (at most 20 integer and 18 fraction digits)');

export const assetSchema = z.string().regex(/^[A-Z0-9]{1,20}$/, 'must be an upper-case asset such as "USDT" or "BNB"');

const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 time with a zone, such as "2024-05-01T14:30:00Z"' });

export const createTradeSchema = z
  .strictObject({
    symbol: symbolSchema,
    side: z.enum(['BUY', 'SELL']),
    quantity: positiveDecimal,
    price: positiveDecimal,
    fee: nonNegativeDecimal.optional(),
    feeAsset: assetSchema.optional(),
    executedAt: isoTime.optional(),
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

export const listTradesQuery = z.strictObject({
  symbol: symbolSchema.optional(),
  venue: z.enum(['paper', 'binance', 'manual']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

export const portfolioSettingsSchema = z.strictObject({ method: z.enum(['average', 'fifo']) });

/** POST /v1/portfolio/recalculate takes no options: an empty body or `{}`. */
export const recalculateBody = z.strictObject({}).optional();

export const historyQuery = z
  .strictObject({
    from: isoTime.optional(),
    to: isoTime.optional(),
    limit: z.coerce.number().int().min(1).max(5000).default(1000),
    cursor: z.string().max(200).optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) <= Date.parse(q.to), { path: ['to'], message: 'must not be before from' });
