/**
 * The one PostgreSQL LISTEN of an API process: price changes (the trigger on `prices`), order
 * changes (the order activities' pg_notify), fired price alerts (the refresh's) and recalculated
 * portfolios (the portfolio activity's), fanned out to the stream's sessions. Every API
 * instance listens for itself, so a write seen by one database reaches the clients of all.
 * postgres.js re-listens after a lost connection; what was announced meanwhile is lost, so the
 * hub then asks every session to resend its snapshot.
 */
import { z } from 'zod';
import { ORDER_CHANNEL } from '../../store/order-events.js';
import { ALERT_CHANNEL } from '../../store/price-alerts.js';
import { PORTFOLIO_CHANNEL } from '../../store/portfolio-events.js';
import type { Sql } from '../../lib/db.js';
import type { Logger } from '../../lib/logger.js';

/** Channel of the `prices` trigger (migrations/002_market_data.sql). */
export const PRICE_CHANNEL = 'price_changes';

const priceChange = z.object({
  symbol: z.string(),
  price: z.string(),
  source: z.string(),
  asOf: z.iso.datetime(),
  // The day's figures (migration 019); null when the provider gave none.
  change: z.string().nullable().optional(),
  changePercent: z.string().nullable().optional(),
  volume: z.string().nullable().optional(),
});
const orderChange = z.object({ orderId: z.string(), accountId: z.string(), status: z.string(), symbol: z.string(), executedQty: z.string() });
const alertChange = z.object({ alertId: z.string(), accountId: z.string(), symbol: z.string(), condition: z.string(), status: z.literal('FIRED'), firedPrice: z.string(), firedAt: z.iso.datetime(), orderId: z.string().nullable() });
const portfolioChange = z.object({ accountId: z.string(), portfolioId: z.string(), asOf: z.iso.datetime() });

export type PriceChange = z.infer<typeof priceChange>;
export type OrderChange = z.infer<typeof orderChange>;
export type AlertChange = z.infer<typeof alertChange>;
export type PortfolioChange = z.infer<typeof portfolioChange>;

export interface NotificationHub {
  onPrice(fn: (change: PriceChange) => void): () => void;
  onOrder(fn: (change: OrderChange) => void): () => void;
  onAlert(fn: (change: AlertChange) => void): () => void;
  /** A portfolio was recalculated: ids only, the result is read from its row. */
  onPortfolio(fn: (change: PortfolioChange) => void): () => void;
  /** After a reconnect of the LISTEN connection: changes may have been missed. */
  onResync(fn: () => void): () => void;
  close(): Promise<void>;
}

/**
 * Starts listening; resolves once every channel is acknowledged.
 * @example const hub = await startNotificationHub({ sql, log }); hub.onPrice((p) => console.log(p.symbol, p.price));
 */
export async function startNotificationHub({ sql, log }: { sql: Sql; log: Logger }): Promise<NotificationHub> {
  const prices = new Set<(c: PriceChange) => void>();
  const orders = new Set<(c: OrderChange) => void>();
  const alerts = new Set<(c: AlertChange) => void>();
  const portfolios = new Set<(c: PortfolioChange) => void>();
  const resyncs = new Set<() => void>();
  const add = <T>(set: Set<T>, fn: T) => {
    set.add(fn);
    return () => void set.delete(fn);
  };

  function dispatch<T>(channel: string, schema: z.ZodType<T>, listeners: Set<(c: T) => void>) {
    return (payload: string) => {
      let json: unknown;
      try {
        json = JSON.parse(payload);
      } catch {
        json = undefined;
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        log.warn('ignoring a malformed notification', { channel, payload: payload.slice(0, 200) });
        return;
      }
      for (const fn of listeners) {
        try {
          fn(parsed.data);
        } catch (err) {
          log.error('stream listener failed', { channel, err });
        }
      }
    };
  }

  // onlisten runs on the first LISTEN and after every reconnect; only the later ones need a resync.
  const listened = new Map<string, number>();
  const onListen = (channel: string) => () => {
    const times = (listened.get(channel) ?? 0) + 1;
    listened.set(channel, times);
    if (times === 1) return;
    log.warn('LISTEN reconnected; resending snapshots', { channel });
    for (const fn of resyncs) fn();
  };

  const subscriptions = await Promise.all([
    sql.listen(PRICE_CHANNEL, dispatch(PRICE_CHANNEL, priceChange, prices), onListen(PRICE_CHANNEL)),
    sql.listen(ORDER_CHANNEL, dispatch(ORDER_CHANNEL, orderChange, orders), onListen(ORDER_CHANNEL)),
    sql.listen(ALERT_CHANNEL, dispatch(ALERT_CHANNEL, alertChange, alerts), onListen(ALERT_CHANNEL)),
    sql.listen(PORTFOLIO_CHANNEL, dispatch(PORTFOLIO_CHANNEL, portfolioChange, portfolios), onListen(PORTFOLIO_CHANNEL)),
  ]);

  return {
    onPrice: (fn) => add(prices, fn),
    onOrder: (fn) => add(orders, fn),
    onAlert: (fn) => add(alerts, fn),
    onPortfolio: (fn) => add(portfolios, fn),
    onResync: (fn) => add(resyncs, fn),
    async close() {
      prices.clear();
      orders.clear();
      alerts.clear();
      portfolios.clear();
      resyncs.clear();
      await Promise.all(subscriptions.map((s) => s.unlisten()));
    },
  };
}
