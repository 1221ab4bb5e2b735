/**
 * Issue 15's order lists under faults: brackets whose entries fill while the worker is dead, and
 * OCOs whose legs fill while the Temporal server is down, on both venues, beside the usual stream
 * of single orders. Each ends with its own counts, all of which must be 0: a list not done, an
 * OCO pair with both legs filled, a leg left working after its list ended (an orphan), a bracket
 * pair placed for an entry that did not fill, or sized to anything but what the entry filled.
 */
import { Decimal } from 'decimal.js';
import { sleep } from '../../lib/embedded/process.js';
import { accepted, until } from './moments.js';
import { priceAt, SYMBOLS } from './plan.js';
import type { ScenarioDefinition, Stack } from './scenario.js';

const DONE = ['ALL_DONE', 'CANCELED', 'REJECTED'];
const TERMINAL = ['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED'];

interface Leg {
  id: string;
  status: string;
  quantity: string;
  executedQty: string;
  parent: { role: string };
}
interface ListView {
  id: string;
  type: string;
  status: string;
  legs: Leg[];
}

/** The lists each run created, by stack. */
const created = new WeakMap<Stack, string[]>();

async function view(s: Stack, id: string): Promise<ListView | undefined> {
  const res = await s.client.get(`/v1/order-lists/${id}`, Date.now() + 15_000);
  return res?.status === 200 ? (res.body as ListView) : undefined;
}

/** Waits until `ok` holds for every list (or the deadline); returns how many it held for. */
async function waitLists(s: Stack, ids: string[], ok: (l: ListView) => boolean, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const views = await Promise.all(ids.map((id) => view(s, id)));
    const n = views.filter((l) => l && ok(l)).length;
    if (n === ids.length || Date.now() > deadline) return n;
    await sleep(1000);
  }
}

/** Two lists per symbol of the harness, both venues; the bodies come from `body(spec)`. */
async function createLists(s: Stack, name: string, body: (spec: (typeof SYMBOLS)[number]) => Record<string, unknown>): Promise<string[]> {
  const ids: string[] = [];
  for (const spec of SYMBOLS) {
    for (let i = 0; i < 2; i++) {
      const out = await s.client.create('/v1/order-lists', `chaos-${name}-${spec.symbol}-${i}`, { venue: spec.venue, symbol: spec.symbol, quantity: spec.quantities[0], ...body(spec) }, Date.now() + 60_000);
      if (out.kind !== 'accepted') throw new Error(`chaos: ${name} list on ${spec.symbol} not accepted: ${JSON.stringify(out)}`);
      ids.push(out.id);
    }
  }
  return ids;
}

/** The invariants, counted over every list the run created. */
async function listCounts(s: Stack): Promise<Record<string, number>> {
  const ids = created.get(s) ?? [];
  // Lists still working after the drain (a pair no move reached) are cancelled, as a user would.
  const views = (await Promise.all(ids.map((id) => view(s, id)))).filter((l): l is ListView => l !== undefined);
  for (const l of views.filter((x) => !DONE.includes(x.status))) await s.client.remove(`/v1/order-lists/${l.id}`, Date.now() + 15_000);
  await waitLists(s, ids, (l) => DONE.includes(l.status) && l.legs.every((o) => TERMINAL.includes(o.status)), 60_000);
  const final = (await Promise.all(ids.map((id) => view(s, id)))).filter((l): l is ListView => l !== undefined);
  const role = (l: ListView, r: string) => l.legs.find((o) => o.parent.role === r);
  let listsNotDone = ids.length - final.length;
  let bothLegsFilled = 0;
  let orphanLegs = 0;
  let pairWithoutFill = 0;
  let pairMissized = 0;
  const pairsFilled: string[] = [];
  for (const l of final) {
    if (!DONE.includes(l.status)) listsNotDone++;
    orphanLegs += l.legs.filter((o) => !TERMINAL.includes(o.status)).length;
    const tp = role(l, 'take-profit');
    const sl = role(l, 'stop-loss');
    if (tp?.status === 'FILLED' && sl?.status === 'FILLED') bothLegsFilled++;
    if (tp?.status === 'FILLED' || sl?.status === 'FILLED') pairsFilled.push(l.id);
    const entry = role(l, 'entry');
    if (l.type === 'BRACKET' && (tp || sl)) {
      if (!entry || new Decimal(entry.executedQty).isZero()) pairWithoutFill++;
      else if ([tp, sl].some((o) => o && !new Decimal(o.quantity).eq(entry.executedQty))) pairMissized++;
    }
  }
  s.note(`${final.length} lists: ${pairsFilled.length} closed by a leg's fill, ${final.filter((l) => l.status === 'CANCELED').length} cancelled at the end`);
  return { listsNotDone, bothLegsFilled, orphanLegs, pairWithoutFill, pairMissized };
}

