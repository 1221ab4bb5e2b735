/**
 * The fill history the portfolio figures are measured on (bench/run.ts and bench/portfolio.ts
 * both use it, so their figures agree). Ten symbols (crypto quoted in USDT, US equities in USD) on two venues,
 * per symbol and venue three buys then a sell of a third of the holding, fractional quantities,
 * fees in the quote currency.
 */
import { randomUUID } from 'node:crypto';
import type { Trade } from '../../domain/portfolio/accounting.js';
import type { Sql } from '../../lib/db.js';

export const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'GOOG'];
export const PRICES: Record<string, string> = Object.fromEntries(SYMBOLS.map((s, i) => [s, String(100 + i * 37)]));
const START_MS = Date.UTC(2024, 0, 1);

/** Thousandths of a unit as a decimal string: 1125n → '1.125'. */
const units = (milli: bigint) => `${milli / 1000n}.${(milli % 1000n).toString().padStart(3, '0')}`;

/** The first `n` fills, in execution order. */
export function historyFills(n: number): Trade[] {
  const held = new Map<string, bigint>();
  const out: Trade[] = [];
  for (let i = 0; i < n; i++) out.push(fillAt(i, held));
  return out;
}

/** Fill `i`, given the holdings so far (updated). */
function fillAt(i: number, held: Map<string, bigint>): Trade {
  const symbol = SYMBOLS[i % SYMBOLS.length]!;
  const venue = Math.floor(i / SYMBOLS.length) % 2 === 0 ? 'paper' : 'manual';
  const key = `${venue}:${symbol}`;
  const have = held.get(key) ?? 0n;
  const sell = Math.floor(i / (2 * SYMBOLS.length)) % 4 === 3 && have >= 3n;
  const qty = sell ? have / 3n : BigInt(1000 + (i % 9) * 1000 + 125);
  held.set(key, sell ? have - qty : have + qty);
  return {
    id: `b-${i}`,
    symbol,
    venue,
    side: sell ? 'SELL' : 'BUY',
    quantity: units(qty),
    price: `${100 + (i % 50)}.${String(i % 100).padStart(2, '0')}`,
    fee: '0.01',
    feeAsset: symbol.endsWith('USDT') ? 'USDT' : 'USD',
    executedAt: new Date(START_MS + i * 1000).toISOString(),
  };
}

/** A buy after everything `historyFills(n)` holds: always valid, for incremental updates. */
export function nextBuy(n: number, k = 0): Trade {
  return { id: `b-next-${n}-${k}`, symbol: 'AAPL', venue: 'manual', side: 'BUY', quantity: '1', price: '150', fee: '0.01', feeAsset: 'USD', executedAt: new Date(START_MS + (n + k) * 1000).toISOString() };
}

/**
 * A fresh account whose ledger holds `trades`: paper fills in `fills` (attached to one order of
 * the account, as the foreign key wants), manual ones in `trades`. Inserted in batches.
 */
export async function seedLedger(sql: Sql, trades: readonly Trade[]): Promise<string> {
  const accountId = randomUUID();
  const orderId = randomUUID();
  await sql`INSERT INTO accounts (id) VALUES (${accountId})`;
  await sql`INSERT INTO orders (id, account_id, venue, symbol, side, type, quantity, status, status_rank, client_order_id, workflow_id)
    VALUES (${orderId}, ${accountId}, 'paper', 'BTCUSDT', 'BUY', 'MARKET', 1, 'FILLED', 9, ${`bench-${orderId}`}, ${`bench-${orderId}`})`;
  const paper = trades.filter((t) => t.venue === 'paper');
  const manual = trades.filter((t) => t.venue === 'manual');
  for (let i = 0; i < paper.length; i += 5000) {
    const rows = paper.slice(i, i + 5000).map((t) => ({
      venue: 'paper',
      trade_id: `${accountId}-${t.id}`,
      order_id: orderId,
      account_id: accountId,
      symbol: t.symbol,
      side: t.side,
      price: t.price,
      quantity: t.quantity,
      commission: t.fee,
      commission_asset: t.feeAsset,
      executed_at: new Date(t.executedAt),
    }));
    await sql`INSERT INTO fills ${sql(rows)}`;
  }
  for (let i = 0; i < manual.length; i += 5000) {
    await addManualTrades(sql, accountId, manual.slice(i, i + 5000));
  }
  return accountId;
}

export async function addManualTrades(sql: Sql, accountId: string, trades: readonly Trade[]): Promise<void> {
  if (trades.length === 0) return;
  const rows = trades.map((t) => ({
    id: randomUUID(),
    account_id: accountId,
    symbol: t.symbol,
    side: t.side,
    quantity: t.quantity,
    price: t.price,
    fee: t.fee,
    fee_asset: t.feeAsset,
    executed_at: new Date(t.executedAt),
  }));
  await sql`INSERT INTO trades ${sql(rows)}`;
}
