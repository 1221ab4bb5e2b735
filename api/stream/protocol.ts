/**
 * The messages of /v1/stream. Client to server:
 *   {"type":"subscribe","channel":"prices","symbols":["BTCUSDT"]}   {"type":"subscribe","channel":"orders"}
 *   {"type":"unsubscribe","channel":"prices","symbols":["BTCUSDT"]} (no symbols: all) {"type":"unsubscribe","channel":"orders"}
 *   {"type":"subscribe","channel":"alerts"} {"type":"unsubscribe","channel":"alerts"}
 *   {"type":"subscribe","channel":"portfolio"} {"type":"unsubscribe","channel":"portfolio"}
 * Server to client: `price` and `order` frames (the snapshot on subscribe, then every change),
 * `alert` frames (your alerts fired in the last day on subscribe, then each one as it fires),
 * `portfolio` frames (your latest result on subscribe, then one after each recalculation),
 * `subscribed` once a subscription's snapshot has been sent, `unsubscribed`, and `error`, whose
 * body is the HTTP API's error shape.
 */
import { z } from 'zod';
import type { PortfolioResult } from '../../domain/portfolio/result.js';
import type { PositionSummary, SummaryTotals } from '../../domain/portfolio/summary.js';
import { MAX_SYMBOLS, marketSymbol, type PriceView } from '../schemas/prices.js';

export const clientMessage = z
  .strictObject({
    type: z.enum(['subscribe', 'unsubscribe']),
    channel: z.enum(['prices', 'orders', 'alerts', 'portfolio']),
    symbols: z.array(marketSymbol).min(1).max(MAX_SYMBOLS, `at most ${MAX_SYMBOLS} symbols`).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.channel === 'prices' && m.type === 'subscribe' && !m.symbols) ctx.addIssue({ code: 'custom', path: ['symbols'], message: 'is required to subscribe to prices' });
    if (m.channel !== 'prices' && m.symbols) ctx.addIssue({ code: 'custom', path: ['symbols'], message: `is not allowed for the ${m.channel} channel` });
  });

export type ClientMessage = z.infer<typeof clientMessage>;

/** An order as the stream shows it; GET /v1/orders/:id has the rest. */
export interface OrderView {
  orderId: string;
  symbol: string;
  status: string;
  executedQty: string;
}

/** A fired price alert as the stream shows it; GET /v1/alerts/:id has the rest. */
export interface AlertView {
  alertId: string;
  symbol: string;
  condition: string;
  status: 'FIRED';
  firedPrice: string;
  firedAt: string;
  /** The conditional order it places, if any (GET /v1/orders/:id once started). */
  orderId: string | null;
}

/**
 * A portfolio's latest result as the stream shows it: positions as POST /v1/portfolio/recalculate
 * returns them (amounts in each quoteAsset, with its usdRate), totals in USD as GET /v1/portfolio.
 */
export interface PortfolioView {
  portfolioId: string;
  asOf: string;
  positions: PositionSummary[];
  totals: SummaryTotals;
}

export function portfolioView(portfolioId: string, r: PortfolioResult): PortfolioView {
  return { portfolioId, asOf: r.asOf, positions: r.positions, totals: r.totals };
}

export type ServerFrame =
  | { type: 'price'; data: PriceView }
  | { type: 'order'; data: OrderView }
  | { type: 'alert'; data: AlertView }
  | { type: 'portfolio'; data: PortfolioView }
  | { type: 'subscribed' | 'unsubscribed'; channel: 'prices'; symbols: string[] }
  | { type: 'subscribed' | 'unsubscribed'; channel: 'orders' | 'alerts' | 'portfolio' }
  | { type: 'error'; error: { code: string; message: string; details?: unknown } };

export function errorFrame(code: string, message: string, details?: unknown): ServerFrame {
  return { type: 'error', error: details === undefined ? { code, message } : { code, message, details } };
}
