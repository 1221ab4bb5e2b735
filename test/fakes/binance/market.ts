/**
 * The fake's market: last price per symbol, the history of price changes (for klines) and the
 * liquidity available at the current price. Liquidity is refilled on every price move, which is
 * how partial fills happen: at most that much base quantity trades per move, in time priority.
 */
import { D, type Dec } from './decimal.js';

export interface Tick {
  time: number;
  price: Dec;
}

/** Oldest ticks are dropped beyond this, so a long price walk does not grow without bound. */
const MAX_TICKS = 50_000;

export class Market {
  private readonly last = new Map<string, Dec>();
  private readonly history = new Map<string, Tick[]>();
  private readonly available = new Map<string, Dec | null>();
  private readonly depth = new Map<string, Dec | null>();

  constructor(
    prices: Record<string, string>,
    liquidity: Record<string, string>,
    readonly startedAt: number,
  ) {
    for (const [symbol, price] of Object.entries(prices)) {
      const p = new D(price);
      this.last.set(symbol, p);
      this.history.set(symbol, [{ time: startedAt, price: p }]);
      const depth = liquidity[symbol] === undefined ? null : new D(liquidity[symbol]);
      this.depth.set(symbol, depth);
      this.available.set(symbol, depth);
    }
  }

  has(symbol: string): boolean {
    return this.last.has(symbol);
  }

  price(symbol: string): Dec {
    const p = this.last.get(symbol);
    if (!p) throw new Error(`Binance fake: no price for ${symbol}`);
    return p;
  }

  /** The initial price: the anchor of the synthetic candles before the fake started. */
  anchor(symbol: string): Dec {
    return this.ticks(symbol)[0]?.price ?? this.price(symbol);
  }

  ticks(symbol: string): readonly Tick[] {
    return this.history.get(symbol) ?? [];
  }

  /**
   * Moves the market. `liquidity` (base quantity tradable at this price; null = unlimited) also
   * becomes the depth used for later moves; omitted, the previous depth is kept.
   */
  move(symbol: string, price: Dec, time: number, liquidity?: Dec | null): void {
    if (!price.isPositive() || price.isZero()) throw new Error(`Binance fake: price must be positive, got ${price.toString()}`);
    this.last.set(symbol, price);
    const ticks = this.history.get(symbol) ?? [];
    ticks.push({ time, price });
    if (ticks.length > MAX_TICKS) ticks.splice(1, ticks.length - MAX_TICKS);
    this.history.set(symbol, ticks);
    if (liquidity !== undefined) this.depth.set(symbol, liquidity);
    this.available.set(symbol, this.depth.get(symbol) ?? null);
  }

  /** Takes up to `wanted` from the liquidity at the current price; returns what was granted. */
  take(symbol: string, wanted: Dec): Dec {
    const left = this.available.get(symbol) ?? null;
    if (left === null) return wanted;
    const granted = D.min(left, wanted);
    this.available.set(symbol, left.minus(granted));
    return granted;
  }

  /** What an order could take right now without consuming it (for FOK). */
  peek(symbol: string): Dec | null {
    return this.available.get(symbol) ?? null;
  }
}