/**
 * BUY brackets (entry 2 % under the market, take-profit 2 % over, stop 5 % under) on both venues.
 * Once every entry rests, the worker is killed with SIGKILL, the market falls through the entries
 * (the Binance fake fills them and places the OTOCO pairs at once), and a fresh worker starts four
 * seconds later. Every pair must appear, sized to the fill, and the market's rise closes it.
 */
export const bracketWorkerDown: ScenarioDefinition = {
  name: 'bracket-worker-down',
  orders: 30,
  binanceShare: 0.5,
  concurrency: 3,
  pacingMs: [200, 600],
  marketCycle: false,
  async chaos(s) {
    await until(accepted(s, 0.2));
    const ids = await createLists(s, 'bracket', (spec) => ({
      type: 'BRACKET',
      side: 'BUY',
      entry: { price: priceAt(spec, 0.98) },
      takeProfit: { price: priceAt(spec, 1.02) },
      stopLoss: { stopPrice: priceAt(spec, 0.95) },
    }));
    created.set(s, ids);
    const resting = await waitLists(s, ids, (l) => l.legs.some((o) => o.parent.role === 'entry' && o.status === 'NEW'), 60_000);
    s.note(`${resting}/${ids.length} bracket entries resting`);
    await s.worker.kill9();
    s.note('kill -9 worker; the market falls through the entries');
    await s.market.move('down');
    await sleep(4000);
    await s.worker.start();
    s.note('worker started again');
    const paired = await waitLists(s, ids, (l) => l.legs.length === 3 && l.legs.filter((o) => o.parent.role !== 'entry').every((o) => o.status === 'NEW'), 90_000);
    s.note(`${paired}/${ids.length} brackets protected by their pair after the restart`);
    await s.market.move('up');
    const closed = await waitLists(s, ids, (l) => DONE.includes(l.status), 60_000);
    s.note(`${closed}/${ids.length} brackets closed by the take-profit`);
    await s.market.move('rest');
  },
  counts: listCounts,
};

/**
 * BUY OCOs (take-profit 2 % under the market, stop 2 % over) on both venues. Once every pair rests,
 * the Temporal server is stopped, the market falls through the take-profits (the Binance fake
 * fills them and expires the stops while nothing of ours can run), and Temporal starts again five
 * seconds later. Each list must end with exactly its take-profit filled, even after the market
 * then rises through the stops.
 */
export const ocoTemporalRestart: ScenarioDefinition = {
  name: 'oco-temporal-restart',
  orders: 30,
  binanceShare: 0.5,
  concurrency: 3,
  pacingMs: [200, 600],
  marketCycle: false,
  async chaos(s) {
    await until(accepted(s, 0.2));
    const ids = await createLists(s, 'oco', (spec) => ({ type: 'OCO', side: 'BUY', takeProfit: { price: priceAt(spec, 0.98) }, stopLoss: { stopPrice: priceAt(spec, 1.02) } }));
    created.set(s, ids);
    const resting = await waitLists(s, ids, (l) => l.legs.length === 2 && l.legs.every((o) => o.status === 'NEW'), 60_000);
    s.note(`${resting}/${ids.length} OCO pairs resting`);
    await s.temporal.stop();
    s.note('Temporal stopped; the market falls through the take-profits');
    await s.market.move('down');
    await sleep(5000);
    await s.temporal.start();
    s.note('Temporal started again');
    const closed = await waitLists(s, ids, (l) => DONE.includes(l.status), 90_000);
    s.note(`${closed}/${ids.length} OCOs done after the restart`);
    // Through the stops too: a stop left live beside its filled take-profit would fill now.
    await s.market.move('up');
    await sleep(6000);
    await s.market.move('rest');
  },
  counts: listCounts,
};
