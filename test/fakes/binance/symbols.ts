/**
 * The symbols the fake lists, their filters as exchangeInfo prints them, and the starting market.
 * The defaults mirror Binance Spot's real rules for these pairs closely enough to trip the same
 * filter failures (tick 0.01, BTC step 0.00001, NOTIONAL min 5 applied to MARKET orders).
 */
import type { OrderType } from '../../../domain/exchange.js';
import { fmt } from './decimal.js';
import type { TrailingDeltaFilter } from './trailing.js';

export interface FakeSymbolSpec {
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  status?: 'TRADING' | 'HALT' | 'BREAK';
  price: { minPrice: string; maxPrice: string; tickSize: string };
  lot: { minQty: string; maxQty: string; stepSize: string };
  marketLot?: { minQty: string; maxQty: string; stepSize: string };
  notional: { minNotional: string; maxNotional: string; applyMinToMarket: boolean; applyMaxToMarket: boolean; avgPriceMins: number };
  /** Print the notional rule as the legacy MIN_NOTIONAL filter instead of NOTIONAL. */
  legacyMinNotional?: boolean;
  /** The TRAILING_DELTA filter in BIPS; without it the symbol does not allow trailing stops. */
  trailingDelta?: TrailingDeltaFilter;
}

const ORDER_TYPES: OrderType[] = ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];

function usdtPair(base: string, stepSize: string, maxQty: string, marketMaxQty: string): FakeSymbolSpec {
  return {
    symbol: `${base}USDT`,
    baseAsset: base,
    quoteAsset: 'USDT',
    price: { minPrice: '0.01', maxPrice: '1000000', tickSize: '0.01' },
    lot: { minQty: stepSize, maxQty, stepSize },
    marketLot: { minQty: '0', maxQty: marketMaxQty, stepSize: '0' },
    notional: { minNotional: '5', maxNotional: '9000000', applyMinToMarket: true, applyMaxToMarket: false, avgPriceMins: 5 },
    trailingDelta: { minTrailingAboveDelta: 10, maxTrailingAboveDelta: 2000, minTrailingBelowDelta: 10, maxTrailingBelowDelta: 2000 },
  };
}

export const DEFAULT_SYMBOLS: FakeSymbolSpec[] = [
  usdtPair('BTC', '0.00001', '9000', '120'),
  usdtPair('ETH', '0.0001', '9000', '2500'),
  usdtPair('BNB', '0.001', '9000', '1000'),
  usdtPair('SOL', '0.001', '9000', '6000'),
];

export const DEFAULT_PRICES: Record<string, string> = {
  BTCUSDT: '60000.00',
  ETHUSDT: '3000.00',
  BNBUSDT: '600.00',
  SOLUSDT: '150.00',
};

export const DEFAULT_BALANCES: Record<string, string> = { USDT: '100000', BTC: '1', ETH: '10', BNB: '10', SOL: '100' };

/** One `exchangeInfo.symbols[]` entry, field for field as Binance prints it. */
export function renderSymbol(spec: FakeSymbolSpec): Record<string, unknown> {
  const n = spec.notional;
  const notionalFilter = spec.legacyMinNotional
    ? { filterType: 'MIN_NOTIONAL', minNotional: fmt(n.minNotional), applyToMarket: n.applyMinToMarket, avgPriceMins: n.avgPriceMins }
    : {
        filterType: 'NOTIONAL',
        minNotional: fmt(n.minNotional),
        applyMinToMarket: n.applyMinToMarket,
        maxNotional: fmt(n.maxNotional),
        applyMaxToMarket: n.applyMaxToMarket,
        avgPriceMins: n.avgPriceMins,
      };
  const filters: object[] = [
    { filterType: 'PRICE_FILTER', minPrice: fmt(spec.price.minPrice), maxPrice: fmt(spec.price.maxPrice), tickSize: fmt(spec.price.tickSize) },
    { filterType: 'LOT_SIZE', minQty: fmt(spec.lot.minQty), maxQty: fmt(spec.lot.maxQty), stepSize: fmt(spec.lot.stepSize) },
    notionalFilter,
  ];
  if (spec.marketLot) {
    const m = spec.marketLot;
    filters.push({ filterType: 'MARKET_LOT_SIZE', minQty: fmt(m.minQty), maxQty: fmt(m.maxQty), stepSize: fmt(m.stepSize) });
  }
  if (spec.trailingDelta) filters.push({ filterType: 'TRAILING_DELTA', ...spec.trailingDelta });
  filters.push({ filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 }, { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: 5 });
  return {
    symbol: spec.symbol,
    status: spec.status ?? 'TRADING',
    baseAsset: spec.baseAsset,
    baseAssetPrecision: 8,
    quoteAsset: spec.quoteAsset,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ORDER_TYPES,
    icebergAllowed: false,
    ocoAllowed: true,
    otoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: spec.trailingDelta !== undefined,
    cancelReplaceAllowed: false,
    amendAllowed: false,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters,
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
    allowedSelfTradePreventionModes: ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
  };
}

export interface SymbolEntry {
  spec: FakeSymbolSpec;
  info: Record<string, unknown>;
}

/**
 * Renders each spec as exchangeInfo prints it; orders are checked against the spec (filters.ts).
 * @example const table = buildSymbolTable(DEFAULT_SYMBOLS); table.get('BTCUSDT')?.spec.lot.stepSize;
 */
export function buildSymbolTable(specs: FakeSymbolSpec[]): Map<string, SymbolEntry> {
  const table = new Map<string, SymbolEntry>();
  for (const spec of specs) {
    // exchangeInfo prints 8 decimals: a finer rule would be enforced without being advertised.
    const tooFine = [spec.price, spec.lot, spec.marketLot ?? {}, spec.notional].flatMap((o) => Object.values(o)).find((v) => typeof v === 'string' && /\.\d{9,}$/.test(v));
    if (tooFine) throw new Error(`Binance fake: ${spec.symbol} has ${tooFine}, finer than the 8 decimals exchangeInfo prints`);
    const info = renderSymbol(spec);
    table.set(spec.symbol, { spec, info });
  }
  return table;
}
