/**
 * FIFO lots: every BUY opens a lot, every SELL consumes the oldest lots first. The queue is a
 * window over an append-only array shared between successive states (see `LotQueue`), so a BUY
 * is O(1) amortised and a SELL costs O(lots it touches), and no earlier state ever changes.
 */
import { assertHolding, settle, type Fill } from './average-cost.js';
import { Dec, InvalidStateError, type Decimal, type Lot, type LotQueue, type PositionState } from './types.js';

const ZERO = new Dec(0);
/** Consumed lots are dropped (by copying the live ones) once there are this many and they are half the array. */
const COMPACT_AFTER = 1024;

/** A lot as stored; the first lot of a queue carries what remains of it, not what was bought. */
export interface LotJson {
  tradeId: string;
  quantity: string;
  cost: string;
}

function emptyQueue(): LotQueue {
  return { items: [], head: 0, end: 0, headQuantity: ZERO, headCost: ZERO };
}

/**
 * Appends a lot. Appends in place when this state owns the array's tail, else copies its window.
 * @example pushLot(queue, { tradeId: 't-1', quantity: new Dec('10'), cost: new Dec('1001') })
 */
export function pushLot(queue: LotQueue, lot: Lot): LotQueue {
  if (queue.head === queue.end) return { items: [lot], head: 0, end: 1, headQuantity: lot.quantity, headCost: lot.cost };
  let { items, head, end } = queue;
  if (end !== items.length) {
    items = items.slice(head, end);
    end -= head;
    head = 0;
  }
  items.push(lot);
  return { items, head, end: end + 1, headQuantity: queue.headQuantity, headCost: queue.headCost };
}

/**
 * Removes `units` from the oldest lots and says what they cost. A lot split by the sale keeps the
 * rest of its cost in proportion to the units left.
 * @example takeLots(queue, new Dec('5')) // { queue: …, cost: Dec 500.5 }
 */
export function takeLots(queue: LotQueue, units: Decimal): { queue: LotQueue; cost: Decimal } {
  const { items, end } = queue;
  let { head, headQuantity, headCost } = queue;
  let left = units;
  let cost = ZERO;
  for (;;) {
    if (head >= end) throw new InvalidStateError('FIFO lots hold fewer units than the position; recompute the portfolio from its trades');
    const order = left.cmp(headQuantity);
    if (order < 0) {
      const part = headCost.mul(left).div(headQuantity);
      cost = cost.plus(part);
      headQuantity = headQuantity.minus(left);
      headCost = headCost.minus(part);
      break;
    }
    cost = cost.plus(headCost);
    left = left.minus(headQuantity);
    head += 1;
    const next = head < end ? items[head] : undefined;
    headQuantity = next ? next.quantity : ZERO;
    headCost = next ? next.cost : ZERO;
    if (order === 0) break;
  }
  if (head === end) return { queue: emptyQueue(), cost };
  if (head >= COMPACT_AFTER && head * 2 >= end) {
    return { queue: { items: items.slice(head, end), head: 0, end: end - head, headQuantity, headCost }, cost };
  }
  return { queue: { items, head, end, headQuantity, headCost }, cost };
}

/**
 * FIFO: a BUY opens a lot at its full cost (fees included); a SELL realizes against the oldest lots.
 * @example fifoStep(position, readFill(trade))
 */
export function fifoStep(position: PositionState, fill: Fill): PositionState {
  assertHolding(position, fill);
  const queue = position.lots ?? emptyQueue();
  if (fill.side === 'BUY') {
    return settle(position, fill, ZERO, pushLot(queue, { tradeId: fill.id, quantity: fill.units, cost: fill.cash }));
  }
  const taken = takeLots(queue, fill.units);
  return settle(position, fill, taken.cost, taken.queue);
}

/**
 * The open lots, oldest first, as strings.
 * @example lotsToJson(position.lots) // [{ tradeId: 't-2', quantity: '5', cost: '500.5' }, …]
 */
export function lotsToJson(queue: LotQueue): LotJson[] {
  const out: LotJson[] = [];
  for (let i = queue.head; i < queue.end; i++) {
    const lot = queue.items[i]!;
    const first = i === queue.head;
    out.push({
      tradeId: lot.tradeId,
      quantity: (first ? queue.headQuantity : lot.quantity).toString(),
      cost: (first ? queue.headCost : lot.cost).toString(),
    });
  }
  return out;
}

/**
 * Rebuilds a queue from `lotsToJson` output (already validated as decimal strings).
 * @example lotsFromJson([{ tradeId: 't-2', quantity: '5', cost: '500.5' }])
 */
export function lotsFromJson(lots: readonly LotJson[]): LotQueue {
  const items = lots.map((l) => ({ tradeId: l.tradeId, quantity: new Dec(l.quantity), cost: new Dec(l.cost) }));
  const first = items[0];
  if (!first) return emptyQueue();
  return { items, head: 0, end: items.length, headQuantity: first.quantity, headCost: first.cost };
}
