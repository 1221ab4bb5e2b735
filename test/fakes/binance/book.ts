/**
 * The fake's matching engine: every order ever accepted, its trades, and the rules that move them.
 * MARKET orders take the current price; marketable LIMIT orders take it too (at the limit or
 * better); resting LIMIT orders fill at their own price when the market crosses them; stops
 * trigger on a crossing. Fills consume the market's liquidity, so they can be partial.
 * Every change of an order is reported, in order, to the `onEvent` listeners (the user data stream).
 */
import type { Balance, ExchangeOrderStatus, OrderType, Side } from '../../../domain/exchange.js';
import type { Account } from './account.js';
import { apiErrors } from './api-error.js';
import { D, type Dec, floorToStep, ZERO } from './decimal.js';
import { enforceFilters } from './filters.js';
import type { Market } from './market.js';
import type { FakeOrder, FakeTrade, OrderIntent } from './orders.js';
import type { SymbolEntry } from './symbols.js';

export interface BookDeps {
  symbols: Map<string, SymbolEntry>;
  market: Market;
  account: Account;
  clock: () => number;
  /** Taken from what the order receives (base on BUY, quote on SELL), e.g. 0.001 = 0.1 %. */
  commissionRate: Dec;
}

export type ExecutionType = 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED';
/** user-data-stream.md "Order Expiry Reason", the ones the fake can produce. */
export type ExpiryReason = 'INSUFFICIENT_LIQUIDITY' | 'UNFILLED_IOC_QUANTITY_EXPIRED' | 'UNFILLED_FOK_ORDER_EXPIRED' | 'EXCHANGE_CANCELED';

/**
 * One change of an order (`order` is the live record, so read it synchronously), then the balances
 * that change moved, as Binance reports them: executionReport, then outboundAccountPosition.
 */
export type BookEvent =
  | {
      kind: 'execution';
      execution: ExecutionType;
      order: FakeOrder;
      trade?: FakeTrade;
      /** CANCELED: the client id of the cancel request. */
      cancelClientOrderId?: string;
      expiryReason?: ExpiryReason;
      time: number;
    }
  | { kind: 'balances'; balances: Balance[]; time: number };

const STOPS: ReadonlySet<OrderType> = new Set(['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']);
const MARKET_LIKE: ReadonlySet<OrderType> = new Set(['MARKET', 'STOP_LOSS', 'TAKE_PROFIT']);
const OPEN: ReadonlySet<ExchangeOrderStatus> = new Set(['NEW', 'PARTIALLY_FILLED']);

/** Whether a stop order fires at `price` (enums.md: STOP_LOSS BUY and TAKE_PROFIT SELL fire on a rise). */
function fires(type: OrderType, side: Side, stop: Dec, price: Dec): boolean {
  const onRise = (type.startsWith('STOP_LOSS') && side === 'BUY') || (type.startsWith('TAKE_PROFIT') && side === 'SELL');
  return onRise ? price.gte(stop) : price.lte(stop);
}

export class Book {
  readonly orders: FakeOrder[] = [];
  readonly trades: FakeTrade[] = [];
  private nextOrderId = 1;
  private nextTradeId = 1;
  private readonly listeners: Array<(e: BookEvent) => void> = [];

  constructor(private readonly deps: BookDeps) {}

  onEvent(listener: (e: BookEvent) => void): void {
    this.listeners.push(listener);
  }

  isOpen(order: FakeOrder): boolean {
    return OPEN.has(order.status);
  }

