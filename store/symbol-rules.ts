/** Symbol rules cached in Postgres (`symbol_rules`), refreshed from the venue when older than maxAgeMs. */
import type { Sql } from '../lib/db.js';
import type { Exchange, SymbolRules } from '../domain/exchange.js';

export async function loadSymbolRules(sql: Sql, exchange: Exchange, symbol: string, maxAgeMs: number): Promise<SymbolRules | null> {
  const [cached] = await sql<{ rules: SymbolRules; fetched_at: Date }[]>`
    SELECT rules, fetched_at FROM symbol_rules WHERE venue = ${exchange.venue} AND symbol = ${symbol}`;
  if (cached && Date.now() - cached.fetched_at.getTime() < maxAgeMs) return cached.rules;
  const [fresh] = await exchange.getSymbolRules([symbol]);
  if (!fresh) return null;
  await refreshSymbolRules(sql, exchange.venue, [fresh]);
  return fresh;
}

/** Upserts rules (the refresh activity and the lazy path above both write through here). */
export async function refreshSymbolRules(sql: Sql, venue: string, rules: SymbolRules[]): Promise<void> {
  for (const r of rules) {
    await sql`INSERT INTO symbol_rules (venue, symbol, base_asset, quote_asset, status, rules, fetched_at)
      VALUES (${venue}, ${r.symbol}, ${r.baseAsset}, ${r.quoteAsset}, ${r.status}, ${sql.json(r as never)}, now())
      ON CONFLICT (venue, symbol) DO UPDATE SET base_asset = EXCLUDED.base_asset, quote_asset = EXCLUDED.quote_asset,
        status = EXCLUDED.status, rules = EXCLUDED.rules, fetched_at = now()`;
  }
}
