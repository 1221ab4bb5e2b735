/**
 * The one account the fake trades for: free and locked balance per asset. Open orders lock what
 * they could spend; fills move locked funds out and proceeds (net of commission) in. It remembers
 * which assets changed since last asked, for the user stream's outboundAccountPosition.
 */
import type { Balance } from '../../../domain/exchange.js';
import { D, type Dec, fmt, ZERO } from './decimal.js';

interface Holding {
  free: Dec;
  locked: Dec;
}

export class Account {
  private readonly holdings = new Map<string, Holding>();
  private readonly changed = new Set<string>();
  updateTime = 0;

  constructor(initial: Record<string, string>) {
    for (const [asset, amount] of Object.entries(initial)) this.holdings.set(asset, { free: new D(amount), locked: ZERO });
  }

  /** The balances of the assets that changed since the last call, and forgets them. */
  takeChanged(): Balance[] {
    const out = [...this.changed].map((asset) => ({ asset, free: fmt(this.holding(asset).free), locked: fmt(this.holding(asset).locked) }));
    this.changed.clear();
    return out;
  }

  private touch(asset: string, time: number): Holding {
    this.changed.add(asset);
    this.updateTime = time;
    return this.holding(asset);
  }

  private holding(asset: string): Holding {
    let h = this.holdings.get(asset);
    if (!h) {
      h = { free: ZERO, locked: ZERO };
      this.holdings.set(asset, h);
    }
    return h;
  }

  free(asset: string): Dec {
    return this.holding(asset).free;
  }

  /** Moves `amount` from free to locked; false (and no change) when free is short. */
  lock(asset: string, amount: Dec, time: number): boolean {
    if (this.holding(asset).free.lt(amount)) return false;
    const h = this.touch(asset, time);
    h.free = h.free.minus(amount);
    h.locked = h.locked.plus(amount);
    return true;
  }

  /** Returns locked funds to free (an order finished or a fill used less than was locked). */
  unlock(asset: string, amount: Dec, time: number): void {
    const h = this.touch(asset, time);
    h.locked = h.locked.minus(amount);
    h.free = h.free.plus(amount);
  }

  /** Pays `amount` out of the locked funds (the locked part is consumed, not returned). */
  spendLocked(asset: string, amount: Dec, time: number): void {
    const h = this.touch(asset, time);
    h.locked = h.locked.minus(amount);
  }

  /** Adds to (or, with a negative amount, takes from) the free balance. */
  credit(asset: string, amount: Dec, time: number): void {
    const h = this.touch(asset, time);
    h.free = h.free.plus(amount);
  }

  list(omitZero = false): Balance[] {
    const out: Balance[] = [];
    for (const [asset, h] of this.holdings) {
      if (omitZero && h.free.isZero() && h.locked.isZero()) continue;
      out.push({ asset, free: fmt(h.free), locked: fmt(h.locked) });
    }
    return out;
  }
}
