/**
 * The venue-neutral view of an exchange. Both venues (Binance Spot REST and the in-engine paper
 * venue) implement `Exchange`; activities only ever see this interface.
 * Decimals are strings here, as on the wire; arithmetic happens in decimal.js.
 */
export type Venue = 'paper' | 'binance';
export type Side = 'BUY' | 'SELL';
export type OrderType = 'MARKET' | 'LIMIT' | 'LIMIT_MAKER' | 'STOP_LOSS' | 'STOP_LOSS_LIMIT' | 'TAKE_PROFIT' | 'TAKE_PROFIT_LIMIT';
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
  /**
   * Trailing stop (STOP_LOSS*, TAKE_PROFIT* only), in basis points (BIPS) of the price: the
   * trigger follows the market by this distance and fires on a retrace of it.
   */
  trailingDelta?: number | undefined;
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
  trailingDelta?: number | undefined;
  /** The venue's order list id, when the order is a leg of one. */
  orderListId?: string | undefined;
  /**
   * Set by placeOrder of a venue whose placement is keyed by client id (paper) when the id was
   * already placed: the earlier order is returned and nothing new is placed.
   */
  alreadyPlaced?: true | undefined;
}

// --- Order lists (Binance Spot: POST /api/v3/orderList/oco and /orderList/otoco) --------------

/** One leg of an OCO pair: LIMIT_MAKER, TAKE_PROFIT(_LIMIT) or STOP_LOSS(_LIMIT), with the side and quantity of its list. */
export interface OrderListLeg {
  type: OrderType;
  price?: string | undefined;
  stopPrice?: string | undefined;
  trailingDelta?: number | undefined;
  timeInForce?: TimeInForce | undefined;
  clientOrderId: string;
}

/** Two orders, one cancels the other: `above` rests above the last price, `below` under it. */
export interface PlaceOcoRequest {
  kind: 'OCO';
  symbol: string;
  side: Side;
  quantity: string;
  listClientOrderId: string;
  above: OrderListLeg;
  below: OrderListLeg;
}

/** A working LIMIT/LIMIT_MAKER order; once it fully fills, the pending OCO pair is placed by the venue. */
export interface PlaceOtocoRequest {
  kind: 'OTOCO';
  symbol: string;
  listClientOrderId: string;
  working: { side: Side; type: 'LIMIT' | 'LIMIT_MAKER'; price: string; quantity: string; timeInForce?: TimeInForce | undefined; clientOrderId: string };
  pending: { side: Side; quantity: string; above: OrderListLeg; below: OrderListLeg };
}

export type PlaceOrderListRequest = PlaceOcoRequest | PlaceOtocoRequest;

/** Binance's listStatusType and listOrderStatus (enums.md). */
export type ListStatusType = 'RESPONSE' | 'EXEC_STARTED' | 'UPDATED' | 'ALL_DONE';
export type ListOrderStatus = 'EXECUTING' | 'ALL_DONE' | 'REJECT';

export interface ExchangeOrderList {
  symbol: string;
  orderListId: string;
  listClientOrderId: string;
  contingencyType: 'OCO' | 'OTO';
  listStatusType: ListStatusType;
  listOrderStatus: ListOrderStatus;
  /** Every leg, in the venue's order, with its current status. */
  orders: ExchangeOrder[];
  transactionTime: number;
}

export interface OrderListRef {
  symbol: string;
  listClientOrderId: string;
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
  /** Places an OCO or OTOCO list in one request. Throws ExchangeError subclasses like placeOrder. */
  placeOrderList(req: PlaceOrderListRequest): Promise<ExchangeOrderList>;
  /** The list by its client id with every leg's current status, or null when the venue does not know it (-2011/-2013). */
  getOrderList(ref: OrderListRef): Promise<ExchangeOrderList | null>;
  /** Cancels the whole list (a leg's cancel does the same); -2011 when it is unknown or already done. */
  cancelOrderList(ref: OrderListRef): Promise<ExchangeOrderList>;
}
