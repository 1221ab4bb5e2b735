/** What /v1/orders reads (the order request and its cross-field rules) and what it answers. */
import { z } from '@hono/zod-openapi';
import type { OrderStatus } from '../../workflows/definitions.js';
import { TRAILING_DELTA_RANGE } from '../../domain/order-lists.js';
import { cursorParam, isoTime, nextCursor, positiveDecimal, queryLimit, sideSchema, symbolSchema, temporalUiLink, unsignedDecimal, venueSchema } from './common.js';

export const orderTypes = ['MARKET', 'LIMIT', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'] as const;
export const timeInForces = ['GTC', 'IOC', 'FOK'] as const;
export const orderStatuses = ['RECEIVED', 'PENDING_NEW', 'UNKNOWN', 'NEW', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED'] as const satisfies readonly OrderStatus[];

const needs: Record<(typeof orderTypes)[number], { price: boolean; stopPrice: boolean; timeInForce: boolean }> = {
  MARKET: { price: false, stopPrice: false, timeInForce: false },
  LIMIT: { price: true, stopPrice: false, timeInForce: true },
  LIMIT_MAKER: { price: true, stopPrice: false, timeInForce: false },
  STOP_LOSS: { price: false, stopPrice: true, timeInForce: false },
  STOP_LOSS_LIMIT: { price: true, stopPrice: true, timeInForce: true },
  TAKE_PROFIT: { price: false, stopPrice: true, timeInForce: false },
  TAKE_PROFIT_LIMIT: { price: true, stopPrice: true, timeInForce: true },
};

/** How far ahead a good-till-date may be. */
const MAX_EXPIRY_MS = 366 * 86_400_000;

export const createOrderSchema = z
  .strictObject({
    symbol: symbolSchema,
    side: sideSchema,
    type: z.enum(orderTypes),
    quantity: positiveDecimal,
    price: positiveDecimal.optional().openapi({ description: 'Required for the *_LIMIT types and LIMIT; not allowed otherwise' }),
    stopPrice: positiveDecimal.optional().openapi({ description: 'Required for STOP_LOSS*, TAKE_PROFIT*; not allowed otherwise' }),
    timeInForce: z.enum(timeInForces).optional().openapi({ description: 'LIMIT types only; GTC when left out' }),
    trailingDelta: z.number().int().optional().openapi({
      description: `Trailing stop, in basis points (STOP_LOSS*, TAKE_PROFIT* only, ${TRAILING_DELTA_RANGE.min}-${TRAILING_DELTA_RANGE.max}): the trigger follows the market by this distance and fires on a retrace of it. With a stopPrice, trailing starts once the stopPrice is reached`,
      example: 200,
    }),
    venue: venueSchema.optional().openapi({ description: 'binance when you have a key pair, else paper, when left out' }),
    portfolioId: z.uuid().optional().openapi({ description: 'The portfolio its fills book into; your default portfolio when left out' }),
    expireAt: isoTime.optional().openapi({
      description: 'Good-till-date: if the order still works at this time (at most a year ahead), it is cancelled on the venue. Not for MARKET, IOC or FOK orders',
      example: '2025-05-02T14:30:00.000Z',
    }),
  })
  .superRefine((o, ctx) => {
    if (o.expireAt !== undefined) {
      const at = Date.parse(o.expireAt);
      if (o.type === 'MARKET' || o.timeInForce === 'IOC' || o.timeInForce === 'FOK') {
        ctx.addIssue({ code: 'custom', path: ['expireAt'], message: `is only for orders that can rest on the book, not ${o.type === 'MARKET' ? 'MARKET' : o.timeInForce} ones` });
      } else if (at <= Date.now()) {
        ctx.addIssue({ code: 'custom', path: ['expireAt'], message: 'must be in the future' });
      } else if (at > Date.now() + MAX_EXPIRY_MS) {
        ctx.addIssue({ code: 'custom', path: ['expireAt'], message: 'must be within a year' });
      }
    }
    const rule = needs[o.type];
    if (o.trailingDelta !== undefined) {
      if (!rule.stopPrice) ctx.addIssue({ code: 'custom', path: ['trailingDelta'], message: `is only for STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT and TAKE_PROFIT_LIMIT orders, not ${o.type}` });
      else if (o.trailingDelta < TRAILING_DELTA_RANGE.min || o.trailingDelta > TRAILING_DELTA_RANGE.max) {
        ctx.addIssue({ code: 'custom', path: ['trailingDelta'], message: `must be between ${TRAILING_DELTA_RANGE.min} and ${TRAILING_DELTA_RANGE.max} basis points (the venue's TRAILING_DELTA filter)` });
      }
    }
    for (const field of ['price', 'stopPrice', 'timeInForce'] as const) {
      const present = o[field] !== undefined;
      // A trailing stop may go without a stopPrice: it trails from the price at placement.
      if (field === 'stopPrice' && !present && o.trailingDelta !== undefined) continue;
      if (rule[field] && !present && field !== 'timeInForce') {
        ctx.addIssue({ code: 'custom', path: [field], message: `is required for ${o.type} orders` });
      }
      if (!rule[field] && present) {
        ctx.addIssue({ code: 'custom', path: [field], message: `is not allowed for ${o.type} orders` });
      }
    }
  });

export type CreateOrderBody = z.infer<typeof createOrderSchema>;

export const listOrdersQuery = z.strictObject({
  status: z.enum(orderStatuses).optional(),
  symbol: symbolSchema.optional(),
  limit: queryLimit(200, 50),
  cursor: cursorParam,
});

export const cancelOrderBody = z.strictObject({ reason: z.string().max(200).optional() }).optional();

export const orderIdParams = z.strictObject({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path', description: "Order id (another account's id answers 404)" }, example: '0b6f3c1e-5d2a-4c1b-9f0e-6a7d8c9b0a12' }),
});

/** Who asked for an order, once, under which key: same key and body, the same order. */
export const idempotencyHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 printable ASCII characters')
    .optional()
    .openapi({ description: '1-255 printable ASCII characters. Same key and body: the same answer; same key, other body: 422', example: 'order-2025-05-01-001' }),
});

