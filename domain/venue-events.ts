/**
 * What a venue tells an order workflow without being asked: an execution report from Binance's
 * user data stream, or a fill of the paper venue on a price move. Both reach the order by the same
 * signal, so both venues' orders learn of fills the same way. Decimals are normalised strings.
 */
import type { ExchangeFill, Venue } from './exchange.js';
import type { OrderStatus } from './orders.js';

/** The order as the venue reported it in one event, with the trade that event carried (if any). */
export interface VenueOrderUpdate {
  kind: 'update';
  venue: Venue;
  clientOrderId: string;
  exchangeOrderId: string;
  status: OrderStatus;
  executedQty: string;
  cumulativeQuoteQty: string;
  trade?: ExchangeFill | undefined;
  /** A trailing stop's current trigger price, where the venue tells it. */
  triggerPrice?: string | undefined;
  /** Venue time of the event (ms). */
  eventTime: number;
}

/** "Look at the venue now": sent after a stream reconnect found this order different from ours. */
export interface VenueOrderCheck {
  kind: 'check';
  reason: string;
}

export type VenueOrderEvent = VenueOrderUpdate | VenueOrderCheck;
