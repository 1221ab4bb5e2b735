/** Symbol rules cached in Postgres (`symbol_rules`), refreshed from the venue when older than maxAgeMs. */
import type { Sql } from '../lib/db.js';
import type { Exchange, SymbolRules } from '../domain/exchange.js';

/**
 * How long a process trusts the rules it read from Postgres before reading them again. The table
 * itself may be up to maxAgeMs (an hour) behind the venue, so these seconds add little; they save
 * every order's checks two queries.
 */
const REREAD_MS = 10_000;

interface Held {
  rules: SymbolRules;
  fetchedAtMs: number;
  readAtMs: number;
}

/** Per database (a process may talk to several, as the tests do): venue + symbol → rules read. */
const heldBySql = new WeakMap<Sql, Map<string, Held>>();

function heldOf(sql: Sql): Map<string, Held> {
  let held = heldBySql.get(sql);
  if (!held) heldBySql.set(sql, (held = new Map()));
  return held;
}

export async function loadSymbolRules(sql: Sql, exchange: Exchange, symbol: string, maxAgeMs: number): Promise<SymbolRules | null> {
  const key = `${exchange.venue}:${symbol}`;
  const now = Date.now();
  const held = heldOf(sql).get(key);
  if (held && now - held.readAtMs < REREAD_MS && now - held.fetchedAtMs < maxAgeMs) return held.rules;
  const [cached] = await sql<{ rules: SymbolRules; fetched_at: Date }[]>`
    SELECT rules, fetched_at FROM symbol_rules WHERE venue = ${exchange.venue} AND symbol = ${symbol}`;
  if (cached && now - cached.fetched_at.getTime() < maxAgeMs) {
    heldOf(sql).set(key, { rules: cached.rules, fetchedAtMs: cached.fetched_at.getTime(), readAtMs: now });
    return cached.rules;
  }
  const [fresh] = await exchange.getSymbolRules([symbol]);
  if (!fresh) return null;
  await refreshSymbolRules(sql, exchange.venue, [fresh]);
  return fresh;
}

/** Upserts rules (the refresh activity and the lazy path above both write through here). */
export async function refreshSymbolRules(sql: Sql, venue: string, rules: SymbolRules[]): Promise<void> {
  const held = heldOf(sql);
  for (const r of rules) {
    held.delete(`${venue}:${r.symbol}`);
    await sql`INSERT INTO symbol_rules (venue, symbol, base_asset, quote_asset, status, rules, fetched_at)
      VALUES (${venue}, ${r.symbol}, ${r.baseAsset}, ${r.quoteAsset}, ${r.status}, ${sql.json(r as never)}, now())
      ON CONFLICT (venue, symbol) DO UPDATE SET base_asset = EXCLUDED.base_asset, quote_asset = EXCLUDED.quote_asset,
        status = EXCLUDED.status, rules = EXCLUDED.rules, fetched_at = now()`;
  }
}
