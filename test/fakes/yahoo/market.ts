/**
 * The fake's prices. Each symbol is anchored at (price, time) when the fake starts or setPrice is
 * called; with a priceWalk the latest price walks on from the anchor, and chart bars always come
 * from the same seeded walk (venues/market-data/simulated.ts) so history joins the present.
 */
import { Decimal } from 'decimal.js';
import { priceAt } from '../../../venues/market-data/simulated.js';

export type FakeQuoteType = 'EQUITY' | 'ETF' | 'INDEX' | 'MUTUALFUND';

export interface FakeQuoteSeed {
  /** Decimal string, e.g. '227.52'. */
  price: string;
  currency?: string;
  name?: string;
  quoteType?: FakeQuoteType;
}

export interface PriceWalkOptions {
  seed: number | string;
  intervalMs: number;
  volatilityBps: number;
}

export interface FakeInstrument {
  symbol: string;
  name: string;
  currency: string;
  quoteType: FakeQuoteType;
}

export interface Bar {
  /** Open time, epoch seconds. */
  time: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: number;
}

const ETFS = new Set(['SPY', 'QQQ', 'VOO', 'IWM', 'DIA', 'VTI']);
/** Bars need movement even when the latest price is pinned. */
const HISTORY_WALK: PriceWalkOptions = { seed: 'yahoo-fake', intervalMs: 60_000, volatilityBps: 5 };

interface Anchor {
  instrument: FakeInstrument;
  price: string;
  atMs: number;
}

export class FakeMarket {
  readonly #anchors = new Map<string, Anchor>();

  constructor(
    quotes: Readonly<Record<string, FakeQuoteSeed>>,
    private readonly walk: PriceWalkOptions | undefined,
    private readonly now: () => number,
  ) {
    for (const [symbol, seed] of Object.entries(quotes)) this.set(symbol, seed);
  }

  has(symbol: string): boolean {
    return this.#anchors.has(symbol);
  }

  /** Re-anchors a symbol (adding it if new): the latest price is exactly `seed.price` from now on. */
  set(symbol: string, seed: FakeQuoteSeed): void {
    new Decimal(seed.price); // throws on a malformed price
    const previous = this.#anchors.get(symbol)?.instrument;
    const instrument: FakeInstrument = {
      symbol,
      name: seed.name ?? previous?.name ?? symbol,
      currency: seed.currency ?? previous?.currency ?? 'USD',
      quoteType: seed.quoteType ?? previous?.quoteType ?? (symbol.startsWith('^') ? 'INDEX' : ETFS.has(symbol) ? 'ETF' : 'EQUITY'),
    };
    this.#anchors.set(symbol, { instrument, price: seed.price, atMs: this.now() });
  }

  instrument(symbol: string): FakeInstrument | undefined {
    return this.#anchors.get(symbol)?.instrument;
  }

  /** Latest price and the time it was struck (epoch ms). */
  latest(symbol: string): { price: string; atMs: number } | undefined {
    const anchor = this.#anchors.get(symbol);
    if (!anchor) return undefined;
    if (!this.walk) return { price: anchor.price, atMs: anchor.atMs };
    const step = this.#step(anchor, this.now(), this.walk);
    return { price: this.#priceAt(anchor, step, this.walk), atMs: anchor.atMs + step * this.walk.intervalMs };
  }

  /**
   * Bars opening in [fromSec, toSec) and before now, on the grid of `intervalSec` that starts at
   * `offsetSec` past the epoch (weeks start on a Monday); the last one may still be forming.
   */
  bars(symbol: string, fromSec: number, toSec: number, intervalSec: number, offsetSec = 0): Bar[] {
    const anchor = this.#anchors.get(symbol);
    if (!anchor) return [];
    const walk = this.walk ?? HISTORY_WALK;
    const nowMs = this.now();
    const bars: Bar[] = [];
    const end = Math.min(toSec, Math.ceil(nowMs / 1000));
    for (let t = Math.ceil((fromSec - offsetSec) / intervalSec) * intervalSec + offsetSec; t < end; t += intervalSec) {
      const first = this.#step(anchor, t * 1000, walk);
      const last = this.#step(anchor, Math.min((t + intervalSec) * 1000, nowMs), walk);
      const samples = [first, first + Math.floor((last - first) / 3), first + Math.floor(((last - first) * 2) / 3), last];
      const prices = samples.map((s) => new Decimal(this.#priceAt(anchor, s, walk)));
      bars.push({
        time: t,
        open: this.#priceAt(anchor, first, walk),
        high: Decimal.max(...prices).toString(),
        low: Decimal.min(...prices).toString(),
        close: this.#priceAt(anchor, last, walk),
        volume: 10_000 + (Math.abs(first) % 9_973) * 17,
      });
    }
    return bars;
  }

  #step(anchor: Anchor, atMs: number, walk: PriceWalkOptions): number {
    return Math.floor((atMs - anchor.atMs) / walk.intervalMs);
  }

  #priceAt(anchor: Anchor, step: number, walk: PriceWalkOptions): string {
    const { seed, volatilityBps } = walk;
    return priceAt({ seed, symbol: anchor.instrument.symbol, basePrice: anchor.price, step, volatilityBps });
  }
}
