/**
 * The fake's matching engine: every order ever accepted, its trades, and the rules that move them.
 * MARKET orders take the current price; marketable LIMIT orders take it too (at the limit or
 * better); resting LIMIT orders fill at their own price when the market crosses them; stops
 * trigger on a crossing (trailing stops per trailing.ts). Fills consume the market's liquidity, so
 * they can be partial. Order lists (order-lists.ts) live here too: an OCO pair resolves in one step
 * (the leg that starts executing expires its partner before it trades), an OTOCO's pending pair is
 * placed only once its working order is FILLED, and cancelling any leg cancels the whole list.
 * Every change of an order, and of a list, is reported in order to the `onEvent` listeners (the
 * user data stream).
 */
import type { Balance, ExchangeOrderStatus, OrderType } from '../../../domain/exchange.js';
import type { Account } from './account.js';
import { apiErrors, BinanceApiError } from './api-error.js';
import { D, type Dec, floorToStep, ZERO } from './decimal.js';
import { enforceFilters } from './filters.js';
import type { Market } from './market.js';
import { checkOcoPair, type FakeOrderList, type ListIntent, pairedLeg } from './order-lists.js';
import type { FakeOrder, FakeTrade, OrderIntent } from './orders.js';
import type { SymbolEntry } from './symbols.js';
import { enforceTrailingDelta, STOP_TYPES, stepTrigger, stopConditionMet } from './trailing.js';

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
export type ExpiryReason =
  | 'INSUFFICIENT_LIQUIDITY'
  | 'UNFILLED_IOC_QUANTITY_EXPIRED'
  | 'UNFILLED_FOK_ORDER_EXPIRED'
  | 'EXCHANGE_CANCELED'
  | 'OCO_TRIGGER'
  | 'OTO_PHASE_ONE_EXPIRED'
  | 'REJECTED';

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
  | { kind: 'balances'; balances: Balance[]; time: number }
  /** The list was placed or finished (user-data-stream.md listStatus). */
  | { kind: 'list'; list: FakeOrderList; time: number };

const MARKET_LIKE: ReadonlySet<OrderType> = new Set(['MARKET', 'STOP_LOSS', 'TAKE_PROFIT']);
const OPEN: ReadonlySet<ExchangeOrderStatus> = new Set(['NEW', 'PARTIALLY_FILLED']);

/** An order that passed every check, with what it will lock. */
interface Vetted {
  intent: OrderIntent;
  qty: Dec;
  last: Dec;
  lockAsset: string;
  /** Quote locked per unit of base for BUY orders (1 for SELL: the base itself is locked). */
  lockPrice: Dec;
}

export class Book {
  readonly orders: FakeOrder[] = [];
  readonly trades: FakeTrade[] = [];
  readonly lists: FakeOrderList[] = [];
  private nextOrderId = 1;
  private nextTradeId = 1;
  private nextListId = 1;
  private readonly listByOrderId = new Map<number, FakeOrderList>();
  /** Lists being cancelled as a whole: their legs' ends do not set off the OTO phase logic. */
  private readonly cancelling = new Set<FakeOrderList>();
  private readonly listeners: Array<(e: BookEvent) => void> = [];

  constructor(private readonly deps: BookDeps) {}

  onEvent(listener: (e: BookEvent) => void): void {
    this.listeners.push(listener);
  }

  isOpen(order: FakeOrder): boolean {
    return OPEN.has(order.status);
  }

  /** Open, or a pending list leg not on the book yet: what a cancel still reaches and a client id still holds. */
  isLive(order: FakeOrder): boolean {
    return OPEN.has(order.status) || order.status === 'PENDING_NEW';
  }

  listOf(order: FakeOrder): FakeOrderList | undefined {
    return this.listByOrderId.get(order.orderId);
  }

