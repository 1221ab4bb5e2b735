/**
 * Activities of the order workflow that talk to a venue. Venue errors become ApplicationFailures
 * whose `type` tells the workflow what to do: OrderRejected (final), SubmitOutcomeUnknown (query,
 * never resubmit blindly), ExchangeBusy (wait Retry-After), ExchangeUnavailable (retry).
 */
import { ApplicationFailure, asyncLocalStorage, log } from '@temporalio/activity';
import { PriceUnavailableError } from '../../domain/market-data/errors.js';
import { Decimal } from 'decimal.js';
import type { Sql } from '../../lib/db.js';
import { venueErrorCode, type WorkerMetrics } from '../../lib/metrics.js';
import type { Venue } from '../../domain/exchange.js';
import { orderStatusOf, type OrderRequest, type OrderStatus } from '../../domain/orders.js';
import { validateOrderAgainstRules } from '../../domain/venue-rules.js';
import { ExchangeRateLimitError, ExchangeRejectedError, ExchangeUnavailableError, ExchangeUnknownOutcomeError } from '../../domain/venue-errors.js';
import { decideOnce } from '../../store/check-verdicts.js';
import { withRequestPriority } from '../../venues/binance/request-budget.js';
import { filledQuantity, insertFill } from '../../store/fills.js';
import { reserveDailyNotional } from '../../store/risk.js';
import { loadSymbolRules } from '../../store/symbol-rules.js';
import type { CredentialPin, CredentialSource } from '../account-venues.js';
import type { Exchange, ExchangeOrder, OrderRef, SymbolRules } from '../../domain/exchange.js';

export interface ExchangeOrderSnapshot {
  exchangeOrderId: string;
  status: OrderStatus;
  executedQty: string;
  cumulativeQuoteQty: string;
  /** A trailing stop's current trigger price, where the venue shows it. */
  triggerPrice?: string | undefined;
}

export type Verdict = { ok: true } | { ok: false; code: string; reason: string };

export interface VenueOrderRef {
  orderId: string;
  accountId: string;
  venue: Venue;
  symbol: string;
  clientOrderId: string;
  /** Binance: which pair placed the order (set once submitted); reads and cancels use the same. */
  credentials?: CredentialSource | undefined;
}

export interface OrderExchangeDeps {
  sql: Sql;
  /**
   * The venue client for an account (credentials are resolved here, inside the activity); with
   * `pinned`, the pair that placed the order, even if another was stored since.
   */
  exchangeFor(venue: Venue, accountId: string, pinned?: CredentialPin): Promise<Exchange>;
  /** Latest known price, for MARKET notional checks. */
  referencePrice(symbol: string): Promise<string | null>;
  risk: { maxOrderNotional: string; maxDailyNotional: string };
  /** Which Binance pair an account's new orders use now: its stored one (this version), else the environment's. */
  credentialSource(accountId: string): Promise<CredentialPin>;
  rulesMaxAgeMs?: number;
  /** Submit-to-ack latency and venue errors (the worker's metrics); none in most tests. */
  metrics?: Pick<WorkerMetrics, 'submitDuration' | 'venueErrors'> | undefined;
}

/** Maps a venue error to the failure type the workflow and retry policies act on. */
export function toFailure(err: unknown): never {
  // -1021 is our clock, not the order: the adapter resynchronised once already; try again later.
  if (err instanceof ExchangeRejectedError && err.code === -1021) {
    throw ApplicationFailure.create({ type: 'ExchangeUnavailable', message: err.message });
  }
  if (err instanceof ExchangeRejectedError) {
    throw ApplicationFailure.create({ type: 'OrderRejected', message: err.message, nonRetryable: true, details: [{ code: String(err.code), reason: err.venueMessage }] });
  }
  if (err instanceof ExchangeRateLimitError) {
    throw ApplicationFailure.create({ type: 'ExchangeBusy', message: err.message, nextRetryDelay: err.retryAfterMs, details: [{ retryAfterMs: err.retryAfterMs }] });
  }
  if (err instanceof ExchangeUnavailableError) throw ApplicationFailure.create({ type: 'ExchangeUnavailable', message: err.message });
  if (err instanceof ExchangeUnknownOutcomeError) throw ApplicationFailure.create({ type: 'ExchangeOutcomeUnknown', message: err.message });
  throw err;
}

/** How a submission ended, as the submit latency's `outcome` label. */
function submitOutcome(err: unknown): string {
  if (err instanceof ExchangeRejectedError) return 'rejected';
  if (err instanceof ExchangeRateLimitError) return 'busy';
  if (err instanceof ExchangeUnavailableError) return 'unavailable';
  if (err instanceof ExchangeUnknownOutcomeError) return 'unknown';
  return 'error';
}