  /** Accepts an order (or throws Binance's rejection) and executes whatever can execute at once. */
  place(intent: OrderIntent): { order: FakeOrder; fills: FakeTrade[] } {
    const { symbols, market, account, clock } = this.deps;
    const entry = symbols.get(intent.symbol);
    if (!entry) throw apiErrors.invalidSymbol();
    const now = clock();
    const last = market.price(intent.symbol);
    const qty = intent.quantity ?? this.quantityFor(intent.quoteOrderQty ?? ZERO, last, entry);
    enforceFilters(entry.spec, intent, qty, last);
    if (this.orders.some((o) => o.clientOrderId === intent.clientOrderId && this.isOpen(o))) throw apiErrors.duplicateOrder();
    const stop = STOPS.has(intent.type);
    if (stop && fires(intent.type, intent.side, intent.stopPrice ?? ZERO, last)) throw apiErrors.wouldTrigger();

    const buy = intent.side === 'BUY';
    const lockPrice = buy ? (intent.price ?? intent.stopPrice ?? last) : new D(1);
    const lockAsset = buy ? entry.spec.quoteAsset : entry.spec.baseAsset;
    const lockAmount = qty.times(lockPrice);
    if (!account.lock(lockAsset, lockAmount, now)) throw apiErrors.insufficientBalance();

    const order: FakeOrder = {
      symbol: intent.symbol,
      orderId: this.nextOrderId++,
      clientOrderId: intent.clientOrderId,
      side: intent.side,
      type: intent.type,
      timeInForce: intent.timeInForce ?? 'GTC',
      price: intent.price ?? ZERO,
      stopPrice: intent.stopPrice ?? ZERO,
      origQty: qty,
      origQuoteOrderQty: intent.quoteOrderQty ?? ZERO,
      executedQty: ZERO,
      cummulativeQuoteQty: ZERO,
      status: 'NEW',
      time: now,
      updateTime: now,
      workingTime: stop ? -1 : now,
      triggered: !stop,
      lockAsset,
      lockRemaining: lockAmount,
      lockPrice,
    };
    this.orders.push(order);
    this.report({ kind: 'execution', execution: 'NEW', order, time: now });
    const before = this.trades.length;
    if (!stop) this.work(order, true);
    return { order, fills: this.trades.slice(before) };
  }

  /**
   * By orderId (checked against the client id when both are given), else the open order with that
   * client id, else the latest; only among the orders `visible` lets through (all by default).
   */
  find(
    symbol: string,
    ref: { orderId?: number | undefined; clientOrderId?: string | undefined },
    visible: (o: FakeOrder) => boolean = () => true,
  ): FakeOrder | undefined {
    if (ref.orderId !== undefined) {
      const o = this.orders.find((x) => x.orderId === ref.orderId && x.symbol === symbol && visible(x));
      return o && (ref.clientOrderId === undefined || o.clientOrderId === ref.clientOrderId) ? o : undefined;
    }
    const same = this.orders.filter((x) => x.symbol === symbol && x.clientOrderId === ref.clientOrderId && visible(x));
    return same.find((x) => this.isOpen(x)) ?? same[same.length - 1];
  }

  cancel(order: FakeOrder, cancelClientOrderId: string): void {
    if (!this.isOpen(order)) throw apiErrors.unknownOrder();
    this.finish(order, 'CANCELED', { cancelClientOrderId });
  }

  /** Triggers stops and fills resting orders after the market moved; returns the new trades. */
  onPriceMove(symbol: string): FakeTrade[] {
    const before = this.trades.length;
    const price = this.deps.market.price(symbol);
    for (const order of this.orders) {
      if (order.symbol !== symbol || !this.isOpen(order)) continue;
      if (!order.triggered) {
        if (!fires(order.type, order.side, order.stopPrice, price)) continue;
        order.triggered = true;
        order.workingTime = this.deps.clock();
        order.updateTime = order.workingTime;
        this.work(order, true);
      } else {
        this.work(order, false);
      }
    }
    return this.trades.slice(before);
  }

  /** Fills `qty` of a working limit order at its own price, whatever the market does (a test lever). */
  fillPartially(clientOrderId: string, qty: Dec): FakeTrade[] {
    const order = this.orders.find((o) => o.clientOrderId === clientOrderId && this.isOpen(o));
    if (!order || !order.triggered || MARKET_LIKE.has(order.type)) throw new Error(`Binance fake: no working limit order ${clientOrderId}`);
    if (!qty.isPositive() || qty.isZero() || qty.gt(order.origQty.minus(order.executedQty))) {
      throw new Error(`Binance fake: cannot fill ${qty.toString()} of ${clientOrderId}`);
    }
    const before = this.trades.length;
    this.fill(order, qty, order.price, true);
    return this.trades.slice(before);
  }

  private quantityFor(quoteQty: Dec, price: Dec, entry: SymbolEntry): Dec {
    const step = entry.spec.lot.stepSize;
    return floorToStep(quoteQty.dividedBy(price), step);
  }

