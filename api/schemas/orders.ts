/** The order request body and its cross-field rules (which fields each order type needs). */
import { z } from 'zod';
import { positiveDecimal, symbolSchema } from './common.js';

export const orderTypes = ['MARKET', 'LIMIT', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'] as const;

const needs: Record<(typeof orderTypes)[number], { price: boolean; stopPrice: boolean; timeInForce: boolean }> = {
  MARKET: { price: false, stopPrice: false, timeInForce: false },
  LIMIT: { price: true, stopPrice: false, timeInForce: true },
  STOP_LOSS: { price: false, stopPrice: true, timeInForce: false },
  STOP_LOSS_LIMIT: { price: true, stopPrice: true, timeInForce: true },
  TAKE_PROFIT: { price: false, stopPrice: true, timeInForce: false },
  TAKE_PROFIT_LIMIT: { price: true, stopPrice: true, timeInForce: true },
};

export const createOrderSchema = z
  .strictObject({
    symbol: symbolSchema,
    side: z.enum(['BUY', 'SELL']),
    type: z.enum(orderTypes),
    quantity: positiveDecimal,
    price: positiveDecimal.optional(),
    stopPrice: positiveDecimal.optional(),
    timeInForce: z.enum(['GTC', 'IOC', 'FOK']).optional(),
    venue: z.enum(['paper', 'binance']).optional(),
  })
  .superRefine((o, ctx) => {
    const rule = needs[o.type];
    for (const field of ['price', 'stopPrice', 'timeInForce'] as const) {
      const present = o[field] !== undefined;
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
  status: z.enum(['RECEIVED', 'PENDING_NEW', 'UNKNOWN', 'NEW', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED']).optional(),
  symbol: symbolSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

export const cancelOrderBody = z.strictObject({ reason: z.string().max(200).optional() }).optional();
