/**
 * The venue-neutral view of an exchange. Both venues (Binance Spot REST and the in-engine paper
 * venue) implement `Exchange`; activities only ever see this interface.
 * Decimals are strings here, as on the wire; arithmetic happens in decimal.js.
 */
export type Venue = 'paper' | 'binance';
export type Side = 'BUY' | 'SELL';
export type OrderType = 'MARKET' | 'LIMIT' | 'STOP_LOSS' | 'STOP_LOSS_LIMIT' | 'TAKE_PROFIT' | 'TAKE_PROFIT_LIMIT';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';
/** Binance's order statuses (enums.md); the paper venue uses the same set. */
export type ExchangeOrderStatus =
  | 'NEW'
  | 'PENDING_NEW'
  | 'PARTIALLY_FILLED'
  | 'FILLED'
  | 'CANCELED'
  | 'PENDING_CANCEL'
  | 'REJECTED'
  | 'EXPIRED'
  | 'EXPIRED_IN_MATCH';

/** What is being bought or sold, and how: the same terms on our order and on the venue's. */
export interface OrderTerms {
  symbol: string;
  side: Side;
  type: OrderType;
  quantity: string;
  price?: string | undefined;
  stopPrice?: string | undefined;
  timeInForce?: TimeInForce | undefined;
}

export interface PlaceOrderRequest extends OrderTerms {
  /** Deterministic, derived from our order id; `[.A-Z:/a-z0-9_-]{1,36}`. */
  clientOrderId: string;
}

export interface ExchangeFill {
  tradeId: string;
  price: string;
  qty: string;
  commission: string;
  commissionAsset: string;
  /** epoch ms */
  time: number;
}

export interface ExchangeOrder {
  symbol: string;
  exchangeOrderId: string;
  clientOrderId: string;
  side: Side;
  type: OrderType;
  status: ExchangeOrderStatus;
  price: string;
  stopPrice?: string | undefined;
  origQty: string;
  executedQty: string;
  cummulativeQuoteQty: string;
  /** epoch ms of the last change */
  updateTime: number;
}

export interface Balance {
  asset: string;
  free: string;
  locked: string;
}

/** Trading rules of one symbol, from Binance exchangeInfo filters. A "0" turns a bound off, as on Binance. */
export interface SymbolRules {
  symbol: string;
  status: string;
  baseAsset: string;
  quoteAsset: string;
  orderTypes: OrderType[];
  priceFilter?: { minPrice: string; maxPrice: string; tickSize: string } | undefined;
  lotSize?: { minQty: string; maxQty: string; stepSize: string } | undefined;
  marketLotSize?: { minQty: string; maxQty: string; stepSize: string } | undefined;
  /** MIN_NOTIONAL (old) or NOTIONAL (new) filter, normalised. */
  notional?:
    | { minNotional: string; maxNotional?: string | undefined; applyMinToMarket: boolean; applyMaxToMarket: boolean; avgPriceMins: number }
    | undefined;
}

export interface OrderRef {
  symbol: string;
  clientOrderId: string;
}

export interface Exchange {
  readonly venue: Venue;
  /** Rules for the given symbols (all symbols when omitted). */
  getSymbolRules(symbols?: string[]): Promise<SymbolRules[]>;
  /** Places an order. Throws one of the ExchangeError subclasses on failure. */
  placeOrder(req: PlaceOrderRequest): Promise<ExchangeOrder>;
  /** The order by client order id, or null when the venue says it does not exist (-2013). */
  getOrder(ref: OrderRef): Promise<ExchangeOrder | null>;
  /** Cancels; throws ExchangeRejectedError with code -2011 when the order is unknown or already final. */
  cancelOrder(ref: OrderRef): Promise<ExchangeOrder>;
  /**
   * Open orders of the account, of one symbol or of all (reconciliation). Binance: GET
   * /api/v3/openOrders (weight 6 with a symbol, 80 without).
   */
  getOpenOrders(symbol?: string): Promise<ExchangeOrder[]>;
  /**
   * The order with this client id in the account's order history (open, filled, canceled…), or
   * null. Binance: GET /api/v3/allOrders on the symbol (weight 20), newest first, from `sinceMs`.
   * A second way to find an order when the by-id query says -2013.
   */
  findInHistory(ref: OrderRef & { sinceMs?: number | undefined }): Promise<ExchangeOrder | null>;
  /** Trades of one order. */
  getTrades(ref: OrderRef & { exchangeOrderId: string }): Promise<ExchangeFill[]>;
  getBalances(): Promise<Balance[]>;
}
