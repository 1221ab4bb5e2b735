/**
 * One client of /v1/stream: its subscriptions, the snapshot it gets on subscribing, and the
 * changes it is sent afterwards. Whatever order the snapshot and live notifications arrive in,
 * a client never sees a price older than one it was sent, nor an order step backwards, nor an
 * alert fire twice, nor a portfolio result older than one it was sent.
 */
import { Decimal } from 'decimal.js';
import type { RawData, WebSocket } from 'ws';
import { latestPrices } from '../../store/prices.js';
import { changeOf, recentlyFired } from '../../store/price-alerts.js';
import { latestPortfolioResults } from '../../store/portfolio-events.js';
import type { Sql } from '../../lib/db.js';
import type { Logger } from '../../lib/logger.js';
import { STATUS_RANK, type OrderStatus } from '../../workflows/definitions.js';
import { zodDetails } from '../errors.js';
import { presentPrice } from '../routes/prices.js';
import { MAX_SYMBOLS, type PriceView } from '../schemas/prices.js';
import type { StreamPrincipal } from './auth.js';
import type { AlertChange, OrderChange, PriceChange } from './hub.js';
import { clientMessage, errorFrame, portfolioView, type AlertView, type OrderView, type PortfolioView, type ServerFrame } from './protocol.js';

/** How far back the `alerts` snapshot goes, and how many fired alerts it holds at most. */
const ALERT_SNAPSHOT_MS = 86_400_000;
const ALERT_SNAPSHOT_MAX = 100;

export interface SessionOptions {
  sql: Sql;
  log: Logger;
  staleAfterMs: number;
  /** A client this far behind in reading is dropped instead of buffering without end. */
  maxBufferedBytes: number;
  /** Messages a client may send at once, then `subscriptionsPerSecond` (a token bucket). */
  subscriptionBurst: number;
  subscriptionsPerSecond: number;
  now?: () => number;
}

export class StreamSession {
  /** Set by the heartbeat before a ping, cleared by the pong. */
  awaitingPong = false;
  readonly #prices = new Set<string>();
  #orders = false;
  #alerts = false;
  #portfolio = false;
  readonly #sentAlerts = new Set<string>();
  /** asOf (ms) of the last result sent, per portfolio. */
  readonly #sentPortfolio = new Map<string, number>();
  readonly #sentPrice = new Map<string, { asOf: number; price: string | null }>();
  readonly #sentOrder = new Map<string, { rank: number; qty: Decimal }>();
  readonly #now: () => number;
  /** Messages this client may still send now; refills at subscriptionsPerSecond up to the burst. */
  #allowance: number;
  #refilledAt: number;

  constructor(
    readonly ws: WebSocket,
    readonly principal: StreamPrincipal,
    private readonly o: SessionOptions,
  ) {
    this.#now = o.now ?? Date.now;
    this.#allowance = o.subscriptionBurst;
    this.#refilledAt = this.#now();
  }

