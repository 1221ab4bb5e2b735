/** Latest prices and price history in Postgres (`prices`, `price_history`). */
import type { Sql } from '../lib/db.js';
import type { PriceQuote } from '../domain/market-data/types.js';

export interface StoredPrice {
  symbol: string;
  price: string;
  source: string;
  asOf: Date;
}

export async function latestPrices(sql: Sql, symbols: string[]): Promise<StoredPrice[]> {
  if (symbols.length === 0) return [];
  const rows = await sql<{ symbol: string; price: string; source: string; as_of: Date }[]>`
    SELECT symbol, price::text, source, as_of FROM prices WHERE symbol IN ${sql(symbols)}`;
  return rows.map((r) => ({ symbol: r.symbol, price: r.price, source: r.source, asOf: r.as_of }));
}

/**
 * Upserts the latest price (unless an older quote) and records it in the history. Idempotent per
 * (symbol, asOf). Providers stamp quotes to the second, so two different prices can share a
 * timestamp: the later observation wins in both tables, as it would have a second later.
 */
export async function storeQuotes(sql: Sql, quotes: PriceQuote[]): Promise<void> {
  if (quotes.length === 0) return;
  await sql.begin(async (tx) => {
    for (const q of quotes) {
      await tx`INSERT INTO prices (symbol, price, source, as_of) VALUES (${q.symbol}, ${q.price}, ${q.source}, ${q.asOf})
        ON CONFLICT (symbol) DO UPDATE SET price = EXCLUDED.price, source = EXCLUDED.source, as_of = EXCLUDED.as_of
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
