/** What /v1/alerts reads (an alert's condition and its rules, an optional conditional order) and answers. */
import { z } from '@hono/zod-openapi';
import { Decimal } from 'decimal.js';
import { ALERT_CONDITIONS, MAX_MOVE_PCT, MAX_WINDOW_SECONDS, MIN_WINDOW_SECONDS, MOVE_DIRECTIONS } from '../../domain/price-alerts.js';
import { cursorParam, isoTime, nextCursor, positiveDecimal, queryLimit, sideSchema, symbolSchema, unsignedDecimal, venueSchema } from './common.js';
import { createOrderSchema, orderStatusSchema, orderTypes, timeInForces } from './orders.js';

export const alertStatuses = ['ACTIVE', 'FIRED', 'CANCELED'] as const;

/** A percentage as a decimal string; a sign is read so that "-5" is refused by the rule, not the format. */
const pctSchema = z
  .string()
  .regex(/^-?(0|[1-9]\d{0,5})(\.\d{1,8})?$/, 'must be a decimal string of percent such as "5" or "2.5"')
  .refine((s) => new Decimal(s).gt(0), 'must be greater than 0: MOVE_PCT fires on a move of at least this many percent')
  .refine((s) => new Decimal(s).lte(MAX_MOVE_PCT), `must be at most ${MAX_MOVE_PCT} (percent)`);

const needsThreshold = new Set(['ABOVE', 'BELOW', 'CROSS']);

export const createAlertSchema = z
  .strictObject({
    symbol: symbolSchema,
    condition: z.enum(ALERT_CONDITIONS).openapi({
      description: 'ABOVE: the price reaches `threshold` or more. BELOW: `threshold` or less. CROSS: the price crosses `threshold` from the side it is on now. MOVE_PCT: the price moves by `pct` percent or more within `windowSeconds` (from the window\'s low for UP, its high for DOWN; the window starts no earlier than the alert)',
    }),
    threshold: positiveDecimal.optional().openapi({ description: 'ABOVE, BELOW, CROSS: the price; not allowed for MOVE_PCT' }),
    pct: pctSchema.optional().openapi({ description: `MOVE_PCT: the move in percent, greater than 0 and at most ${MAX_MOVE_PCT} (below 100 for DOWN)`, example: '5' }),
    windowSeconds: z
      .number()
      .int('must be a whole number of seconds')
      .min(MIN_WINDOW_SECONDS, `must be at least ${MIN_WINDOW_SECONDS} (one minute): a shorter window sees too few prices`)
      .max(MAX_WINDOW_SECONDS, `must be at most ${MAX_WINDOW_SECONDS} (seven days)`)
      .optional()
      .openapi({ description: `MOVE_PCT: the window in seconds, ${MIN_WINDOW_SECONDS} to ${MAX_WINDOW_SECONDS}`, example: 3600 }),
    direction: z.enum(MOVE_DIRECTIONS).optional().openapi({ description: 'MOVE_PCT: UP, DOWN or ANY (when left out)' }),
    note: z.string().max(200).optional().openapi({ description: 'Your own words, shown with the alert' }),
    order: createOrderSchema.optional().openapi({
      description: 'A conditional order, placed once when the alert fires: the body of POST /v1/orders, checked by the same rules now. Its venue is decided now (binance when you have a key pair, else paper)',
    }),
  })
  .superRefine((a, ctx) => {
    const moving = a.condition === 'MOVE_PCT';
    if (needsThreshold.has(a.condition) && a.threshold === undefined) ctx.addIssue({ code: 'custom', path: ['threshold'], message: `is required for ${a.condition} alerts` });
    if (moving && a.threshold !== undefined) ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'is not allowed for MOVE_PCT alerts; give pct and windowSeconds' });
    for (const field of ['pct', 'windowSeconds'] as const) {
      if (moving && a[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'is required for MOVE_PCT alerts' });
    }
    for (const field of ['pct', 'windowSeconds', 'direction'] as const) {
      if (!moving && a[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is only for MOVE_PCT alerts, not ${a.condition}` });
    }
    if (moving && a.direction === 'DOWN' && a.pct !== undefined && /^\d/.test(a.pct) && new Decimal(a.pct).gte(100)) {
      ctx.addIssue({ code: 'custom', path: ['pct'], message: 'must be below 100 for a DOWN move: a price cannot fall by 100% or more' });
    }
  });

export type CreateAlertBody = z.infer<typeof createAlertSchema>;

export const listAlertsQuery = z.strictObject({
  status: z.enum(alertStatuses).optional(),
  symbol: symbolSchema.optional(),
  limit: queryLimit(200, 50),
  cursor: cursorParam,
});

export const alertIdParams = z.strictObject({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path', description: "Alert id (another account's id answers 404)" }, example: '3c9d2f4e-8a1b-4c6d-9e0f-1a2b3c4d5e6f' }),
});

// --- Answers --------------------------------------------------------------------------------------

const conditionalOrderSchema = z.strictObject({
  id: z.uuid().openapi({ description: 'The order id, fixed when the alert was made' }),
  status: orderStatusSchema.nullable().openapi({ description: 'The order\'s status; null until the alert fires and the order is placed' }),
  symbol: z.string(),
  side: sideSchema,
  type: z.enum(orderTypes),
  venue: venueSchema,
  quantity: unsignedDecimal,
  price: unsignedDecimal.nullable(),
  stopPrice: unsignedDecimal.nullable(),
  timeInForce: z.enum(timeInForces).nullable(),
  expireAt: isoTime.nullable(),
  links: z.strictObject({ self: z.string().openapi({ description: 'GET it (404 until the alert fires)', example: '/v1/orders/0b6f3c1e-5d2a-4c1b-9f0e-6a7d8c9b0a12' }) }),
});

export const alertSchema = z
  .strictObject({
    id: z.uuid(),
    symbol: z.string(),
    condition: z.enum(ALERT_CONDITIONS),
    threshold: unsignedDecimal.nullable(),
    crossFrom: z.enum(['below', 'above']).nullable().openapi({ description: 'CROSS: the side the price was on when the alert was made' }),
    pct: unsignedDecimal.nullable(),
    windowSeconds: z.number().int().nullable(),
    direction: z.enum(MOVE_DIRECTIONS).nullable(),
    referencePrice: unsignedDecimal.openapi({ description: 'The latest price when the alert was made' }),
    note: z.string().nullable(),
    status: z.enum(alertStatuses).openapi({ description: 'ACTIVE until it fires (once) or is canceled' }),
    firedAt: isoTime.nullable(),
    firedPrice: unsignedDecimal.nullable().openapi({ description: 'The price that fired it' }),
    canceledAt: isoTime.nullable(),
    order: conditionalOrderSchema.nullable().openapi({ description: 'The conditional order, if the alert has one' }),
    createdAt: isoTime,
    links: z.strictObject({ self: z.string().openapi({ example: '/v1/alerts/3c9d2f4e-8a1b-4c6d-9e0f-1a2b3c4d5e6f' }) }),
  })
  .openapi('PriceAlert');

export const alertListSchema = z.strictObject({ data: z.array(alertSchema), nextCursor }).openapi('PriceAlertPage');
