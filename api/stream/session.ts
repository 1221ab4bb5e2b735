/**
 * One client of /v1/stream: its subscriptions, the snapshot it gets on subscribing, and the
 * changes it is sent afterwards. Whatever order the snapshot and live notifications arrive in,
 * a client never sees a price older than one it was sent, nor an order step backwards.
 */
import { Decimal } from 'decimal.js';
import type { RawData, WebSocket } from 'ws';
import { latestPrices } from '../../activities/market-data/price-store.js';
import type { Sql } from '../../lib/db.js';
import type { Logger } from '../../lib/logger.js';
import { STATUS_RANK, type OrderStatus } from '../../workflows/definitions.js';
import { zodDetails } from '../errors.js';
import { MAX_SYMBOLS, presentPrice, type PriceView } from '../routes/prices.js';
import type { StreamPrincipal } from './auth.js';
import type { OrderChange, PriceChange } from './hub.js';
import { clientMessage, errorFrame, type OrderView, type ServerFrame } from './protocol.js';

export interface SessionOptions {
  sql: Sql;
  log: Logger;
  staleAfterMs: number;
  /** A client this far behind in reading is dropped instead of buffering without end. */
  maxBufferedBytes: number;
  now?: () => number;
}

export class StreamSession {
  /** Set by the heartbeat before a ping, cleared by the pong. */
  awaitingPong = false;
  readonly #prices = new Set<string>();
  #orders = false;
  readonly #sentPrice = new Map<string, { asOf: number; price: string | null }>();
  readonly #sentOrder = new Map<string, { rank: number; qty: Decimal }>();
  readonly #now: () => number;

  constructor(
    readonly ws: WebSocket,
    readonly principal: StreamPrincipal,
    private readonly o: SessionOptions,
  ) {
    this.#now = o.now ?? Date.now;
  }

  async handle(raw: RawData, isBinary: boolean): Promise<void> {
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
      else if (m.type === 'subscribe') await this.#subscribeOrders();
      else if (m.channel === 'prices') {
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

  onPrice(change: PriceChange): void {
    if (!this.#prices.has(change.symbol)) return;
    this.#sendPrice(presentPrice(change.symbol, { ...change, asOf: new Date(change.asOf) }, this.o.staleAfterMs, this.#now()));
  }

  onOrder(change: OrderChange): void {
    if (!this.#orders || change.accountId !== this.principal.accountId) return;
    this.#sendOrder({ orderId: change.orderId, symbol: change.symbol, status: change.status, executedQty: change.executedQty });
  }

  /** Sends every subscription's snapshot again (after notifications may have been missed). */
  async resync(): Promise<void> {
    try {
      if (this.#prices.size > 0) await this.#pricesSnapshot([...this.#prices]);
      if (this.#orders) await this.#ordersSnapshot();
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