// --- Answers --------------------------------------------------------------------------------------

const orderLinks = z.strictObject({
  self: z.string().openapi({ example: '/v1/orders/0b6f3c1e-5d2a-4c1b-9f0e-6a7d8c9b0a12' }),
  temporalUi: temporalUiLink,
  temporalUiOrders: z.url().openapi({ description: "Your orders in the Temporal Web UI: the workflow list filtered by your AccountId and the order workflow type" }),
});

export const orderStatusSchema = z.enum(orderStatuses).openapi({
  description: 'RECEIVED, PENDING_NEW, UNKNOWN (the submission had no clear answer; looked for on the venue until it shows), NEW, PARTIALLY_FILLED, PENDING_CANCEL, FILLED, CANCELED, REJECTED or EXPIRED',
});

export const orderAcceptedSchema = z.strictObject({ id: z.uuid(), status: orderStatusSchema, workflowId: z.string(), runId: z.string(), links: orderLinks }).openapi('OrderAccepted');

// Shapes, not `.extend()` of the named schema: a `$ref` to a closed object cannot be extended in JSON Schema.
const orderShape = {
  id: z.uuid(),
  symbol: z.string(),
  side: sideSchema,
  type: z.enum(orderTypes),
  venue: venueSchema,
  timeInForce: z.enum(timeInForces).nullable(),
  quantity: unsignedDecimal,
  price: unsignedDecimal.nullable(),
  stopPrice: unsignedDecimal.nullable(),
  status: orderStatusSchema,
  executedQty: unsignedDecimal,
  cumulativeQuoteQty: unsignedDecimal,
  clientOrderId: z.string(),
  exchangeOrderId: z.string().nullable(),
  rejectCode: z.string().nullable(),
  rejectReason: z.string().nullable(),
  expireAt: isoTime.nullable().openapi({ description: 'Good-till-date, if the order has one' }),
  trailingDelta: z.number().int().nullable().openapi({ description: 'Trailing stop distance in basis points, if the order trails' }),
  portfolioId: z.uuid().openapi({ description: 'The portfolio its fills book into (your default one has your account id)' }),
  parent: z
    .strictObject({ kind: z.enum(['order-list', 'twap', 'dca', 'alert']), id: z.uuid(), role: z.string().nullable(), self: z.string() })
    .nullable()
    .openapi({ description: 'The order list, TWAP, DCA plan or price alert that placed this order' }),
  workflowId: z.string(),
  createdAt: isoTime,
  updatedAt: isoTime,
  links: orderLinks,
};

export const orderSchema = z.strictObject(orderShape).openapi('Order');

export const orderCancelPendingSchema = z
  .strictObject({
    ...orderShape,
    cancel: z.literal('pending'),
    message: z.string().openapi({ description: 'What happens next and where to follow it' }),
  })
  .openapi('OrderCancelPending');

export const orderDetailSchema = z
  .strictObject({
    ...orderShape,
    fills: z.array(z.strictObject({ tradeId: z.string(), price: unsignedDecimal, quantity: unsignedDecimal, commission: unsignedDecimal, commissionAsset: z.string().nullable(), executedAt: isoTime })),
    events: z.array(
      z.strictObject({
        seq: z.number().int(),
        status: orderStatusSchema,
        cause: z.string().openapi({ description: 'Why the order moved, e.g. "accepted", "filled", "cancel failed"' }),
        detail: z.record(z.string(), z.unknown()).openapi({ description: 'What the venue or the engine said at this step (free-form JSON object)' }),
        at: isoTime,
      }),
    ),
  })
  .openapi('OrderDetail');

export const orderListSchema = z.strictObject({ data: z.array(orderSchema), nextCursor }).openapi('OrderPage');