  /** Accepts an order (or throws Binance's rejection) and executes whatever can execute at once. */
  place(intent: OrderIntent): { order: FakeOrder; fills: FakeTrade[] } {
    const vetted = this.vet(intent);
    const now = this.deps.clock();
    const lockAmount = vetted.qty.times(vetted.lockPrice);
    if (!this.deps.account.lock(vetted.lockAsset, lockAmount, now)) throw apiErrors.insufficientBalance();
    const order = this.create(vetted, lockAmount, -1, 'NEW', now);
    this.report({ kind: 'execution', execution: 'NEW', order, time: now });
    const before = this.trades.length;
    if (order.triggered) this.work(order, true);
    return { order, fills: this.trades.slice(before) };
  }

  /**
   * Accepts an OCO or OTOCO whole or not at all. An OCO pair locks once, on the leg that needs the
   * most; an OTOCO locks its working order now and its pending pair when that is placed.
   * `reports` are the legs as the placement answer shows them: pending legs stay PENDING_NEW there
   * even when the working order filled at once (rest-api.md, OTO).
   */
  placeList(li: ListIntent): { list: FakeOrderList; reports: FakeOrder[]; fills: FakeTrade[] } {
    const { market, account, clock } = this.deps;
    if (this.lists.some((l) => l.listClientOrderId === li.listClientOrderId && l.listOrderStatus !== 'ALL_DONE')) throw apiErrors.duplicateOrder();
    if (!this.deps.symbols.has(li.symbol)) throw apiErrors.invalidSymbol();
    checkOcoPair(li.above.side, li.above, li.below, market.price(li.symbol));
    const intents = li.kind === 'OCO' ? [li.below, li.above] : [li.working, li.above, li.below];
    const ids = intents.map((i) => i.clientOrderId);
    const vetted = intents.map((intent, i) => this.vet(intent, ids.slice(0, i)));
    const now = clock();
    const lockers = li.kind === 'OCO' ? vetted : vetted.slice(0, 1);
    const holder = lockers.reduce((a, b) => (b.qty.times(b.lockPrice).gt(a.qty.times(a.lockPrice)) ? b : a));
    const lockAmount = holder.qty.times(holder.lockPrice);
    if (!account.lock(holder.lockAsset, lockAmount, now)) throw apiErrors.insufficientBalance();

    const orderListId = this.nextListId++;
    const legs = vetted.map((v, i) => this.create(v, v === holder ? lockAmount : ZERO, orderListId, li.kind === 'OTOCO' && i > 0 ? 'PENDING_NEW' : 'NEW', now));
    const list: FakeOrderList = {
      orderListId,
      symbol: li.symbol,
      contingencyType: li.kind === 'OCO' ? 'OCO' : 'OTO',
      kind: li.kind,
      listClientOrderId: li.listClientOrderId,
      transactionTime: now,
      listStatusType: 'EXEC_STARTED',
      listOrderStatus: 'EXECUTING',
      legs,
    };
    this.lists.push(list);
    for (const leg of legs) this.listByOrderId.set(leg.orderId, list);
    for (const leg of legs) this.report({ kind: 'execution', execution: 'NEW', order: leg, time: now });
    this.report({ kind: 'list', list, time: now });
    const reports = legs.map((leg) => (leg.status === 'PENDING_NEW' ? { ...leg } : leg));
    const before = this.trades.length;
    if (li.kind === 'OTOCO' && legs[0]) this.work(legs[0], true);
    return { list, reports, fills: this.trades.slice(before) };
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
    return same.find((x) => this.isLive(x)) ?? same[same.length - 1];
  }

  /** By orderListId (checked against the client id when both are given), else the executing list with that client id, else the latest. */
  findList(ref: { orderListId?: number | undefined; listClientOrderId?: string | undefined }): FakeOrderList | undefined {
    if (ref.orderListId !== undefined) {
      const l = this.lists.find((x) => x.orderListId === ref.orderListId);
      return l && (ref.listClientOrderId === undefined || l.listClientOrderId === ref.listClientOrderId) ? l : undefined;
    }
    const same = this.lists.filter((x) => x.listClientOrderId === ref.listClientOrderId);
    return same.find((x) => x.listOrderStatus === 'EXECUTING') ?? same[same.length - 1];
  }