  async handle(raw: RawData, isBinary: boolean): Promise<void> {
    // Every message costs a parse and maybe a snapshot query: each one, well-formed or not, is counted.
    const retryAfterMs = this.#take();
    if (retryAfterMs > 0) {
      return this.#send(errorFrame('rate_limited', `Too many messages; at most ${this.o.subscriptionsPerSecond} per second after a burst of ${this.o.subscriptionBurst}. This one changed nothing`, { retryAfterMs }));
    }
    if (isBinary) return this.#send(errorFrame('invalid_message', 'Binary frames are not supported; send JSON text'));
    let json: unknown;
    try {
      json = JSON.parse(raw.toString());
    } catch (err) {
      return this.#send(errorFrame('invalid_json', `Message is not valid JSON: ${(err as Error).message}`));
    }
    const parsed = clientMessage.safeParse(json);
    if (!parsed.success) {
      const { message, details } = zodDetails(parsed.error);
      return this.#send(errorFrame('invalid_message', message, details));
    }
    const m = parsed.data;
    try {
      if (m.type === 'subscribe' && m.channel === 'prices') await this.#subscribePrices(m.symbols ?? []);
      else if (m.type === 'subscribe' && m.channel === 'alerts') await this.#subscribeAlerts();
      else if (m.type === 'subscribe' && m.channel === 'portfolio') await this.#subscribePortfolio();
      else if (m.type === 'subscribe') await this.#subscribeOrders();
      else if (m.channel === 'alerts') {
        this.#alerts = false;
        this.#send({ type: 'unsubscribed', channel: 'alerts' });
      } else if (m.channel === 'portfolio') {
        this.#portfolio = false;
        this.#send({ type: 'unsubscribed', channel: 'portfolio' });
      } else if (m.channel === 'prices') {
        const symbols = m.symbols ?? [...this.#prices];
        for (const s of symbols) this.#prices.delete(s);
        this.#send({ type: 'unsubscribed', channel: 'prices', symbols });
      } else {
        this.#orders = false;
        this.#send({ type: 'unsubscribed', channel: 'orders' });
      }
    } catch (err) {
      this.o.log.error('stream subscription failed', { err, accountId: this.principal.accountId });
      this.#send(errorFrame('internal', 'Could not load the snapshot; subscribe again'));
    }
  }

  /** Takes one message from the allowance: 0 when allowed, else the ms until one is. */
  #take(): number {
    const now = this.#now();
    this.#allowance = Math.min(this.o.subscriptionBurst, this.#allowance + ((now - this.#refilledAt) * this.o.subscriptionsPerSecond) / 1000);
    this.#refilledAt = now;
    if (this.#allowance >= 1) {
      this.#allowance -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#allowance) * 1000) / this.o.subscriptionsPerSecond);
  }

  onPrice(change: PriceChange): void {
    if (!this.#prices.has(change.symbol)) return;
    this.#sendPrice(presentPrice(change.symbol, { ...change, asOf: new Date(change.asOf) }, this.o.staleAfterMs, this.#now()));
  }

  onOrder(change: OrderChange): void {
    if (!this.#orders || change.accountId !== this.principal.accountId) return;
    this.#sendOrder({ orderId: change.orderId, symbol: change.symbol, status: change.status, executedQty: change.executedQty });
  }

  onAlert(change: AlertChange): void {
    if (!this.#alerts || change.accountId !== this.principal.accountId) return;
    const { accountId: _owner, ...view } = change;
    this.#sendAlert(view);
  }

  /** Whether this session wants the recalculations of `accountId`'s portfolios (they are read only then). */
  followsPortfolio(accountId: string): boolean {
    return this.#portfolio && accountId === this.principal.accountId;
  }

  /** A result read after a recalculation of one of `accountId`'s portfolios. */
  onPortfolio(accountId: string, view: PortfolioView): void {
    if (!this.followsPortfolio(accountId)) return;
    this.#sendPortfolio(view);
  }

  /** Sends every subscription's snapshot again (after notifications may have been missed). */
  async resync(): Promise<void> {
    try {
      if (this.#prices.size > 0) await this.#pricesSnapshot([...this.#prices]);
      if (this.#orders) await this.#ordersSnapshot();
      if (this.#alerts) await this.#alertsSnapshot();
      if (this.#portfolio) await this.#portfolioSnapshot();
    } catch (err) {
      this.o.log.error('stream resync failed', { err, accountId: this.principal.accountId });
    }
  }

  async #subscribePrices(symbols: string[]): Promise<void> {
    const added = symbols.filter((s) => !this.#prices.has(s));
    if (this.#prices.size + added.length > MAX_SYMBOLS) {
      return this.#send(errorFrame('too_many_symbols', `A connection may follow at most ${MAX_SYMBOLS} symbols; unsubscribe some first`));
    }
    // Subscribed before the snapshot is read, so no change between the two is lost.
    for (const s of added) this.#prices.add(s);
    await this.#pricesSnapshot(symbols);
    this.#send({ type: 'subscribed', channel: 'prices', symbols });
  }

  async #subscribeOrders(): Promise<void> {
    this.#orders = true;
    await this.#ordersSnapshot();
    this.#send({ type: 'subscribed', channel: 'orders' });
  }

  async #subscribeAlerts(): Promise<void> {
    this.#alerts = true;
    await this.#alertsSnapshot();
    this.#send({ type: 'subscribed', channel: 'alerts' });
  }

  async #subscribePortfolio(): Promise<void> {
    this.#portfolio = true;
    // Each subscription gets the current result, even one an earlier subscription was sent.
    this.#sentPortfolio.clear();
    await this.#portfolioSnapshot();
    this.#send({ type: 'subscribed', channel: 'portfolio' });
  }

  /** The latest result of each of the account's portfolios; nothing for one before its first recalculation, which is pushed. */
  async #portfolioSnapshot(): Promise<void> {
    for (const { portfolioId, result } of await latestPortfolioResults(this.o.sql, this.principal.accountId)) {
      this.#sendPortfolio(portfolioView(portfolioId, result));
    }
  }

  /** The account's alerts fired in the last day, oldest first: what a reconnecting client may have missed. */
  async #alertsSnapshot(): Promise<void> {
    const fired = await recentlyFired(this.o.sql, this.principal.accountId, new Date(this.#now() - ALERT_SNAPSHOT_MS), ALERT_SNAPSHOT_MAX);
    for (const f of fired.reverse()) {
      const { accountId: _owner, ...view } = changeOf(f);
      this.#sendAlert(view as AlertView);
    }
  }

  async #pricesSnapshot(symbols: string[]): Promise<void> {
    const stored = new Map((await latestPrices(this.o.sql, symbols)).map((p) => [p.symbol, p]));
    const now = this.#now();
    for (const s of symbols) this.#sendPrice(presentPrice(s, stored.get(s), this.o.staleAfterMs, now));
  }

  async #ordersSnapshot(): Promise<void> {
    const rows = await this.o.sql<{ id: string; symbol: string; status: string; executed_qty: string }[]>`
      SELECT id, symbol, status, executed_qty::text FROM orders
      WHERE account_id = ${this.principal.accountId} AND status_rank < 9 ORDER BY created_at, id`;
    for (const r of rows) this.#sendOrder({ orderId: r.id, symbol: r.symbol, status: r.status, executedQty: r.executed_qty });
  }

  #sendPrice(view: PriceView): void {
    const asOf = view.asOf === null ? -Infinity : Date.parse(view.asOf);
    const last = this.#sentPrice.get(view.symbol);
    if (last && (asOf < last.asOf || (asOf === last.asOf && view.price === last.price))) return;
    this.#sentPrice.set(view.symbol, { asOf, price: view.price });
    this.#send({ type: 'price', data: view });
  }

  #sendOrder(view: OrderView): void {
    const rank = STATUS_RANK[view.status as OrderStatus] ?? 0;
    const qty = new Decimal(view.executedQty);
    const last = this.#sentOrder.get(view.orderId);
    if (last && (rank < last.rank || (rank === last.rank && qty.lte(last.qty)))) return;
    this.#sentOrder.set(view.orderId, { rank, qty });
    this.#send({ type: 'order', data: view });
  }

  /** Each alert fires once, so each is sent once, whether by the snapshot or live. */
  #sendAlert(view: AlertView): void {
    if (this.#sentAlerts.has(view.alertId)) return;
    this.#sentAlerts.add(view.alertId);
    this.#send({ type: 'alert', data: view });
  }

  /** Only a newer result than the last one sent: a snapshot read before a push may finish after it. */
  #sendPortfolio(view: PortfolioView): void {
    const asOf = Date.parse(view.asOf);
    const last = this.#sentPortfolio.get(view.portfolioId);
    if (!this.#portfolio || (last !== undefined && asOf <= last)) return;
    this.#sentPortfolio.set(view.portfolioId, asOf);
    this.#send({ type: 'portfolio', data: view });
  }

  #send(frame: ServerFrame): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.o.maxBufferedBytes) {
      this.o.log.warn('dropping a stream client that does not read', { accountId: this.principal.accountId, bufferedBytes: this.ws.bufferedAmount });
      this.ws.terminate();
      return;
    }
    this.ws.send(JSON.stringify(frame));
  }
}