export function snapshot(o: ExchangeOrder): ExchangeOrderSnapshot {
  const status = orderStatusOf(o.status);
  const triggerPrice = o.trailingDelta !== undefined && o.stopPrice && !new Decimal(o.stopPrice).isZero() ? normal(o.stopPrice) : undefined;
  return { exchangeOrderId: o.exchangeOrderId, status, executedQty: normal(o.executedQty), cumulativeQuoteQty: normal(o.cummulativeQuoteQty), ...(triggerPrice ? { triggerPrice } : {}) };
}

/** "1.50000000" → "1.5", so equal amounts compare equal as strings in the workflow. */
const normal = (d: string) => new Decimal(d).toString();

/**
 * @example worker activities: { ...createOrderExchangeActivities({ sql, exchangeFor, referencePrice, risk }) }
 */
export function createOrderExchangeActivities(deps: OrderExchangeDeps) {
  const { sql, metrics } = deps;

  /** Counts a venue error by its code; anything else (ours, PostgreSQL) is not the venue's. */
  function noteVenueError(venue: Venue, err: unknown): void {
    const code = venueErrorCode(err);
    if (code !== undefined) metrics?.venueErrors.inc({ venue, code });
  }

  /** Stores the order's trades once the venue reports fills we have not recorded. Idempotent. */
  async function recordFills(exchange: Exchange, ref: VenueOrderRef, order: ExchangeOrder) {
    if (new Decimal(order.executedQty).isZero()) return;
    if (new Decimal(await filledQuantity(sql, ref.orderId)).gte(order.executedQty)) return;
    const trades = await exchange.getTrades({ symbol: ref.symbol, clientOrderId: ref.clientOrderId, exchangeOrderId: order.exchangeOrderId });
    const owner = { orderId: ref.orderId, accountId: ref.accountId, venue: ref.venue, symbol: ref.symbol, side: order.side };
    for (const t of trades) {
      await insertFill(sql, owner, { ...t, price: normal(t.price), qty: normal(t.qty), commission: normal(t.commission) });
    }
  }

  /** The pair that placed the order, as recorded at its submission (none for paper, or before). */
  async function pinOf(ref: VenueOrderRef): Promise<CredentialPin | undefined> {
    if (ref.venue !== 'binance') return undefined;
    const [row] = await sql<{ source: CredentialSource | null; version: string | null }[]>`SELECT credentials_source AS source, credentials_version AS version FROM orders WHERE id = ${ref.orderId}`;
    return row?.source ? { source: row.source, version: row.version ?? undefined } : undefined;
  }

  async function venueCall<T>(venue: Venue, accountId: string, fn: (ex: Exchange) => Promise<T>, pinned?: CredentialPin): Promise<T> {
    const exchange = await deps.exchangeFor(venue, accountId, pinned);
    try {
      return await fn(exchange);
    } catch (err) {
      noteVenueError(venue, err);
      return toFailure(err);
    }
  }

  /**
   * Reads of a live order: a refusal (bad key, permissions) says nothing about the order, which
   * may still fill, so it is retried with backoff until someone fixes the cause.
   */
  async function venueRead<T>(venue: Venue, accountId: string, fn: (ex: Exchange) => Promise<T>, pinned?: CredentialPin): Promise<T> {
    try {
      return await venueCall(venue, accountId, fn, pinned);
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === 'OrderRejected') {
        throw ApplicationFailure.create({ type: 'ExchangeReadRefused', message: err.message });
      }
      throw err;
    }
  }

  /** The reference price, or the rejection naming the provider that could not give one. */
  async function referencePriceOrExplain(symbol: string): Promise<string | null | Verdict> {
    try {
      return await deps.referencePrice(symbol);
    } catch (err) {
      if (err instanceof PriceUnavailableError) return { ok: false, code: 'NO_PRICE', reason: err.message };
      throw err;
    }
  }

  /**
   * What the validation just read, handed to the risk check that follows it in the same workflow
   * task: the two checks judge the order on the same rules and price, and read them once. Taken
   * once; a risk check on another worker, or seconds later, reads them itself.
   */
  const validated = new Map<string, { rules: SymbolRules; ref: string | null; at: number }>();
  const HANDOFF_MS = 5000;
  function handOff(orderId: string, rules: SymbolRules, ref: string | null) {
    const now = Date.now();
    if (validated.size >= 1000) for (const [id, v] of validated) if (now - v.at > HANDOFF_MS) validated.delete(id);
    if (validated.size < 1000) validated.set(orderId, { rules, ref, at: now });
  }
  function takeOver(orderId: string) {
    const v = validated.get(orderId);
    validated.delete(orderId);
    return v && Date.now() - v.at <= HANDOFF_MS ? v : undefined;
  }

  /** Checks the order against the venue's symbol rules (cached in Postgres). */
  async function validate(order: OrderRequest): Promise<Verdict> {
    const exchange = await deps.exchangeFor(order.venue, order.accountId);
    let rules;
    try {
      rules = await loadSymbolRules(sql, exchange, order.symbol, deps.rulesMaxAgeMs ?? 3_600_000);
    } catch (err) {
      if (err instanceof ExchangeRejectedError && err.code === -1121) rules = null;
      // Not "not traded": no price could be fetched; say which provider failed and what to do.
      else if (err instanceof PriceUnavailableError) return { ok: false, code: 'NO_PRICE', reason: err.message };
      else return toFailure(err);
    }
    if (!rules) return { ok: false, code: '-1121', reason: `Invalid symbol: ${order.symbol} is not traded on ${order.venue}` };
    if (rules.status !== 'TRADING') return { ok: false, code: '-1013', reason: `${order.symbol} is not trading on ${order.venue} (status ${rules.status})` };
    if (!rules.orderTypes.includes(order.type)) return { ok: false, code: '-1013', reason: `${order.type} orders are not supported for ${order.symbol} on ${order.venue}` };
    const ref = await referencePriceOrExplain(order.symbol);
    if (typeof ref === 'object' && ref !== null) return ref;
    const verdict = validateOrderAgainstRules(
      { symbol: order.symbol, side: order.side, type: order.type, quantity: order.quantity, price: order.price, stopPrice: order.stopPrice, timeInForce: order.timeInForce, clientOrderId: 'validation' },
      rules,
      ref ?? undefined,
    );
    if (!verdict.ok) return { ok: false, code: String(verdict.code), reason: verdict.message };
    // Only a valid order goes on to the risk check.
    handOff(order.orderId, rules, ref);
    return { ok: true };
  }

  /** Pre-trade risk: max notional per order and per UTC day, and the available balance. */
  async function risk(order: OrderRequest): Promise<Verdict> {
    const handed = takeOver(order.orderId);
    const ref = order.price ?? order.stopPrice ?? handed?.ref ?? (await referencePriceOrExplain(order.symbol));
    if (typeof ref === 'object' && ref !== null) return ref;
    if (!ref) return { ok: false, code: 'NO_PRICE', reason: `No price known for ${order.symbol}; cannot size the order. Retry once prices have refreshed.` };
    const notional = new Decimal(order.quantity).times(ref);
    if (notional.gt(deps.risk.maxOrderNotional)) {
      await sql`UPDATE orders SET notional = ${notional.toString()} WHERE id = ${order.orderId}`;
      return { ok: false, code: 'RISK_MAX_ORDER_NOTIONAL', reason: `Order notional ${notional.toString()} exceeds the per-order limit ${deps.risk.maxOrderNotional}` };
    }
    const reserved = await reserveDailyNotional(sql, { orderId: order.orderId, accountId: order.accountId, notional: notional.toString(), limit: deps.risk.maxDailyNotional });
    if (!reserved.ok) {
      return { ok: false, code: 'RISK_MAX_DAILY_NOTIONAL', reason: `Today's notional would reach ${notional.plus(reserved.today).toString()}, over the daily limit ${deps.risk.maxDailyNotional}` };
    }
    const { balances, rules } = await venueCall(order.venue, order.accountId, async (ex) => ({
      balances: await ex.getBalances(),
      rules: handed?.rules ?? (await loadSymbolRules(sql, ex, order.symbol, deps.rulesMaxAgeMs ?? 3_600_000)),
    }));
    const base = rules?.baseAsset ?? order.symbol;
    const quote = rules?.quoteAsset ?? 'USD';
    const asset = order.side === 'BUY' ? quote : base;
    const needed = order.side === 'BUY' ? notional : new Decimal(order.quantity);
    const free = new Decimal(balances.find((b) => b.asset === asset)?.free ?? 0);
    if (free.lt(needed)) {
      return { ok: false, code: '-2010', reason: `Account has insufficient balance for requested action: needs ${needed.toString()} ${asset}, has ${free.toString()}` };
    }
    return { ok: true };
  }

  /**
   * The order wherever the venue can show it: by client id, among the open orders, then in the
   * account's order history. Records its fills.
   */
  async function findAnywhere(ref: VenueOrderRef & { sinceMs?: number | undefined }): Promise<ExchangeOrderSnapshot | null> {
    // Spent as reconciliation, above the polls: an order in doubt matters more than a routine look.
    return venueRead(ref.venue, ref.accountId, (ex) => withRequestPriority('reconcile', async () => {
      const target: OrderRef = { symbol: ref.symbol, clientOrderId: ref.clientOrderId };
      const found =
        (await ex.getOrder(target)) ??
        (await ex.getOpenOrders(ref.symbol)).find((o) => o.clientOrderId === ref.clientOrderId) ??
        (await ex.findInHistory({ ...target, sinceMs: ref.sinceMs }));
      if (!found) return null;
      await recordFills(ex, ref, found);
      return snapshot(found);
    }), await pinOf(ref));
  }

  return {
    /** Checks the order against the venue's symbol rules (cached in Postgres), once per order. */
    async validateOrder(order: OrderRequest): Promise<Verdict> {
      return decideOnce(sql, order.orderId, 'validate', () => validate(order));
    },

    /** Pre-trade risk: max notional per order and per UTC day, and the available balance; once per order. */
    async checkRisk(order: OrderRequest): Promise<Verdict> {
      return decideOnce(sql, order.orderId, 'risk', () => risk(order));
    },

    /**
     * Places the order once. On Binance it first asks the venue for the client order id and adopts
     * what it finds, because Binance accepts a reused id again once the first order has filled. The
     * paper venue's placement is itself keyed by the client id: it returns the earlier order.
     */
    async submitOrder({ order, clientOrderId }: { order: OrderRequest; clientOrderId: string }): Promise<{ adopted: boolean; order: ExchangeOrderSnapshot; credentials?: CredentialSource }> {
      const ref: VenueOrderRef = { orderId: order.orderId, accountId: order.accountId, venue: order.venue, symbol: order.symbol, clientOrderId };
      const binance = order.venue === 'binance';
      let exchange: Exchange;
      let existing: ExchangeOrder | null;
      let pin: CredentialPin | undefined;
      try {
        pin = binance ? ((await pinOf(ref)) ?? (await deps.credentialSource(order.accountId))) : undefined;
        if (pin) {
          await sql`UPDATE orders SET credentials_source = ${pin.source}, credentials_version = ${pin.version ?? null}
            WHERE id = ${order.orderId} AND credentials_source IS NULL`;
        }
        exchange = await deps.exchangeFor(order.venue, order.accountId, pin);
        // The look before placing is part of the placement: it spends at the new-order priority.
        existing = order.venue === 'paper' ? null : await withRequestPriority('order', () => exchange.getOrder({ symbol: order.symbol, clientOrderId }));
      } catch (err) {
        // Nothing was sent yet: a refusal stays one, anything else may be tried again safely.
        if (err instanceof ApplicationFailure) throw err;
        noteVenueError(order.venue, err);
        if (err instanceof ExchangeRejectedError || err instanceof ExchangeRateLimitError) return toFailure(err);
        throw ApplicationFailure.create({ type: 'ExchangeUnavailable', message: `Before submitting: ${(err as Error).message}` });
      }
      if (existing) {
        await withRequestPriority('order', () => recordFills(exchange, ref, existing));
        return { adopted: true, order: snapshot(existing), credentials: pin?.source };
      }
      // Binance gives no proof that an unanswered POST did nothing, so each order gets at most one
      // POST in doubt, whichever run, version or reset of its workflow sends it.
      if (binance) {
        const [claimed] = await sql`UPDATE orders SET submit_in_doubt = true WHERE id = ${order.orderId} AND NOT submit_in_doubt RETURNING id`;
        if (!claimed) {
          throw ApplicationFailure.create({ type: 'SubmitOutcomeUnknown', nonRetryable: true, message: `An earlier submission of ${clientOrderId} had no clear answer; it is never sent again, only looked for` });
        }
      }
      let placed: ExchangeOrder;
      const sent = performance.now();
      const acked = (outcome: string) => metrics?.submitDuration.observe({ venue: order.venue, outcome }, (performance.now() - sent) / 1000);
      try {
        placed = await exchange.placeOrder({
          clientOrderId,
          symbol: order.symbol,
          side: order.side,
          type: order.type,
          quantity: order.quantity,
          price: order.price,
          stopPrice: order.stopPrice,
          trailingDelta: order.trailingDelta,
          timeInForce: order.timeInForce ?? (order.type === 'LIMIT' || order.type.endsWith('_LIMIT') ? 'GTC' : undefined),
        });
      } catch (err) {
        acked(submitOutcome(err));
        noteVenueError(order.venue, err);
        if (err instanceof ExchangeUnknownOutcomeError) {
          throw ApplicationFailure.create({ type: 'SubmitOutcomeUnknown', message: err.message, nonRetryable: true });
        }
        // Binance refuses a client id that an open order has: the order exists, it is not a rejection.
        if (err instanceof ExchangeRejectedError && err.code === -2010 && /duplicate order/i.test(err.venueMessage)) {
          throw ApplicationFailure.create({ type: 'DuplicateOrder', message: `${err.message}: an order with client id ${clientOrderId} already exists`, nonRetryable: true });
        }
        // The venue said no before acting (a rejection, 429/418, -1021, no connection): not in doubt.
        if (binance && (err instanceof ExchangeRejectedError || err instanceof ExchangeRateLimitError || err instanceof ExchangeUnavailableError)) {
          await sql`UPDATE orders SET submit_in_doubt = false WHERE id = ${order.orderId}`;
        }
        return toFailure(err);
      }
      acked('acked');
      const adopted = placed.alreadyPlaced === true;
      // Only inside an activity (tests also call these functions directly).
      if (asyncLocalStorage.getStore() && !adopted) log.info('order placed on the venue', { orderId: order.orderId, accountId: order.accountId, venue: order.venue, symbol: order.symbol, clientOrderId, exchangeOrderId: placed.exchangeOrderId, status: placed.status });
      // The order is placed: reading its trades is part of the placement, not a routine poll.
      await withRequestPriority('order', () => recordFills(exchange, ref, placed));
      return { adopted, order: snapshot(placed), credentials: pin?.source };
    },

    /** The order on the venue, or null while the venue says it does not exist (order-lifecycle-v1). */
    async queryOrder(ref: VenueOrderRef): Promise<ExchangeOrderSnapshot | null> {
      return venueRead(ref.venue, ref.accountId, async (ex) => {
        const found = await ex.getOrder({ symbol: ref.symbol, clientOrderId: ref.clientOrderId });
        if (found) await recordFills(ex, ref, found);
        return found ? snapshot(found) : null;
      }, await pinOf(ref));
    },

    /**
     * Looks for an order whose submission had no clear answer, everywhere the venue can show it:
     * by client id, among the open orders, then in the account's order history. Records its fills.
     */
    async locateOrder(ref: VenueOrderRef & { sinceMs?: number | undefined }): Promise<ExchangeOrderSnapshot | null> {
      return findAnywhere(ref);
    },

    /**
     * After the venue has shown an UNKNOWN order nowhere for long past the recvWindow of its POST
     * (so that POST can no longer be accepted), looks once more everywhere and, if still nothing,
     * lifts the "in doubt" mark so the order may be submitted again. Returns the order if found.
     */
    async releaseUnseenSubmission(ref: VenueOrderRef & { sinceMs?: number | undefined }): Promise<ExchangeOrderSnapshot | null> {
      const found = await findAnywhere(ref);
      if (!found) await sql`UPDATE orders SET submit_in_doubt = false WHERE id = ${ref.orderId}`;
      return found;
    },

    /** Re-reads the order and records new fills. */
    async syncOrder(ref: VenueOrderRef): Promise<ExchangeOrderSnapshot | null> {
      return venueRead(ref.venue, ref.accountId, async (ex) => {
        const found = await ex.getOrder({ symbol: ref.symbol, clientOrderId: ref.clientOrderId });
        if (!found) return null;
        await recordFills(ex, ref, found);
        return snapshot(found);
      }, await pinOf(ref));
    },

    /** Cancels; when the venue says the order is unknown or final (-2011) it reports the order as it is. */
    async cancelOrder(ref: VenueOrderRef): Promise<ExchangeOrderSnapshot> {
      // Every request of a cancel (the cancel and the read of what it left) goes first.
      return venueCall(ref.venue, ref.accountId, (ex) => withRequestPriority('cancel', async () => {
        const target: OrderRef = { symbol: ref.symbol, clientOrderId: ref.clientOrderId };
        try {
          const canceled = await ex.cancelOrder(target);
          const current = (await ex.getOrder(target)) ?? canceled;
          await recordFills(ex, ref, current);
          return snapshot(current);
        } catch (err) {
          if (!(err instanceof ExchangeRejectedError && err.code === -2011)) throw err;
          const current = await ex.getOrder(target);
          if (!current) throw err;
          await recordFills(ex, ref, current);
          return snapshot(current);
        }
      }), await pinOf(ref));
    },
  };
}
