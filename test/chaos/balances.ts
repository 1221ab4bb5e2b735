/**
 * The balance half of the ledger check: what the recorded fills say every balance should have
 * moved by, against what the venue's own books say it did.
 */
import { Decimal } from 'decimal.js';
import type { Balance } from '../../domain/exchange.js';
import { SYMBOLS } from './plan.js';

/** Wide enough that sums of fills never round. */
export const D = Decimal.clone({ precision: 80 });
type Dec = InstanceType<typeof D>;

export interface FillRow {
  venue: string;
  trade_id: string;
  order_id: string;
  side: string;
  symbol: string;
  price: string;
  quantity: string;
  commission: string;
  commission_asset: string | null;
}

class Ledger {
  private readonly amounts = new Map<string, Dec>();
  add(asset: string, amount: Decimal.Value): void {
    this.amounts.set(asset, this.get(asset).plus(amount));
  }
  get(asset: string): Dec {
    return this.amounts.get(asset) ?? new D(0);
  }
  assets(): string[] {
    return [...this.amounts.keys()];
  }
  /** Base in and quote out for a buy (the reverse for a sell); the commission out of its asset. */
  apply(f: FillRow): void {
    const spec = SYMBOLS.find((s) => s.symbol === f.symbol);
    if (!spec) throw new Error(`a fill of ${f.symbol}, which the harness never traded`);
    const qty = new D(f.quantity);
    const sign = f.side === 'BUY' ? 1 : -1;
    this.add(spec.base, qty.times(sign));
    this.add(spec.quote, qty.times(f.price).times(-sign));
    if (f.commission_asset) this.add(f.commission_asset, new D(f.commission).neg());
  }
}

const total = (list: Balance[]) => new Map(list.map((b) => [b.asset, new D(b.free).plus(b.locked)]));

/**
 * The Binance fake's account moved by exactly the sum of the recorded Binance fills.
 * @example mismatches.push(...binanceBalanceFindings(fills, fakeStart, fake.balances()));
 */
export function binanceBalanceFindings(fills: FillRow[], start: Balance[], end: Balance[]): string[] {
  const expected = new Ledger();
  for (const f of fills) if (f.venue === 'binance') expected.apply(f);
  const before = total(start);
  const after = total(end);
  const out: string[] = [];
  for (const asset of new Set([...before.keys(), ...after.keys(), ...expected.assets()])) {
    const moved = (after.get(asset) ?? new D(0)).minus(before.get(asset) ?? 0);
    if (!moved.eq(expected.get(asset))) out.push(`binance balance ${asset} moved by ${moved.toString()} but the fills say ${expected.get(asset).toString()}`);
  }
  return out;
}

/**
 * A paper account holds its starting cash (USD and USDT) plus its recorded paper fills, nothing
 * else; with every order terminal nothing is locked.
 * @example mismatches.push(...paperBalanceFindings(account, accountFills, rows, '1000000', true));
 */
export function paperBalanceFindings(
  account: string,
  fills: FillRow[],
  rows: Array<{ asset: string; free: string; locked: string }>,
  startingCash: string,
  allTerminal: boolean,
): string[] {
  const expected = new Ledger();
  for (const cash of ['USD', 'USDT']) expected.add(cash, startingCash);
  for (const f of fills) if (f.venue === 'paper') expected.apply(f);
  const held = new Map(rows.map((r) => [r.asset, r]));
  const out: string[] = [];
  for (const asset of new Set([...held.keys(), ...expected.assets()])) {
    const r = held.get(asset);
    const have = new D(r?.free ?? 0).plus(r?.locked ?? 0);
    if (!have.eq(expected.get(asset))) out.push(`paper balance ${asset} of ${account} is ${have.toString()} but starting cash plus fills say ${expected.get(asset).toString()}`);
    if (r && allTerminal && !new D(r.locked).isZero()) out.push(`paper balance ${asset} of ${account} still has ${r.locked} locked with every order terminal`);
  }
  return out;
}

/** One trade of the paper venue, with its order's side and assets (from paper_orders). */
export interface PaperTradeRow {
  side: string;
  base_asset: string;
  quote_asset: string;
  price: string;
  quantity: string;
  commission: string;
  commission_asset: string;
}

/**
 * Conservation of a paper account, from the venue's own trades rather than the engine's fills:
 * in each cash currency, cash + what the trades bought − what they sold (at their fill prices) +
 * the fees paid equals the starting cash; each other asset holds what the trades bought minus
 * what they sold. One entry per asset that holds more than that (money or stock from nowhere),
 * or a negative amount (spent what it did not have).
 * @example moneyCreated.push(...paperConservationFindings(account, trades, rows, '1000000'));
 */
export function paperConservationFindings(
  account: string,
  trades: PaperTradeRow[],
  rows: Array<{ asset: string; free: string; locked: string }>,
  startingCash: string,
): string[] {
  const bought = new Ledger();
  const sold = new Ledger();
  const fees = new Ledger();
  const quantity = new Ledger();
  for (const t of trades) {
    const notional = new D(t.quantity).times(t.price);
    (t.side === 'BUY' ? bought : sold).add(t.quote_asset, notional);
    quantity.add(t.base_asset, new D(t.quantity).times(t.side === 'BUY' ? 1 : -1));
    fees.add(t.commission_asset, t.commission);
  }
  const held = new Map(rows.map((r) => [r.asset, new D(r.free).plus(r.locked)]));
  const cash = new Set(['USD', 'USDT', ...bought.assets(), ...sold.assets()]);
  const out: string[] = [];
  for (const r of rows) {
    if (new D(r.free).isNegative() || new D(r.locked).isNegative()) out.push(`paper account ${account}: ${r.asset} is negative (free ${r.free}, locked ${r.locked})`);
  }
  for (const asset of cash) {
    const have = held.get(asset) ?? new D(0);
    const start = asset === 'USD' || asset === 'USDT' ? new D(startingCash) : new D(0);
    const total = have.plus(bought.get(asset)).minus(sold.get(asset)).plus(fees.get(asset));
    if (total.gt(start)) {
      out.push(
        `paper account ${account}: ${asset} cash ${have.toString()} + bought ${bought.get(asset).toString()} − sold ${sold.get(asset).toString()} at fill prices + fees ${fees.get(asset).toString()} = ${total.toString()}, but it started with ${start.toString()} (${total.minus(start).toString()} from nowhere)`,
      );
    }
  }
  for (const [asset, have] of held) {
    if (cash.has(asset)) continue;
    const explained = quantity.get(asset).minus(fees.get(asset));
    if (have.gt(explained)) out.push(`paper account ${account}: holds ${have.toString()} ${asset} but the venue's trades explain ${explained.toString()} (${have.minus(explained).toString()} from nowhere)`);
  }
  return out;
}
