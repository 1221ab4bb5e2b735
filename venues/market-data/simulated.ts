/**
 * A seeded, stateless price simulation. The walk is a two-sided Brownian motion built by midpoint
 * (Brownian-bridge) refinement, so the shock at any step is a pure function of
 * (seed, symbol, step) computed in ~48 hash rounds: no state, no replay from step 0, and history
 * for any range agrees with the latest price. Floats only carry the random draw; prices are
 * Decimal from there on.
 */
import { Decimal } from 'decimal.js';
import { candleOpen, INTERVAL_MS } from '../../domain/market-data/intervals.js';
import type { Candle, HistoryRequest, PriceQuote, PriceSource } from '../../domain/market-data/types.js';

const Dec = Decimal.clone({ precision: 20, toExpNeg: -30, toExpPos: 30 });

/** Step 0 of every walk: the moment a symbol's base price applies. Fixed so runs agree. */
export const WALK_ORIGIN = new Date('2025-01-01T00:00:00Z');

export const DEFAULT_BASE_PRICES: Readonly<Record<string, string>> = {
  AAPL: '227.52', MSFT: '415.26', SPY: '562.13', GOOGL: '165.87', TSLA: '248.50',
  BTCUSDT: '65000.00', ETHUSDT: '3200.00', BNBUSDT: '580.00', SOLUSDT: '145.00',
};

const LEVELS = 48;
const MID = 2 ** (LEVELS - 1);
const MAX_CANDLES = 5_000;

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/** Standard normal draw for one node of the bridge (Irwin–Hall of four uniforms: only +, *, sqrt). */
function normalAt(key: number, left: number, level: number): number {
  const lo = left % 2 ** 32;
  const hi = Math.floor(left / 2 ** 32);
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    const h = mix32(mix32(mix32(mix32(key ^ lo) ^ hi) ^ level) + i);
    sum += h / 2 ** 32;
  }
  return (sum - 2) * Math.sqrt(3);
}

/** W(step) of a standard Brownian motion with W(0) = 0, for |step| < 2^47. */
function brownianAt(key: number, step: number): number {
  if (!Number.isSafeInteger(step) || Math.abs(step) >= MID) throw new RangeError(`walk step out of range: ${step}`);
  const n = step + MID;
  if (n === MID) return 0;
  let a = n < MID ? 0 : MID;
  let b = a + MID;
  let wa = n < MID ? -Math.sqrt(MID) * normalAt(key, 0, LEVELS) : 0;
  let wb = n < MID ? 0 : Math.sqrt(MID) * normalAt(key, MID, LEVELS);
  for (let level = LEVELS - 1; n !== a && n !== b; level--) {
    const m = a + (b - a) / 2;
    const wm = (wa + wb) / 2 + (Math.sqrt(b - a) / 2) * normalAt(key, a, level);
    if (n < m) [b, wb] = [m, wm];
    else [a, wa] = [m, wm];
  }
  return n === a ? wa : wb;
}

/** Price increment used for rounding: cents above 1, finer below. */
export function tickSizeFor(price: Decimal.Value): Decimal {
  const p = new Dec(price);
  if (p.gte(1)) return new Dec('0.01');
  return p.gte('0.01') ? new Dec('0.0001') : new Dec('0.00000001');
}

export interface WalkParams {
  seed: number | string;
  symbol: string;
  /** Price at step 0 (decimal string). */
  basePrice: string;
  /** Whole steps from the base price; negative steps walk into the past. */
  step: number;
  /** Standard deviation of one step's log-return, in basis points. */
  volatilityBps: number;
}

/**
 * The walk's price at a step, rounded to the base price's tick: base · exp(σ · W(step)).
 * @example priceAt({ seed: 42, symbol: 'BTCUSDT', basePrice: '65000', step: 17, volatilityBps: 5 }) // '64912.37'-ish, same every run
 */
