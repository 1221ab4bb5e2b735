/**
 * The messages of /v1/stream. Client to server:
 *   {"type":"subscribe","channel":"prices","symbols":["BTCUSDT"]}   {"type":"subscribe","channel":"orders"}
 *   {"type":"unsubscribe","channel":"prices","symbols":["BTCUSDT"]} (no symbols: all) {"type":"unsubscribe","channel":"orders"}
 * Server to client: `price` and `order` frames (the snapshot on subscribe, then every change),
 * `subscribed` once a subscription's snapshot has been sent, `unsubscribed`, and `error`, whose
 * body is the HTTP API's error shape.
 */
import { z } from 'zod';
import { MAX_SYMBOLS, marketSymbol, type PriceView } from '../schemas/prices.js';

export const clientMessage = z
  .strictObject({
    type: z.enum(['subscribe', 'unsubscribe']),
    channel: z.enum(['prices', 'orders']),
    symbols: z.array(marketSymbol).min(1).max(MAX_SYMBOLS, `at most ${MAX_SYMBOLS} symbols`).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.channel === 'prices' && m.type === 'subscribe' && !m.symbols) ctx.addIssue({ code: 'custom', path: ['symbols'], message: 'is required to subscribe to prices' });
    if (m.channel === 'orders' && m.symbols) ctx.addIssue({ code: 'custom', path: ['symbols'], message: 'is not allowed for the orders channel' });
  });

export type ClientMessage = z.infer<typeof clientMessage>;

/** An order as the stream shows it; GET /v1/orders/:id has the rest. */
export interface OrderView {
  orderId: string;
  symbol: string;
  status: string;
  executedQty: string;
}

export type ServerFrame =
  | { type: 'price'; data: PriceView }
  | { type: 'order'; data: OrderView }
  | { type: 'subscribed' | 'unsubscribed'; channel: 'prices'; symbols: string[] }
  | { type: 'subscribed' | 'unsubscribed'; channel: 'orders' }
  | { type: 'error'; error: { code: string; message: string; details?: unknown } };

export function errorFrame(code: string, message: string, details?: unknown): ServerFrame {
  return { type: 'error', error: details === undefined ? { code, message } : { code, message, details } };
}
