/** What /v1/twap-orders reads (the plan and its cross-field rules) and what it answers. */
import { z } from '@hono/zod-openapi';
import { TWAP_MAX_HORIZON_MS, TWAP_MAX_SLICES, TWAP_MIN_INTERVAL_MS, TWAP_MIN_SLICES } from '../../domain/twap.js';
import { cursorParam, isoTime, nextCursor, positiveDecimal, queryLimit, sideSchema, symbolSchema, temporalUiLink, unsignedDecimal, venueSchema } from './common.js';
import { orderStatuses } from './orders.js';

export const twapStatuses = ['RUNNING', 'PAUSED', 'CANCELING', 'COMPLETED', 'CANCELED', 'REJECTED'] as const;
/** How far ahead a TWAP may start. */
const MAX_START_DELAY_MS = 86_400_000;

export const createTwapSchema = z
  .strictObject({
    symbol: symbolSchema,
    side: sideSchema,
    quantity: positiveDecimal.openapi({ description: 'Total base quantity, spread over the slices' }),
    slices: z.number().int().min(TWAP_MIN_SLICES).max(TWAP_MAX_SLICES).openapi({ description: `Number of child orders, ${TWAP_MIN_SLICES} to ${TWAP_MAX_SLICES}`, example: 10 }),
    durationSeconds: z.number().int().positive().optional().openapi({ description: 'The horizon from the start; give this or `endAt`', example: 600 }),
    startAt: isoTime.optional().openapi({ description: 'When slice 1 starts (now when left out; at most a day ahead)' }),
    endAt: isoTime.optional().openapi({ description: 'The end of the horizon; give this or `durationSeconds`' }),
    sliceType: z.enum(['MARKET', 'LIMIT']).default('MARKET').openapi({ description: 'MARKET (default), or LIMIT at `limitPrice`: each LIMIT slice rests until the next slice starts, and what it did not fill rolls over' }),
    limitPrice: positiveDecimal.optional().openapi({ description: 'Required for LIMIT slices; not allowed otherwise' }),
    venue: venueSchema.optional().openapi({ description: 'binance when you have a key pair, else paper, when left out' }),
  })
  .superRefine((t, ctx) => {
    if ((t.durationSeconds === undefined) === (t.endAt === undefined)) ctx.addIssue({ code: 'custom', path: ['endAt'], message: 'give exactly one of endAt and durationSeconds' });
    if (t.sliceType === 'LIMIT' && t.limitPrice === undefined) ctx.addIssue({ code: 'custom', path: ['limitPrice'], message: 'is required for LIMIT slices' });
    if (t.sliceType === 'MARKET' && t.limitPrice !== undefined) ctx.addIssue({ code: 'custom', path: ['limitPrice'], message: 'is not allowed for MARKET slices' });
    const now = Date.now();
    const start = t.startAt === undefined ? now : Date.parse(t.startAt);
    if (t.startAt !== undefined && (start < now - 60_000 || start > now + MAX_START_DELAY_MS)) ctx.addIssue({ code: 'custom', path: ['startAt'], message: 'must be within the next 24 hours' });
    const horizon = t.durationSeconds !== undefined ? t.durationSeconds * 1000 : t.endAt !== undefined ? Date.parse(t.endAt) - start : 0;
    if (horizon <= 0) return;
    const field = t.endAt !== undefined ? 'endAt' : 'durationSeconds';
    if (horizon < t.slices * TWAP_MIN_INTERVAL_MS) ctx.addIssue({ code: 'custom', path: [field], message: `a horizon too short for ${t.slices} slices: at least ${TWAP_MIN_INTERVAL_MS / 1000} s per slice` });
    if (horizon > TWAP_MAX_HORIZON_MS) ctx.addIssue({ code: 'custom', path: [field], message: `a horizon longer than ${TWAP_MAX_HORIZON_MS / 86_400_000} days` });
  });

export type CreateTwapBody = z.infer<typeof createTwapSchema>;

