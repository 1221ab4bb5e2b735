/** What /v1/dca-plans reads (a plan, a change of one) and what it answers (plans and their buys). */
import { z } from '@hono/zod-openapi';
import { parseDcaInterval } from '../../domain/dca.js';
import { orderStatusSchema } from './orders.js';
import { isoTime, positiveDecimal, symbolSchema, temporalUiLink, unsignedDecimal, venueSchema } from './common.js';

export const dcaInterval = z
  .string()
  .superRefine((s, ctx) => {
    const parsed = parseDcaInterval(s);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
  })
  .openapi({ description: 'How often to buy: a count and a unit, `m` (minutes), `h`, `d` or `w`; from 1m to 366d. The schedule fires on multiples of it since the Unix epoch (UTC)', example: '1d' });

const quoteAmount = positiveDecimal.openapi({ description: 'How much of the quote asset each buy spends (e.g. USDT for BTCUSDT), as a decimal string; at least the venue\'s minimum notional', example: '100' });

export const createDcaPlanSchema = z.strictObject({
  symbol: symbolSchema,
  quoteAmount,
  interval: dcaInterval,
  venue: venueSchema.optional().openapi({ description: 'binance when you have a key pair, else paper, when left out' }),
});

export const updateDcaPlanSchema = z
  .strictObject({ quoteAmount: quoteAmount.optional(), interval: dcaInterval.optional() })
  .refine((b) => b.quoteAmount !== undefined || b.interval !== undefined, 'must change quoteAmount, interval or both');

export const dcaPlanParams = z.strictObject({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path', description: "Plan id (another account's id answers 404)" }, example: '7d3e2a10-4b5c-4d6e-8f70-1a2b3c4d5e6f' }),
});

// --- Answers --------------------------------------------------------------------------------------

const planShape = {
  id: z.uuid(),
  symbol: z.string(),
  venue: venueSchema,
  quoteAmount: unsignedDecimal,
  interval: z.string(),
  status: z.enum(['ACTIVE', 'PAUSED', 'DELETED']).openapi({ description: 'ACTIVE (buying), PAUSED, or DELETED (no schedule any more; the buys stay)' }),
  scheduleId: z.string().openapi({ description: 'The Temporal Schedule that fires the buys' }),
  nextRunAt: isoTime.nullable().openapi({ description: 'When the schedule buys next; null while paused or deleted' }),
  createdAt: isoTime,
  updatedAt: isoTime,
  links: z.strictObject({
    self: z.string(),
    temporalUiBuys: z.url().openapi({ description: "The plan's buy workflows in the Temporal Web UI" }),
  }),
};

export const dcaPlanSchema = z.strictObject(planShape).openapi('DcaPlan');

export const dcaBuySchema = z
  .strictObject({
    buy: z.number().int().openapi({ description: 'The buy number within the plan, from 1' }),
    status: z.enum(['PENDING', 'PLACED', 'SKIPPED']).openapi({ description: 'PLACED (an order was placed; see `order`), SKIPPED (see `reason`), or PENDING while the firing decides' }),
    quoteAmount: unsignedDecimal,
    price: unsignedDecimal.nullable().openapi({ description: 'The price the buy was sized with' }),
    quantity: unsignedDecimal.nullable().openapi({ description: 'The quantity ordered: quoteAmount / price rounded down to the symbol\'s step' }),
    reason: z.string().nullable().openapi({ description: 'Why a buy was skipped' }),
    at: isoTime,
    workflowId: z.string().openapi({ description: "The firing's dcaBuy workflow" }),
    temporalUi: temporalUiLink,
    order: z
      .strictObject({
        id: z.uuid(),
        status: orderStatusSchema,
        executedQty: unsignedDecimal,
        cumulativeQuoteQty: unsignedDecimal,
        averagePrice: unsignedDecimal.nullable().openapi({ description: 'cumulativeQuoteQty / executedQty; null before a fill' }),
        self: z.string().openapi({ example: '/v1/orders/0b6f3c1e-5d2a-4c1b-9f0e-6a7d8c9b0a12' }),
      })
      .nullable()
      .openapi({ description: 'The order of a PLACED buy (an ordinary order: GET /v1/orders/{id})' }),
  })
  .openapi('DcaBuy');

export const dcaPlanDetailSchema = z
  .strictObject({
    ...planShape,
    buys: z.array(dcaBuySchema).openapi({ description: 'The latest 100 buys, newest first' }),
  })
  .openapi('DcaPlanDetail');

export const dcaPlanListSchema = z.strictObject({ data: z.array(dcaPlanSchema) }).openapi('DcaPlanList');