  /** Cancels the order; a leg of a list takes the whole list with it (rest-api.md, Cancel Order list). */
  cancel(order: FakeOrder, cancelClientOrderId: string): void {
    if (!this.isLive(order)) throw apiErrors.unknownOrder();
    const list = this.listOf(order);
    if (list) this.cancelList(list, cancelClientOrderId);
    else this.finish(order, 'CANCELED', { cancelClientOrderId });
  }

  cancelList(list: FakeOrderList, cancelClientOrderId: string): void {
    if (list.listOrderStatus === 'ALL_DONE') throw new BinanceApiError(400, -2011, 'Order list does not exist.');
    this.cancelling.add(list);
    try {
      for (const leg of list.legs) if (this.isLive(leg)) this.finish(leg, 'CANCELED', { cancelClientOrderId });
    } finally {
      this.cancelling.delete(list);
    }
  }

  /** Triggers stops (trailing ones step by step) and fills resting orders after the market moved; returns the new trades. */
  onPriceMove(symbol: string): FakeTrade[] {
    const before = this.trades.length;
    for (const order of this.orders) {
      if (order.symbol === symbol && this.isOpen(order)) this.evaluate(order);
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

  /** Binance's checks of one order against the market and the book, before anything is locked. `alsoTaken`: client ids of earlier legs of the same list. */
  private vet(intent: OrderIntent, alsoTaken: readonly string[] = []): Vetted {
    const { symbols, market } = this.deps;
    const entry = symbols.get(intent.symbol);
    if (!entry) throw apiErrors.invalidSymbol();
    const last = market.price(intent.symbol);
    const qty = intent.quantity ?? this.quantityFor(intent.quoteOrderQty ?? ZERO, last, entry);
    enforceFilters(entry.spec, intent, qty, last);
    if (intent.trailingDelta !== undefined) enforceTrailingDelta(entry.spec.trailingDelta, intent.type, intent.side, intent.trailingDelta);
    if (alsoTaken.includes(intent.clientOrderId) || this.orders.some((o) => o.clientOrderId === intent.clientOrderId && this.isLive(o))) {
      throw apiErrors.duplicateOrder();
    }
    if (STOP_TYPES.has(intent.type) && intent.stopPrice && stopConditionMet(intent.type, intent.side, intent.stopPrice, last)) throw apiErrors.wouldTrigger();
    if (intent.type === 'LIMIT_MAKER' && intent.price && (intent.side === 'BUY' ? intent.price.gte(last) : intent.price.lte(last))) {
      throw apiErrors.newOrderRejected('Order would immediately match and take.');
    }
    const buy = intent.side === 'BUY';
    return {
      intent,
      qty,
      last,
      lockAsset: buy ? entry.spec.quoteAsset : entry.spec.baseAsset,
      lockPrice: buy ? (intent.price ?? intent.stopPrice ?? last) : new D(1),
    };
  }

  private create(v: Vetted, lockAmount: Dec, orderListId: number, status: 'NEW' | 'PENDING_NEW', now: number): FakeOrder {
    const { intent } = v;
    const stop = STOP_TYPES.has(intent.type);
    const order: FakeOrder = {
      symbol: intent.symbol,
      orderId: this.nextOrderId++,
      clientOrderId: intent.clientOrderId,
      side: intent.side,
      type: intent.type,
      timeInForce: intent.timeInForce ?? 'GTC',
      price: intent.price ?? ZERO,
      stopPrice: intent.stopPrice ?? ZERO,
      origQty: v.qty,
      origQuoteOrderQty: intent.quoteOrderQty ?? ZERO,
      executedQty: ZERO,
      cummulativeQuoteQty: ZERO,
      status,
      time: now,
      updateTime: now,
      workingTime: stop || status === 'PENDING_NEW' ? -1 : now,
      triggered: !stop,
      orderListId,
      trailingDelta: intent.trailingDelta,
      trailingTime: -1,
      lockAsset: v.lockAsset,
      lockRemaining: lockAmount,
      lockPrice: v.lockPrice,
    };
    if (status === 'NEW') this.trackFromNow(order, v.last, now);
    this.orders.push(order);
    return order;
  }

  /** A trailing stop without a stopPrice tracks from the moment it is on the book (faqs/trailing-stop-faq.md, scenario E). */
  private trackFromNow(order: FakeOrder, last: Dec, now: number): void {
    if (order.trailingDelta === undefined || !order.stopPrice.isZero()) return;
    order.trailingTime = now;
    order.trailBest = last;
  }

  /** One order against the current price: a stop may trigger (expiring its OCO partner first), a working order may fill. */
  private evaluate(order: FakeOrder): void {
    if (order.triggered) return this.work(order, false);
    const now = this.deps.clock();
    if (!stepTrigger(order, this.deps.market.price(order.symbol), now)) return;
    order.triggered = true;
    order.workingTime = now;
    order.updateTime = now;
    this.resolvePair(order);
    this.work(order, true);
  }

  /**
   * The OCO rule, in one step: the leg that starts executing (its first fill, or its trigger)
   * expires its partner at once, and takes over the pair's one lock.
   */
  private resolvePair(order: FakeOrder): void {
    const list = this.listOf(order);
    const other = list && pairedLeg(list, order);
    if (!other || !this.isOpen(other)) return;
    order.lockRemaining = order.lockRemaining.plus(other.lockRemaining);
    other.lockRemaining = ZERO;
    const left = order.origQty.minus(order.executedQty);
    if (order.side === 'BUY' && left.gt(0)) order.lockPrice = order.lockRemaining.dividedBy(left);
    this.finish(other, 'EXPIRED', { expiryReason: 'OCO_TRIGGER' });
  }

  /** After each reported change of a list's leg: the OTOCO phases, then the end of the list. */
  private onLegChanged(order: FakeOrder): void {
    const list = this.listOf(order);
    if (!list || list.listOrderStatus === 'ALL_DONE') return;
    const working = list.kind === 'OTOCO' ? list.legs[0] : undefined;
    if (order === working && !this.isLive(order) && !this.cancelling.has(list)) {
      if (order.status === 'FILLED') this.placePending(list);
      else for (const leg of list.legs.slice(1)) if (leg.status === 'PENDING_NEW') this.finish(leg, 'EXPIRED', { expiryReason: 'OTO_PHASE_ONE_EXPIRED' });
    }
    // The phase logic above may have ended the list already (its own legs report through here too).
    if (this.listDone(list) || list.legs.some((l) => this.isLive(l))) return;
    list.listStatusType = 'ALL_DONE';
    list.listOrderStatus = 'ALL_DONE';
    list.transactionTime = this.deps.clock();
    this.report({ kind: 'list', list, time: list.transactionTime });
  }

  private listDone(list: FakeOrderList): boolean {
    return list.listOrderStatus === 'ALL_DONE';
  }

  /**
   * Puts an OTOCO's pending pair on the book once the working order filled. A pair the account
   * cannot fund, or a LIMIT_MAKER that would take, is rejected by the matching engine (expired, REJECTED).
   */
  private placePending(list: FakeOrderList): void {
    const [, above, below] = list.legs;
    if (!above || !below) return;
    const { account, clock, market } = this.deps;
    const now = clock();
    const last = market.price(list.symbol);
    const need = (o: FakeOrder): Dec => o.origQty.times(o.lockPrice);
    const holder = need(below).gt(need(above)) ? below : above;
    const takes = [above, below].find((o) => o.type === 'LIMIT_MAKER' && (o.side === 'BUY' ? o.price.gte(last) : o.price.lte(last)));
    if (takes || !account.lock(holder.lockAsset, need(holder), now)) {
      for (const leg of [above, below]) this.finish(leg, 'EXPIRED', { expiryReason: 'REJECTED' });
      return;
    }
    holder.lockRemaining = need(holder);
    for (const leg of [above, below]) {
      leg.status = 'NEW';
      leg.updateTime = now;
      if (leg.triggered) leg.workingTime = now;
      this.trackFromNow(leg, last, now);
      this.report({ kind: 'execution', execution: 'NEW', order: leg, time: now });
    }
    for (const leg of [above, below]) if (this.isOpen(leg)) this.evaluate(leg);
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
    this.resolvePair(order);
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
      orderListId: order.orderListId,
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
    if (event.kind === 'execution' && event.order.orderListId !== -1) this.onLegChanged(event.order);
  }
}
