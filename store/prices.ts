/** Latest prices (with the day's change and volume) and price history in Postgres (`prices`, `price_history`). */
import type { Sql } from '../lib/db.js';
import type { PriceQuote } from '../domain/market-data/types.js';

export interface StoredPrice {
  symbol: string;
  price: string;
  source: string;
  asOf: Date;
  /** The day's change, its percentage and volume as the provider reported them with the price; null when it did not. */
  change: string | null;
  changePercent: string | null;
  volume: string | null;
}

export async function latestPrices(sql: Sql, symbols: string[]): Promise<StoredPrice[]> {
  if (symbols.length === 0) return [];
  const rows = await sql<{ symbol: string; price: string; source: string; as_of: Date; day_change: string | null; day_change_percent: string | null; day_volume: string | null }[]>`
    SELECT symbol, price::text, source, as_of, day_change::text, day_change_percent::text, day_volume::text FROM prices WHERE symbol IN ${sql(symbols)}`;
  return rows.map((r) => ({
    symbol: r.symbol,
    price: r.price,
    source: r.source,
    asOf: r.as_of,
    change: r.day_change,
    changePercent: r.day_change_percent,
    volume: r.day_volume,
  }));
}

/**
 * The StoredPrice a quote becomes once stored.
 * @example stored.set(q.symbol, storedPriceOf(q));
 */
export function storedPriceOf(q: PriceQuote): StoredPrice {
  return { symbol: q.symbol, price: q.price, source: q.source, asOf: new Date(q.asOf), change: q.change ?? null, changePercent: q.changePercent ?? null, volume: q.volume ?? null };
}

/**
 * Upserts the latest price (unless an older quote) and records it in the history. Idempotent per
 * (symbol, asOf). Providers stamp quotes to the second, so two different prices can share a
 * timestamp: the later observation wins in both tables, as it would have a second later. The day's
 * change and volume go with the price they came with: a quote without them clears them.
 */
export async function storeQuotes(sql: Sql, quotes: PriceQuote[]): Promise<void> {
  if (quotes.length === 0) return;
  await sql.begin(async (tx) => {
    for (const q of quotes) {
      await tx`INSERT INTO prices (symbol, price, source, as_of, day_change, day_change_percent, day_volume)
        VALUES (${q.symbol}, ${q.price}, ${q.source}, ${q.asOf}, ${q.change ?? null}, ${q.changePercent ?? null}, ${q.volume ?? null})
        ON CONFLICT (symbol) DO UPDATE SET price = EXCLUDED.price, source = EXCLUDED.source, as_of = EXCLUDED.as_of,
          day_change = EXCLUDED.day_change, day_change_percent = EXCLUDED.day_change_percent, day_volume = EXCLUDED.day_volume
        WHERE prices.as_of <= EXCLUDED.as_of`;
      await tx`INSERT INTO price_history (symbol, at, price, source) VALUES (${q.symbol}, ${q.asOf}, ${q.price}, ${q.source})
        ON CONFLICT (symbol, at) DO UPDATE SET price = EXCLUDED.price, source = EXCLUDED.source`;
    }
  });
}

export interface PriceLookupOptions {
  sql: Sql;
  /** Asked when Postgres has no price for a symbol yet; what it returns is stored. */
  fetchLatest?: (symbols: string[]) => Promise<PriceQuote[]>;
}

/**
 * The price a venue or risk check should use: the stored one, or a first fetch from the providers.
 * @example const lookup = createPriceLookup({ sql, fetchLatest }); await lookup('BTCUSDT');
 */
export function createPriceLookup({ sql, fetchLatest }: PriceLookupOptions) {
  return async (symbol: string): Promise<{ price: string; asOf: Date } | null> => {
    const [stored] = await latestPrices(sql, [symbol]);
    if (stored) return { price: stored.price, asOf: stored.asOf };
    if (!fetchLatest) return null;
    const quotes = await fetchLatest([symbol]);
    await storeQuotes(sql, quotes);
    const q = quotes.find((x) => x.symbol === symbol);
    return q ? { price: q.price, asOf: new Date(q.asOf) } : null;
  };
}
