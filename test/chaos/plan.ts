/**
 * What a scenario trades, decided up front from its seed: the symbols and their base prices, and
 * the list of orders (venue, side, MARKET or LIMIT, marketable at once or resting until the
 * harness moves the price). The same seed gives the same orders and the same fault moments.
 */
import { Decimal } from 'decimal.js';
import { seededRandom } from '../fakes/binance/random.js';
import type { OrderBody } from './client.js';

export { seededRandom };

export const between = (rng: () => number, min: number, max: number): number => min + (max - min) * rng();
const pick = <T>(rng: () => number, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

export interface SymbolSpec {
  symbol: string;
  venue: 'paper' | 'binance';
  base: string;
  quote: string;
  /** Price the market returns to between moves. */
  price: string;
  /** Quantities to choose from (respecting the venue's lot step). */
  quantities: readonly string[];
}

export const SYMBOLS: readonly SymbolSpec[] = [
  { symbol: 'AAPL', venue: 'paper', base: 'AAPL', quote: 'USD', price: '200.00', quantities: ['1', '2', '3', '5'] },
  { symbol: 'MSFT', venue: 'paper', base: 'MSFT', quote: 'USD', price: '400.00', quantities: ['1', '2', '3'] },
  { symbol: 'BTCUSDT', venue: 'binance', base: 'BTC', quote: 'USDT', price: '60000.00', quantities: ['0.001', '0.002', '0.005', '0.01'] },
  { symbol: 'ETHUSDT', venue: 'binance', base: 'ETH', quote: 'USDT', price: '3000.00', quantities: ['0.01', '0.05', '0.1', '0.2'] },
];

/** How far from the base price LIMIT orders are placed, and how far the harness moves the market. */
export const OFFSETS = { marketable: '0.01', resting: '0.02', move: '0.03' } as const;

export type Intent = 'market' | 'marketable-limit' | 'resting-limit';

export interface PlannedOrder {
  key: string;
  intent: Intent;
  body: OrderBody;
}

export interface PlanOptions {
  scenario: string;
  orders: number;
  seed: number;
  /** Share of orders on the Binance fake (the rest on the paper venue). */
  binanceShare: number;
  /** Weights of the intents; half MARKET, a quarter of each LIMIT kind by default. */
  mix?: Partial<Record<Intent, number>>;
  /** Share of the second half's orders that sell; 0.4 by default. */
  sellShare?: number;
}

export const DEFAULT_MIX: Readonly<Record<Intent, number>> = { market: 2, 'marketable-limit': 1, 'resting-limit': 1 };

const at = (price: string, factor: Decimal.Value) => new Decimal(price).times(factor).toDecimalPlaces(2).toFixed(2);

/** The intent whose cumulative weight `roll` (0..1) falls in. */
function intentOf(roll: number, mix: Readonly<Record<Intent, number>>): Intent {
  const entries = Object.entries(mix) as Array<[Intent, number]>;
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let acc = 0;
  for (const [intent, w] of entries) {
    acc += w / total;
    if (roll < acc) return intent;
  }
  return entries.at(-1)![0];
}

/**
 * Half MARKET, a quarter LIMIT marketable at once, a quarter LIMIT resting away from the market
 * (or the scenario's `mix`); buys only in the first half of the run, four in ten sells in the second.
 * @example const plan = planOrders({ scenario: 'worker-kill', orders: 200, seed: 1, binanceShare: 0.5 });
 */
export function planOrders(o: PlanOptions): PlannedOrder[] {
  const rng = seededRandom(o.seed);
  const mix = { market: 0, 'marketable-limit': 0, 'resting-limit': 0, ...(o.mix ?? DEFAULT_MIX) };
  const out: PlannedOrder[] = [];
  for (let i = 0; i < o.orders; i++) {
    const venue = rng() < o.binanceShare ? 'binance' : 'paper';
    const spec = pick(rng, SYMBOLS.filter((s) => s.venue === venue));
    const side = i >= o.orders / 2 && rng() < (o.sellShare ?? 0.4) ? 'SELL' : 'BUY';
    const intent = intentOf(rng(), mix);
    // Sells come in the second half and stay small, so what the run bought covers them (the paper
    // account starts without stock, and the portfolio only knows what the run bought).
    const quantity = side === 'SELL' ? spec.quantities[0]! : pick(rng, spec.quantities);
    const body: OrderBody = { venue, symbol: spec.symbol, side, type: intent === 'market' ? 'MARKET' : 'LIMIT', quantity };
    if (intent !== 'market') {
      const offset = intent === 'marketable-limit' ? OFFSETS.marketable : OFFSETS.resting;
      // A marketable buy bids above the market; a resting buy waits below it (and the reverse for sells).
      const towardsMarket = (side === 'BUY') === (intent === 'marketable-limit');
      body.price = at(spec.price, towardsMarket ? new Decimal(1).plus(offset) : new Decimal(1).minus(offset));
      body.timeInForce = 'GTC';
    }
    out.push({ key: `chaos-${o.scenario}-${o.seed}-${String(i).padStart(4, '0')}`, intent, body });
  }
  return out;
}

/** The price of `spec` when the market is moved by `factor` (1 = at rest). */
export function priceAt(spec: SymbolSpec, factor: Decimal.Value): string {
  return at(spec.price, factor);
}