export const amendTwapSchema = z
  .strictObject({
    remainingQuantity: z
      .string()
      .regex(/^(0|[1-9]\d{0,19})(\.\d{1,18})?$/, 'must be a plain decimal string such as "0.01"')
      .optional()
      .openapi({ description: 'The quantity still to place from now on (working slices excluded); "0" places no more slices', example: '0.5' }),
    endAt: isoTime.optional().openapi({ description: 'A new end of the horizon; the slices left spread until it' }),
  })
  .refine((a) => a.remainingQuantity !== undefined || a.endAt !== undefined, { message: 'give remainingQuantity, endAt or both' });

export const resumeTwapSchema = z.strictObject({ endAt: isoTime.optional().openapi({ description: 'A new end of the horizon (needed when it passed while paused)' }) }).optional();
export const cancelTwapSchema = z.strictObject({ reason: z.string().max(200).optional() }).optional();

export const twapIdParams = z.strictObject({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path', description: "TWAP id (another account's id answers 404)" }, example: '7d3e2f10-4b5a-4c6d-8e9f-0a1b2c3d4e5f' }),
});

export const listTwapsQuery = z.strictObject({ limit: queryLimit(200, 50), cursor: cursorParam });

// --- Answers --------------------------------------------------------------------------------------

const twapLinks = z.strictObject({
  self: z.string().openapi({ example: '/v1/twap-orders/7d3e2f10-4b5a-4c6d-8e9f-0a1b2c3d4e5f' }),
  temporalUi: temporalUiLink,
});

const twapShape = {
  id: z.uuid(),
  venue: venueSchema,
  symbol: z.string(),
  side: sideSchema,
  quantity: unsignedDecimal.openapi({ description: 'The quantity asked for at the start' }),
  targetQuantity: unsignedDecimal.openapi({ description: 'What the TWAP now aims to fill (the quantity, changed by amends)' }),
  slices: z.number().int(),
  sliceType: z.enum(['MARKET', 'LIMIT']),
  limitPrice: unsignedDecimal.nullable(),
  startAt: isoTime,
  endAt: isoTime,
  status: z.enum(twapStatuses).openapi({ description: 'RUNNING, PAUSED, CANCELING, COMPLETED, CANCELED or REJECTED' }),
  slicesStarted: z.number().int(),
  filledQty: unsignedDecimal,
  remainingQty: unsignedDecimal.openapi({ description: 'targetQuantity − filledQty' }),
  cumulativeQuoteQty: unsignedDecimal,
  averagePrice: unsignedDecimal.nullable().openapi({ description: 'Quote spent over quantity filled; null while nothing filled' }),
  reason: z.string().nullable().openapi({ description: 'Why it was rejected or cancelled' }),
  workflowId: z.string(),
  createdAt: isoTime,
  updatedAt: isoTime,
  links: twapLinks,
};

export const twapSchema = z.strictObject(twapShape).openapi('Twap');

export const twapSliceSchema = z
  .strictObject({
    index: z.number().int().openapi({ description: '1-based' }),
    orderId: z.uuid().nullable().openapi({ description: 'The slice\'s order (GET /v1/orders/{id}); null for a slice skipped as too small' }),
    role: z.string().openapi({ example: 'slice 3 of 10' }),
    status: z.enum([...orderStatuses, 'SKIPPED']).openapi({ description: "The slice's order status, or SKIPPED (too small to place; its quantity rolled over)" }),
    quantity: unsignedDecimal,
    executedQty: unsignedDecimal,
    cumulativeQuoteQty: unsignedDecimal,
    scheduledAt: isoTime.nullable(),
    startedAt: isoTime.nullable(),
    note: z.string().nullable(),
    links: z.strictObject({ order: z.string().nullable(), temporalUi: temporalUiLink.nullable() }),
  })
  .openapi('TwapSlice');

export const twapDetailSchema = z
  .strictObject({
    ...twapShape,
    nextSliceAt: isoTime.nullable().openapi({ description: 'When the next slice is due; null when none is' }),
    sliceList: z.array(twapSliceSchema),
  })
  .openapi('TwapDetail');

export const twapPendingSchema = z
  .strictObject({ ...twapShape, pending: z.literal(true), message: z.string().openapi({ description: 'What happens next and where to follow it' }) })
  .openapi('TwapPending');

export const twapListSchema = z.strictObject({ data: z.array(twapSchema), nextCursor }).openapi('TwapPage');
