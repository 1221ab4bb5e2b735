/**
 * The market the harness plays: it writes the paper venue's prices into `prices` with a fresh
 * `as_of` every two seconds (a stale price would make paper MARKET orders REJECTED), and moves
 * every symbol on both venues together: down past the resting buys, up past the resting sells,
 * back to rest. Writes that fail (PostgreSQL is down on purpose) are counted and retried later.
 */
import { Decimal } from 'decimal.js';
import type { Sql } from '../../lib/db.js';
import { sleep } from '../../lib/embedded/process.js';
import type { BinanceFake } from '../fakes/binance/index.js';
import { OFFSETS, priceAt, SYMBOLS } from './plan.js';

export type MarketPhase = 'rest' | 'down' | 'up';

const FACTOR: Record<MarketPhase, Decimal> = {
  rest: new Decimal(1),
  down: new Decimal(1).minus(OFFSETS.move),
  up: new Decimal(1).plus(OFFSETS.move),
};

/**
 * @example const market = new MarketDriver(sql, fake); await market.publish(); market.start(); … await market.stop();
 */
export class MarketDriver {
  phase: MarketPhase = 'rest';
  failedWrites = 0;
  moves = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  /** Symbols moved on their own (`moveSymbol`), until the next `move` of the whole market. */
  private readonly own = new Map<string, MarketPhase>();

  constructor(
    private readonly sql: Sql,
    private readonly fake: BinanceFake,
  ) {}

  /**
   * Writes every symbol's current price with as_of = now (Binance symbols too: the MARKET notional
   * check reads them). One statement, no transaction, and a time limit: while PostgreSQL is down
   * a write fails or is abandoned, and the next one two seconds later tries again.
   */
  async publish(): Promise<boolean> {
    const asOf = new Date();
    const rows = SYMBOLS.map((s) => ({ symbol: s.symbol, price: priceAt(s, FACTOR[this.phaseOf(s.symbol)]), source: 'simulated', as_of: asOf }));
    const write = this.sql`INSERT INTO prices ${this.sql(rows)}
      ON CONFLICT (symbol) DO UPDATE SET price = EXCLUDED.price, source = EXCLUDED.source, as_of = EXCLUDED.as_of
      WHERE prices.as_of <= EXCLUDED.as_of`;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([write, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('price write timed out')), 5000)))]);
      return true;
    } catch {
      this.failedWrites++;
      return false;
    } finally {
      clearTimeout(timer);
      write.catch(() => {});
    }
  }

  phaseOf(symbol: string): MarketPhase {
    return this.own.get(symbol) ?? this.phase;
  }

  /** Moves both venues to `phase`: the fake matches at once, the paper venue on its next poll. */
  async move(phase: MarketPhase): Promise<void> {
    if (phase === this.phase && this.own.size === 0) return;
    this.phase = phase;
    this.own.clear();
    this.moves++;
    for (const s of SYMBOLS) if (s.venue === 'binance') this.fake.setPrice(s.symbol, priceAt(s, FACTOR[phase]));
    await this.publish();
  }

  /** Moves one symbol only (the others keep their phase), e.g. to race a cancel against its fills. */
  async moveSymbol(symbol: string, phase: MarketPhase): Promise<void> {
    const spec = SYMBOLS.find((s) => s.symbol === symbol);
    if (!spec) throw new Error(`the harness does not trade ${symbol}`);
    this.own.set(symbol, phase);
    this.moves++;
    if (spec.venue === 'binance') this.fake.setPrice(symbol, priceAt(spec, FACTOR[phase]));
    await this.publish();
  }

  /** Keeps prices fresh and, with `cycle`, moves the market through down → rest → up → rest every ~14 s. */
  start({ cycle }: { cycle: boolean }): void {
    this.running = true;
    this.loop = (async () => {
      if (!cycle) {
        // Prices stay where the scenario puts them; they only need to stay fresh.
        while (this.running) {
          await this.publish();
          await sleep(2000);
        }
        return;
      }
      const phases: Array<[MarketPhase, number]> = [['rest', 6000], ['down', 3000], ['rest', 2000], ['up', 3000]];
      for (let i = 0; this.running; i = (i + 1) % phases.length) {
        const [phase, ms] = phases[i]!;
        await this.move(phase);
        const until = Date.now() + ms;
        while (this.running && Date.now() < until) {
          await this.publish();
          await sleep(Math.min(2000, Math.max(until - Date.now(), 0)));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.loop = undefined;
  }

  /**
   * Holds the market down, then up, four seconds each, until `done()` (every order terminal) or
   * the deadline (asked again at each move, so it can move later): resting orders that missed a
   * move while their worker was dead fill here.
   */
  async settle(done: () => Promise<boolean>, deadline: () => number): Promise<boolean> {
    let phase: MarketPhase = 'down';
    try {
      while (Date.now() < deadline()) {
        await this.move(phase);
        const until = Math.min(Date.now() + 4000, deadline());
        while (Date.now() < until) {
          if (await done().catch(() => false)) return true;
          await this.publish();
          await sleep(500);
        }
        phase = phase === 'down' ? 'up' : 'down';
      }
      return await done().catch(() => false);
    } finally {
      await this.move('rest');
    }
  }
}