export function priceAt({ seed, symbol, basePrice, step, volatilityBps }: WalkParams): string {
  const key = mix32(hashString(String(seed)) ^ hashString(symbol));
  const shock = new Dec(brownianAt(key, step)).times(volatilityBps).div(10_000);
  const tick = tickSizeFor(basePrice);
  const price = new Dec(basePrice).times(shock.exp()).toNearest(tick, Decimal.ROUND_HALF_EVEN);
  return (price.lte(0) ? tick : price).toString();
}

export interface SimulatedPriceSourceOptions {
  seed: number | string;
  /** Known symbols and their prices at WALK_ORIGIN; others are left out. Default DEFAULT_BASE_PRICES. */
  basePrices?: Readonly<Record<string, string>>;
  /** Per-step volatility in basis points (default 5: about 1.9 % a day at one-minute steps). */
  volatilityBps?: number;
  /** Length of one walk step (default 60 000 ms). */
  stepMs?: number;
  now?: () => Date;
}

/**
 * A PriceSource that needs no network: every symbol follows its own seeded walk in time.
 * @example
 * const source = createSimulatedPriceSource({ seed: 7, now: () => new Date('2025-03-01T12:00:00Z') });
 * await source.latest(['AAPL']); // [{ symbol: 'AAPL', price: '231.07', source: 'simulated', asOf: '2025-03-01T12:00:00.000Z' }]
 */
export function createSimulatedPriceSource(options: SimulatedPriceSourceOptions): PriceSource {
  const { seed, basePrices = DEFAULT_BASE_PRICES, volatilityBps = 5, stepMs = 60_000 } = options;
  const now = options.now ?? (() => new Date());
  const origin = WALK_ORIGIN.getTime();
  const stepOf = (ms: number) => Math.floor((ms - origin) / stepMs);
  const price = (symbol: string, basePrice: string, step: number) =>
    priceAt({ seed, symbol, basePrice, step, volatilityBps });

  function candle(symbol: string, basePrice: string, start: number, intervalMs: number): Candle {
    const first = stepOf(start);
    const last = stepOf(start + intervalMs);
    // Open and close plus up to six evenly spaced steps in between give high and low.
    const steps = new Set([first, last]);
    for (let i = 1; i <= 6; i++) steps.add(first + Math.floor(((last - first) * i) / 7));
    const prices = [...steps].map((s) => new Dec(price(symbol, basePrice, s)));
    return {
      t: new Date(start).toISOString(),
      open: price(symbol, basePrice, first),
      high: Dec.max(...prices).toString(),
      low: Dec.min(...prices).toString(),
      close: price(symbol, basePrice, last),
    };
  }

  return {
    name: 'simulated',
    async latest(symbols: string[]): Promise<PriceQuote[]> {
      const step = stepOf(now().getTime());
      const asOf = new Date(origin + step * stepMs).toISOString();
      return symbols.flatMap((symbol) => {
        const base = basePrices[symbol];
        return base === undefined ? [] : [{ symbol, price: price(symbol, base, step), source: 'simulated', asOf }];
      });
    },
    async history({ symbol, from, to, interval }: HistoryRequest): Promise<Candle[]> {
      const base = basePrices[symbol];
      if (base === undefined) return [];
      const intervalMs = INTERVAL_MS[interval];
      // Only completed bars, each starting in [from, to).
      const end = Math.min(to.getTime(), now().getTime() - intervalMs + 1);
      const opening = candleOpen(from.getTime(), interval);
      const first = opening < from.getTime() ? opening + intervalMs : opening;
      const count = Math.max(0, Math.ceil((end - first) / intervalMs));
      if (count > MAX_CANDLES) {
        throw new RangeError(`simulated: ${count} ${interval} candles requested for ${symbol}; at most ${MAX_CANDLES}`);
      }
      return Array.from({ length: count }, (_, i) => candle(symbol, base, first + i * intervalMs, intervalMs));
    },
  };
}
