/**
 * Public market-data endpoints: time, ping, exchangeInfo, ticker/price, ticker/24hr, klines and
 * avgPrice, with Binance's parameters, weights and shapes.
 */
import { apiErrors, BinanceApiError } from './api-error.js';
import { fmt } from './decimal.js';
import { buildKlines, INTERVAL_MS } from './klines.js';
import { optionalInt, required, requiredSymbol, symbolList } from './params.js';
import type { FakeState, Route } from './state.js';
import type { SymbolEntry } from './symbols.js';
import { ticker24hrRoute } from './ticker-24hr.js';

const bothGiven = (): BinanceApiError => new BinanceApiError(400, -1128, 'Combination of optional parameters invalid.');

function selectSymbols(state: FakeState, params: Map<string, string>): SymbolEntry[] | 'single' | 'all' {
  const one = params.get('symbol');
  const many = params.get('symbols');
  if (one !== undefined && many !== undefined) throw bothGiven();
  if (many !== undefined) return symbolList(state, many);
  return one !== undefined ? 'single' : 'all';
}

export const marketRoutes: Route[] = [
  { method: 'GET', path: '/api/v3/ping', signed: false, weight: () => 1, handle: () => ({ body: {} }) },
  {
    method: 'GET',
    path: '/api/v3/time',
    signed: false,
    weight: () => 1,
    handle: (_req, state) => ({ body: { serverTime: state.serverNow() } }),
  },
  {
    method: 'GET',
    path: '/api/v3/exchangeInfo',
    signed: false,
    weight: () => 20,
    handle: ({ params }, state) => {
      const chosen = selectSymbols(state, params);
      const entries = chosen === 'all' ? [...state.symbols.values()] : chosen === 'single' ? [requiredSymbol(state, params)] : chosen;
      return {
        body: {
          timezone: 'UTC',
          serverTime: state.serverNow(),
          rateLimits: state.limits.render(),
          exchangeFilters: [],
          symbols: entries.map((e) => e.info),
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/api/v3/ticker/price',
    signed: false,
    weight: (params) => (params.has('symbol') ? 2 : 4),
    handle: ({ params }, state) => {
      const chosen = selectSymbols(state, params);
      const row = (e: SymbolEntry) => ({ symbol: e.spec.symbol, price: fmt(state.market.price(e.spec.symbol)) });
      if (chosen === 'single') return { body: row(requiredSymbol(state, params)) };
      return { body: (chosen === 'all' ? [...state.symbols.values()] : chosen).map(row) };
    },
  },
  ticker24hrRoute,
  {
    method: 'GET',
    path: '/api/v3/avgPrice',
    signed: false,
    weight: () => 2,
    handle: ({ params }, state) => {
      const { spec } = requiredSymbol(state, params);
      const ticks = state.market.ticks(spec.symbol);
      return { body: { mins: 5, price: fmt(state.market.price(spec.symbol)), closeTime: ticks[ticks.length - 1]?.time ?? state.serverNow() } };
    },
  },
  {
    method: 'GET',
    path: '/api/v3/klines',
    signed: false,
    weight: () => 2,
    handle: ({ params }, state) => {
      const { spec } = requiredSymbol(state, params);
      const intervalMs = INTERVAL_MS[required(params, 'interval')];
      if (intervalMs === undefined) throw apiErrors.invalidInterval();
      const limit = optionalInt(params, 'limit') ?? 500;
      if (limit < 1 || limit > 1000) throw apiErrors.invalidParam('limit');
      const rows = buildKlines(
        {
          symbol: spec.symbol,
          intervalMs,
          startTime: optionalInt(params, 'startTime'),
          endTime: optionalInt(params, 'endTime'),
          limit,
          now: state.serverNow(),
        },
        {
          anchor: state.market.anchor(spec.symbol),
          startedAt: state.market.startedAt,
          tickSize: spec.price.tickSize,
          ticks: state.market.ticks(spec.symbol),
        },
      );
      return { body: rows };
    },
  },
];
