/** What GET /v1/orders/external reads and answers. */
import { z } from '@hono/zod-openapi';
import { cursorParam, isoTime, nextCursor, queryLimit, sideSchema, unsignedDecimal, venueSchema } from './common.js';

export const listExternalOrdersQuery = z.strictObject({
  venue: venueSchema.optional(),
  limit: queryLimit(200, 50),
  cursor: cursorParam,
});

/** The tie-breaking key of an external order in a page cursor: `venue:exchangeOrderId`. */
export const externalOrderKey = /^(paper|binance):([\w.-]{1,64})$/;

/** Binance's order types and statuses: an order placed elsewhere can be any of them. */
export const venueOrderTypes = ['MARKET', 'LIMIT', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'] as const;
export const venueOrderStatuses = ['NEW', 'PENDING_NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'PENDING_CANCEL', 'REJECTED', 'EXPIRED', 'EXPIRED_IN_MATCH'] as const;

/** A venue order the reconciler found open under the account that the engine never placed. */
export const externalOrderSchema = z
  .strictObject({
    origin: z.literal('EXTERNAL'),
    venue: venueSchema,
    symbol: z.string(),
    side: sideSchema,
    type: z.enum(venueOrderTypes),
    price: unsignedDecimal.nullable(),
    quantity: unsignedDecimal,
    executedQty: unsignedDecimal,
    status: z.enum(venueOrderStatuses).openapi({ description: "The venue's status when last seen" }),
    open: z.boolean().openapi({ description: "Still listed among the venue's open orders at the latest reconciliation" }),
    clientOrderId: z.string(),
    exchangeOrderId: z.string(),
    firstSeen: isoTime,
    lastSeen: isoTime,
    closedAt: isoTime.nullable().openapi({ description: 'The first reconciliation that no longer found it open' }),
  })
  .openapi('ExternalOrder');

export const externalOrderPageSchema = z.strictObject({ data: z.array(externalOrderSchema), nextCursor }).openapi('ExternalOrderPage');
