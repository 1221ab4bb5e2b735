/**
 * GET /api/v3/ticker/24hr: price change statistics over the rolling 24 hours before now, FULL or
 * MINI, for one symbol, a list or every symbol, with rest-api.md's weights (2 for one symbol or up
 * to 20 in `symbols`, 40 for 21 to 100, 80 beyond and for all). The figures come from the same
 * candles GET /api/v3/klines serves, so the two endpoints agree.
 */
import { apiErrors, BinanceApiError } from './api-error.js';
import { D, fmt } from './decimal.js';
import { buildKlines } from './klines.js';
import { requiredSymbol, symbolList } from './params.js';
import type { FakeState, Route } from './state.js';
import type { SymbolEntry } from './symbols.js';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** How many symbols `symbols=[…]` names, for the weight (before the list is checked). */
function listedCount(raw: string): number {
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.length : 1;
  } catch {
    return 1;
  }
}

/** rest-api.md's weight table of ticker/24hr. */
export function ticker24hrWeight(params: Map<string, string>): number {
  if (params.has('symbol')) return 2;
  const many = params.get('symbols');
  if (many === undefined) return 80;
  const n = listedCount(many);
  return n <= 20 ? 2 : n <= 100 ? 40 : 80;
}

function statistics(state: FakeState, entry: SymbolEntry, full: boolean): Record<string, unknown> {
  const { symbol, price } = entry.spec;
  const now = state.serverNow();
  const openTime = now - DAY_MS;
  const series = { anchor: state.market.anchor(symbol), startedAt: state.market.startedAt, tickSize: price.tickSize, ticks: state.market.ticks(symbol) };
  // The price at the window's start from its minute's kline; highs, lows and volumes from the
  // hourly klines inside the window (hour-grained, which keeps a request for many symbols cheap).
  const minute = Math.floor(openTime / MINUTE_MS) * MINUTE_MS;
  const [first] = buildKlines({ symbol, intervalMs: MINUTE_MS, startTime: minute, endTime: minute, limit: 1, now }, series);
  const hours = buildKlines({ symbol, intervalMs: HOUR_MS, startTime: openTime, endTime: now, limit: 25, now }, series);
  const last = state.market.price(symbol);
  const open = first ? new D(first[1]) : last;
  const high = D.max(open, last, ...hours.map((c) => new D(c[2])));
  const low = D.min(open, last, ...hours.map((c) => new D(c[3])));
  const volume = hours.reduce((sum, c) => sum.plus(c[5]), new D(0));
  const quoteVolume = hours.reduce((sum, c) => sum.plus(c[7]), new D(0));
  const count = hours.reduce((sum, c) => sum + c[8], 0);
  const ids = count === 0 ? { firstId: -1, lastId: -1 } : { firstId: 1, lastId: count };
  const mini = {
    symbol,
    openPrice: fmt(open),
    highPrice: fmt(high),
    lowPrice: fmt(low),
    lastPrice: fmt(last),
    volume: fmt(volume),
    quoteVolume: fmt(quoteVolume),
    openTime,
    closeTime: now,
    ...ids,
    count,
  };
  if (!full) return mini;
  const change = last.minus(open);
  const depth = state.market.peek(symbol);
  return {
    symbol,
    priceChange: fmt(change),
    // Binance prints the percentage with three decimals.
    priceChangePercent: open.isZero() ? '0.000' : change.dividedBy(open).times(100).toFixed(3),
    weightedAvgPrice: fmt(volume.isZero() ? last : quoteVolume.dividedBy(volume)),
    prevClosePrice: fmt(open),
    lastPrice: fmt(last),
    lastQty: fmt(entry.spec.lot.minQty),
    bidPrice: fmt(last),
    bidQty: fmt(depth ?? 1),
    askPrice: fmt(last.plus(price.tickSize)),
    askQty: fmt(depth ?? 1),
    openPrice: mini.openPrice,
    highPrice: mini.highPrice,
    lowPrice: mini.lowPrice,
    volume: mini.volume,
    quoteVolume: mini.quoteVolume,
    openTime,
    closeTime: now,
    ...ids,
    count,
  };
}

export const ticker24hrRoute: Route = {
  method: 'GET',
  path: '/api/v3/ticker/24hr',
  signed: false,
  weight: ticker24hrWeight,
  handle: ({ params }, state) => {
    const type = params.get('type') ?? 'FULL';
    if (type !== 'FULL' && type !== 'MINI') throw apiErrors.invalidParam('type');
    const full = type === 'FULL';
    const one = params.get('symbol');
    const many = params.get('symbols');
    if (one !== undefined && many !== undefined) throw new BinanceApiError(400, -1128, 'Combination of optional parameters invalid.');
    if (one !== undefined) return { body: statistics(state, requiredSymbol(state, params), full) };
    const entries = many !== undefined ? symbolList(state, many) : [...state.symbols.values()];
    return { body: entries.map((e) => statistics(state, e, full)) };
  },
};
