/** What /v1/order-lists reads (an OCO or a bracket and their cross-field rules) and what it answers. */
import { z } from '@hono/zod-openapi';
import { orderListViolations, TRAILING_DELTA_RANGE } from '../../domain/order-lists.js';
import { cursorParam, isoTime, nextCursor, positiveDecimal, queryLimit, sideSchema, symbolSchema, temporalUiLink, unsignedDecimal, venueSchema } from './common.js';
import { orderSchema } from './orders.js';

const stopLossSchema = z
  .strictObject({
    stopPrice: positiveDecimal.optional().openapi({ description: 'Where the stop triggers (optional with trailingDelta: trailing then starts at once)' }),
    limitPrice: positiveDecimal.optional().openapi({ description: 'Makes it a stop-limit at this price; a market stop when left out' }),
    trailingDelta: z
      .number()
      .int()
      .min(TRAILING_DELTA_RANGE.min, `must be at least ${TRAILING_DELTA_RANGE.min} basis points (the venue's TRAILING_DELTA filter)`)
      .max(TRAILING_DELTA_RANGE.max, `must be at most ${TRAILING_DELTA_RANGE.max} basis points (the venue's TRAILING_DELTA filter)`)
      .optional()
      .openapi({ description: `Trailing stop distance in basis points (${TRAILING_DELTA_RANGE.min}-${TRAILING_DELTA_RANGE.max})`, example: 150 }),
  })
  .openapi({ description: 'The protective stop: a stopPrice, a trailingDelta, or both' });

export const createOrderListSchema = z
  .strictObject({
    type: z.enum(['OCO', 'BRACKET']).openapi({ description: 'OCO: a take-profit and a stop-loss, one cancels the other. BRACKET: a LIMIT entry, then that pair once the entry fills' }),
    symbol: symbolSchema,
    side: sideSchema.openapi({ description: "OCO: the side of both legs (SELL protects a long). BRACKET: the entry's side; the pair takes the other" }),
    quantity: positiveDecimal,
    entry: z.strictObject({ price: positiveDecimal }).optional().openapi({ description: 'BRACKET only: the LIMIT entry' }),
    takeProfit: z.strictObject({ price: positiveDecimal }),
    stopLoss: stopLossSchema,
    venue: venueSchema.optional().openapi({ description: 'binance when you have a key pair, else paper, when left out' }),
  })
  .superRefine((l, ctx) => {
    for (const v of orderListViolations(l)) ctx.addIssue({ code: 'custom', path: v.path.split('.'), message: v.message });
  });

export type CreateOrderListBody = z.infer<typeof createOrderListSchema>;

export const orderListIdParams = z.strictObject({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path', description: "Order list id (another account's id answers 404)" }, example: '7d1f0c2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f' }),
});

export const listOrderListsQuery = z.strictObject({ limit: queryLimit(200, 50), cursor: cursorParam });

export const cancelOrderListBody = z.strictObject({ reason: z.string().max(200).optional() }).optional();

const listStatus = z.enum(['RECEIVED', 'PENDING_NEW', 'UNKNOWN', 'WORKING', 'ALL_DONE', 'CANCELED', 'REJECTED']).openapi({
  description: 'RECEIVED, PENDING_NEW (being placed), UNKNOWN (placement had no clear answer; looked for until the venue shows it), WORKING, ALL_DONE, CANCELED or REJECTED',
});

const orderListShape = {
  id: z.uuid(),
  type: z.enum(['OCO', 'BRACKET']),
  venue: venueSchema,
  symbol: z.string(),
  side: sideSchema,
  quantity: unsignedDecimal,
  entry: z.strictObject({ price: unsignedDecimal }).nullable(),
  takeProfit: z.strictObject({ price: unsignedDecimal }),
  stopLoss: z.strictObject({ stopPrice: unsignedDecimal.nullable(), limitPrice: unsignedDecimal.nullable(), trailingDelta: z.number().int().nullable() }),
  status: listStatus,
  listClientOrderId: z.string(),
  exchangeListId: z.string().nullable(),
  rejectReason: z.string().nullable(),
  workflowId: z.string(),
  createdAt: isoTime,
  updatedAt: isoTime,
  links: z.strictObject({ self: z.string(), temporalUi: temporalUiLink }),
};

export const orderListSchema = z.strictObject(orderListShape).openapi('OrderList');

export const orderListDetailSchema = z
  .strictObject({
    ...orderListShape,
    legs: z.array(orderSchema).openapi({ description: "The list's orders (entry, take-profit, stop-loss) as they are placed; each is an ordinary order with its own workflow" }),
  })
  .openapi('OrderListDetail');

export const orderListAcceptedSchema = z
  .strictObject({ id: z.uuid(), status: listStatus, workflowId: z.string(), links: z.strictObject({ self: z.string(), temporalUi: temporalUiLink }) })
  .openapi('OrderListAccepted');

export const orderListPageSchema = z.strictObject({ data: z.array(orderListSchema), nextCursor }).openapi('OrderListPage');