  /** Executes what a working order can execute now. A taker takes the market price; a resting order gets its own. */
  private work(order: FakeOrder, asTaker: boolean): void {
    const { market } = this.deps;
    const last = market.price(order.symbol);
    const remaining = (): Dec => order.origQty.minus(order.executedQty);
    if (MARKET_LIKE.has(order.type)) {
      const got = market.take(order.symbol, remaining());
      if (got.gt(0)) this.fill(order, got, last, false);
      if (this.isOpen(order)) this.finish(order, 'EXPIRED', { expiryReason: 'INSUFFICIENT_LIQUIDITY' });
      return;
    }
    const crosses = order.side === 'BUY' ? last.lte(order.price) : last.gte(order.price);
    const immediateOnly = order.timeInForce !== 'GTC';
    const unfilled = { expiryReason: order.timeInForce === 'FOK' ? 'UNFILLED_FOK_ORDER_EXPIRED' : 'UNFILLED_IOC_QUANTITY_EXPIRED' } as const;
    if (!crosses) {
      if (asTaker && immediateOnly) this.finish(order, 'EXPIRED', unfilled);
      return;
    }
    const depth = market.peek(order.symbol);
    if (order.timeInForce === 'FOK' && depth !== null && depth.lt(remaining())) {
      this.finish(order, 'EXPIRED', unfilled);
      return;
    }
    const got = market.take(order.symbol, remaining());
    if (got.gt(0)) this.fill(order, got, asTaker ? last : order.price, !asTaker);
    if (immediateOnly && this.isOpen(order)) this.finish(order, 'EXPIRED', unfilled);
  }

  private fill(order: FakeOrder, qty: Dec, price: Dec, isMaker: boolean): void {
    const { account, clock, commissionRate, symbols } = this.deps;
    const spec = symbols.get(order.symbol)!.spec;
    const now = clock();
    const quote = qty.times(price);
    let commission: Dec;
    let commissionAsset: string;
    if (order.side === 'BUY') {
      const release = D.min(order.lockRemaining, qty.times(order.lockPrice));
      if (release.plus(account.free(spec.quoteAsset)).lt(quote)) {
        this.finish(order, 'EXPIRED', { expiryReason: 'EXCHANGE_CANCELED' });
        return;
      }
      account.spendLocked(spec.quoteAsset, release, now);
      account.credit(spec.quoteAsset, release.minus(quote), now);
      order.lockRemaining = order.lockRemaining.minus(release);
      commission = qty.times(commissionRate).toDecimalPlaces(8);
      commissionAsset = spec.baseAsset;
      account.credit(spec.baseAsset, qty.minus(commission), now);
    } else {
      account.spendLocked(spec.baseAsset, qty, now);
      order.lockRemaining = order.lockRemaining.minus(qty);
      commission = quote.times(commissionRate).toDecimalPlaces(8);
      commissionAsset = spec.quoteAsset;
      account.credit(spec.quoteAsset, quote.minus(commission), now);
    }
    const trade: FakeTrade = {
      symbol: order.symbol,
      id: this.nextTradeId++,
      orderId: order.orderId,
      price,
      qty,
      quoteQty: quote,
      commission,
      commissionAsset,
      time: now,
      isBuyer: order.side === 'BUY',
      isMaker,
    };
    this.trades.push(trade);
    order.executedQty = order.executedQty.plus(qty);
    order.cummulativeQuoteQty = order.cummulativeQuoteQty.plus(quote);
    order.updateTime = now;
    if (order.executedQty.gte(order.origQty)) this.close(order, 'FILLED');
    else order.status = 'PARTIALLY_FILLED';
    this.report({ kind: 'execution', execution: 'TRADE', order, trade, time: now });
  }

  /** Ends the order as CANCELED or EXPIRED and reports it. */
  private finish(order: FakeOrder, status: 'CANCELED' | 'EXPIRED', detail: { cancelClientOrderId?: string; expiryReason?: ExpiryReason } = {}): void {
    this.close(order, status);
    this.report({ kind: 'execution', execution: status, order, ...detail, time: order.updateTime });
  }

  /** Final state: whatever is still locked goes back to free. */
  private close(order: FakeOrder, status: ExchangeOrderStatus): void {
    if (order.lockRemaining.gt(0)) this.deps.account.unlock(order.lockAsset, order.lockRemaining, this.deps.clock());
    order.lockRemaining = ZERO;
    order.status = status;
    order.updateTime = this.deps.clock();
  }

  private report(event: BookEvent): void {
    const changed = this.deps.account.takeChanged();
    const events: BookEvent[] = changed.length > 0 ? [event, { kind: 'balances', balances: changed, time: event.time }] : [event];
    for (const e of events) for (const listener of this.listeners) listener(e);
  }
}
