/**
 * One order list, an OCO or a bracket, from placement to its last leg's end. The venue holds the
 * list (Binance's orderList/oco and orderList/otoco, the paper venue's OCO), so one leg's fill
 * cancels the other there, atomically; each leg is then tracked by the ordinary order workflow as
 * a child, adopted with the venue's order id, so every exactly-once guarantee holds per leg.
 *
 * A paper bracket is emulated: the entry is an ordinary child order, and once it ends the
 * protective OCO is placed for what it actually filled (none if nothing filled).
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { Decimal } from 'decimal.js';
import type { OrderListActivities, OrderListSnapshot, LegToRecord } from '../activities/orders/order-list-activities.js';
import type { OrderListLeg, PlaceOrderListRequest } from '../domain/exchange.js';
import { listClientOrderIdFor, ocoRequest, otocoRequest, protectiveSide, roleOf, type LegRole, type OrderListInput, type OrderListState, type OrderListStatus } from '../domain/order-lists.js';
import { cancelOrderListUpdate, clientOrderIdFor, isTerminal, orderListStatusQuery, orderWorkflowId, venueEventSignal, type OrderRequest, type OrderStatus } from './definitions.js';
import { startChildOrder } from './lib/child-orders.js';
import type { orderLifecycleV3 } from './order-lifecycle.js';
import { failureOf, messageOf, rejectionOf } from './order-steps.js';
import { presets } from './presets.js';

const submit = proxyActivities<OrderListActivities>(presets.exchangeSubmit);
const read = proxyActivities<OrderListActivities>(presets.exchangeRead);
const cancels = proxyActivities<OrderListActivities>(presets.exchangeCancel);
const db = proxyLocalActivities<OrderListActivities>(presets.db);

/** How long placement waits out the venue's rate limit before the list is REJECTED, never placed. */
const BUSY_LIMIT_MS = 120_000;

export async function orderList({ list, settings }: OrderListInput): Promise<OrderListState> {
  const workflowId = workflowInfo().workflowId;
  const ref = { listId: list.listId, accountId: list.accountId, venue: list.venue, symbol: list.symbol, listClientOrderId: listClientOrderIdFor(list.listId) };
  const state: OrderListState = { listId: list.listId, status: 'RECEIVED', listClientOrderId: ref.listClientOrderId, legs: [] };
  const children = new Map<string, ChildWorkflowHandle<typeof orderLifecycleV3> | undefined>();
  let credentials: 'stored' | 'environment' | undefined;
  let cancelReason: string | undefined;
  /** What is being waited on: the entry, then the protective pair. */
  let phase: 'placing' | 'entry' | 'pair' = 'placing';
  /** The phase a cancel was last sent for: a cancel racing the entry's fill is sent again for the pair. */
  let cancelSentFor: 'placing' | 'entry' | 'pair' | undefined;
  /** The venue's refusal of the last cancel, for the Update that asked for it. */
  let cancelRefused: string | undefined;
  let done = false;

  function tell() {
    const legs = state.legs.map((l) => `${l.role}: ${l.status ?? 'placed'}${l.executedQty && l.executedQty !== '0' ? ` (filled ${l.executedQty})` : ''}`);
    setCurrentDetails(
      [
        `**${list.kind} ${state.status}** · ${list.side} ${list.quantity} ${list.symbol} on ${list.venue}`,
        list.entry ? `entry ${list.entry.price} · take-profit ${list.takeProfit.price} · stop ${list.stopLoss.stopPrice ?? 'trailing'}${list.stopLoss.trailingDelta ? ` (trailing ${list.stopLoss.trailingDelta} bps)` : ''}` : `take-profit ${list.takeProfit.price} · stop ${list.stopLoss.stopPrice ?? 'trailing'}${list.stopLoss.trailingDelta ? ` (trailing ${list.stopLoss.trailingDelta} bps)` : ''}`,
        state.protectedQty ? `protective pair sized to the filled ${state.protectedQty}` : '',
        ...legs,
        state.rejectReason ? `rejected: ${state.rejectReason}` : '',
        state.cancelRequested && !done ? 'cancel requested' : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  }

  async function setStatus(status: OrderListStatus, extra: { rejectReason?: string } = {}) {
    state.status = status;
    if (extra.rejectReason) state.rejectReason = extra.rejectReason;
    tell();
    await db.recordOrderListStatus({ listId: list.listId, status, exchangeListId: state.exchangeListId, rejectReason: extra.rejectReason });
  }

  CancellationScope.current().cancelRequested.catch(() => {
    state.cancelRequested = true;
  });
  setHandler(orderListStatusQuery, () => state);
  setHandler(
    cancelOrderListUpdate,
    (request) =>
      CancellationScope.nonCancellable(async () => {
        state.cancelRequested = true;
        cancelReason = request.reason;
        cancelRefused = undefined;
        tell();
        await condition(() => done || cancelRefused !== undefined);
        if (!done && cancelRefused !== undefined) throw ApplicationFailure.create({ type: 'CancelFailed', nonRetryable: true, message: `The venue did not cancel the ${list.kind}: ${cancelRefused}` });
        return state;
      }),
    {
      validator: (_request) => {
        if (done) throw new Error(`The ${list.kind} is already ${state.status}; there is nothing to cancel`);
        if (state.cancelRequested) throw new Error(`A cancel of this ${list.kind} is already in progress`);
      },
    },
  );

  /** The leg as an order of ours: the list's symbol, the leg's side and terms. */
  function legOrder(role: LegRole, leg: OrderListLeg | undefined, side: OrderRequest['side'], quantity: string): OrderRequest {
    const orderId = role === 'entry' ? list.legIds.entry! : role === 'take-profit' ? list.legIds.takeProfit : list.legIds.stopLoss;
    const base = { orderId, accountId: list.accountId, venue: list.venue, symbol: list.symbol, side, quantity, parent: { kind: 'order-list' as const, id: list.listId, workflowId, role } };
    if (role === 'entry') return { ...base, type: 'LIMIT', price: list.entry!.price, timeInForce: list.entry!.timeInForce ?? 'GTC' };
    return { ...base, type: leg!.type, price: leg!.price, stopPrice: leg!.stopPrice, timeInForce: leg!.timeInForce, trailingDelta: leg!.trailingDelta };
  }

  /**
   * Places the list; returns what the venue holds, or undefined when it was refused (REJECTED) or
   * cancelled before the venue ever had it (CANCELED). `refused` words a refusal for the user.
   */
  async function place(request: PlaceOrderListRequest, refused: (reason: string) => string = (r) => r): Promise<OrderListSnapshot | undefined> {
    await setStatus('PENDING_NEW');
    const firstAttemptAt = Date.now();
    let attempts = 0;
    for (;;) {
      let failure: ReturnType<typeof failureOf>;
      const sentAt = Date.now();
      try {
        const result = await submit.submitOrderList.executeWithOptions({ summary: `place the ${list.kind} on ${list.venue}` }, [{ ref, request }]);
        credentials = result.credentials;
        return result.list;
      } catch (err) {
        const rejection = rejectionOf(err);
        if (rejection) {
          await setStatus('REJECTED', { rejectReason: refused(`${rejection.reason} (${rejection.code})`) });
          return undefined;
        }
        failure = failureOf(err);
      }
      if (failure.type === 'ExchangeBusy' && Date.now() + failure.retryAfterMs - firstAttemptAt <= BUSY_LIMIT_MS) {
        await sleep(failure.retryAfterMs, { summary: "wait out the venue's rate limit" });
        continue;
      }
      if (failure.type === 'ExchangeBusy' || (failure.type === 'ExchangeUnavailable' && ++attempts >= settings.maxSubmitAttempts)) {
        await setStatus('REJECTED', { rejectReason: refused(`The venue refused the list before it reached the matching engine (last: ${failure.message}); nothing was placed. Submit it again later.`) });
        return undefined;
      }
      if (failure.type === 'ExchangeUnavailable') {
        await sleep(Math.min(1000 * 2 ** (attempts - 1), 30_000), { summary: 'wait, then submit the list again (nothing placed)' });
        continue;
      }
      // No clear answer: only the venue's own answer settles it.
      let found: Awaited<ReturnType<typeof lookFor>>;
      try {
        found = await lookFor(failure.message, sentAt);
      } catch (err) {
        const rejection = rejectionOf(err);
        if (!rejection) throw err;
        await setStatus('REJECTED', { rejectReason: refused(`${rejection.reason} (${rejection.code})`) });
        return undefined;
      }
      if (found === 'canceled') {
        await setStatus('CANCELED');
        return undefined;
      }
      if (found !== 'resend') return found;
    }
  }

  /**
   * Looks for a list whose placement had no clear answer until the venue shows it. Binance refuses
   * a request later than its recvWindow (at most 60 s), so a list no view of the venue has shown
   * for ten not-found windows and a minute past its POST was never received: it is sent again, or,
   * if a cancel was asked meanwhile, the list ends CANCELED without reaching the venue. The paper
   * venue places in one keyed transaction, so there "not there" after the window is proof.
   */
  async function lookFor(why: string, sentAt: number): Promise<OrderListSnapshot | 'resend' | 'canceled'> {
    await setStatus('UNKNOWN');
    let wait = 500;
    const settleAfter = list.venue === 'paper' ? settings.notFoundWindowMs : Math.max(10 * settings.notFoundWindowMs, 60_000);
    for (;;) {
      const found = await read.findOrderList.executeWithOptions({ summary: `look for the ${list.kind} on ${list.venue} (${why})` }, [ref]);
      if (found) return found;
      if (Date.now() - sentAt >= settleAfter) {
        const last = await read.releaseUnseenList.executeWithOptions({ summary: 'settle a placement the venue never showed' }, [ref]);
        if (last) return last;
        return state.cancelRequested ? 'canceled' : 'resend';
      }
      await sleep(wait, { summary: 'wait, then look for the list again' });
      wait = Math.min(wait * 2, settings.pollMaxMs);
    }
  }

  /** Records the legs the venue shows and adopts each into its own order workflow. */
  async function adopt(snap: OrderListSnapshot, roles: LegRole[], side: OrderRequest['side'], quantity: string, legs: Partial<Record<LegRole, OrderListLeg>>) {
    state.exchangeListId = snap.orderListId;
    const toRecord: LegToRecord[] = [];
    for (const leg of snap.legs) {
      const role = roleOf(list, leg.clientOrderId);
      if (!role || !roles.includes(role)) continue;
      const order = legOrder(role, legs[role], role === 'entry' ? list.side : side, quantity);
      toRecord.push({ order, exchangeOrderId: leg.exchangeOrderId });
    }
    await db.recordOrderListLegs({ listId: list.listId, legs: toRecord });
    for (const { order, exchangeOrderId } of toRecord) {
      const role = order.parent!.role as LegRole;
      state.legs.push({ role, orderId: order.orderId });
      try {
        const handle = await startChildOrder(order, settings, `${list.kind} ${role}: ${order.side} ${order.quantity} ${order.symbol} (${order.type})`, {
          resume: { orderId: order.orderId, status: 'RECEIVED', clientOrderId: clientOrderIdFor(order.orderId), exchangeOrderId, executedQty: '0', cumulativeQuoteQty: '0', eventSeq: 1, credentials, submittedAtMs: Date.now() },
          events: [{ kind: 'check', reason: `placed with ${list.kind} ${list.listId}` }],
        });
        children.set(order.orderId, handle);
      } catch (err) {
        // Already started (the reconciler found the recorded leg first): followed through our records.
        children.set(order.orderId, undefined);
      }
    }
    if (state.status !== 'WORKING') await setStatus('WORKING');
    tell();
  }

  /** Sends what still works a cancel: the entry's own workflow, or the whole list on the venue. */
  async function cancelWorking() {
    cancelSentFor = phase;
    const reason = cancelReason ?? 'cancel requested';
    if (phase === 'entry') {
      await getExternalWorkflowHandle(orderWorkflowId(list.legIds.entry!)).cancel();
      return;
    }
    if (phase === 'pair') {
      try {
        await cancels.cancelOrderList.executeWithOptions({ summary: `cancel the ${list.kind}'s pair on ${list.venue} (${reason})` }, [ref]);
      } catch (err) {
        // Refused (a revoked key, say): the Update says why, and the pair keeps working.
        cancelRefused = messageOf(err);
        state.cancelRequested = false;
        cancelSentFor = undefined;
        tell();
        return;
      }
      // The legs hear of it by their venue's events too; this makes them look now.
      for (const leg of state.legs.filter((l) => l.role !== 'entry' && !isTerminal((l.status ?? 'NEW') as OrderStatus))) {
        await getExternalWorkflowHandle(orderWorkflowId(leg.orderId))
          .signal(venueEventSignal, { kind: 'check', reason: `the ${list.kind} was cancelled` })
          .catch(() => undefined);
      }
    }
  }

  /** Waits for every given leg to end; a cancel asked meanwhile is carried out once. */
  async function settle(orderIds: string[]): Promise<Map<string, { status: string; executedQty: string }>> {
    const ended = new Map<string, { status: string; executedQty: string }>();
    const failed = new Set<string>();
    for (const id of orderIds) {
      const handle = children.get(id);
      if (!handle) failed.add(id);
      else handle.result().then((r) => ended.set(id, { status: r.status, executedQty: r.executedQty }), () => failed.add(id));
    }
    const cancelDue = () => state.cancelRequested === true && cancelSentFor !== phase;
    /** How long until our records are read again for a leg followed only through them (backs off to 5 min). */
    let recheck = 5000;
    for (;;) {
      const open = () => orderIds.filter((id) => !ended.has(id));
      const woke = await condition(() => open().every((id) => failed.has(id)) || cancelDue(), failed.size > 0 ? recheck : undefined);
      if (cancelDue()) {
        await cancelWorking();
        continue;
      }
      if (open().length === 0) break;
      // A leg that ended in failure (or that we follow only through our records) is read from them.
      const looking = open().filter((id) => failed.has(id));
      if (looking.length > 0) {
        for (const p of await db.orderProgress({ orderIds: looking })) if (isTerminal(p.status as OrderStatus)) ended.set(p.orderId, p);
        if (open().length === 0) break;
        if (woke) await condition(cancelDue, recheck);
        recheck = Math.min(recheck * 2, 300_000);
      }
    }
    for (const leg of state.legs) {
      const end = ended.get(leg.orderId);
      if (end) Object.assign(leg, end);
    }
    tell();
    return ended;
  }

  return CancellationScope.nonCancellable(async () => {
    tell();
    await db.recordOrderListReceived({ list, workflowId });
    const pairSide = protectiveSide(list);
    const pair = (quantity: string) => ocoRequest(list, quantity);
    const pairLegs = (req: { above: OrderListLeg; below: OrderListLeg }): Partial<Record<LegRole, OrderListLeg>> => {
      const tpFirst = roleOf(list, req.above.clientOrderId) === 'take-profit';
      return { 'take-profit': tpFirst ? req.above : req.below, 'stop-loss': tpFirst ? req.below : req.above };
    };
    let filledPair = false;

    if (state.cancelRequested) {
      await setStatus('CANCELED');
    } else if (list.kind === 'OCO') {
      const request = pair(list.quantity);
      const placed = await place(request);
      if (placed) {
        phase = 'pair';
        await adopt(placed, ['take-profit', 'stop-loss'], pairSide, list.quantity, pairLegs(request));
        filledPair = [...(await settle([list.legIds.takeProfit, list.legIds.stopLoss])).values()].some((l) => l.status === 'FILLED');
      }
    } else if (list.venue === 'binance') {
      // Native bracket: Binance places the pair itself once the entry has fully filled.
      const request = otocoRequest(list);
      const placed = await place(request);
      if (placed) {
        phase = 'entry';
        await adopt(placed, ['entry'], pairSide, list.quantity, {});
        const entry = (await settle([list.legIds.entry!])).get(list.legIds.entry!);
        if (entry?.status === 'FILLED') {
          phase = 'pair';
          state.protectedQty = list.quantity;
          const live = await pairOnVenue();
          await adopt(live, ['take-profit', 'stop-loss'], pairSide, list.quantity, pairLegs(request.pending));
          filledPair = [...(await settle([list.legIds.takeProfit, list.legIds.stopLoss])).values()].some((l) => l.status === 'FILLED');
        }
      }
    } else {
      // Emulated bracket: the entry is an ordinary order; the pair protects what it filled.
      phase = 'entry';
      await setStatus('WORKING');
      const entryOrder = legOrder('entry', undefined, list.side, list.quantity);
      state.legs.push({ role: 'entry', orderId: entryOrder.orderId });
      try {
        children.set(entryOrder.orderId, await startChildOrder(entryOrder, settings, `BRACKET entry: ${list.side} ${list.quantity} ${list.symbol} at ${list.entry!.price}`));
      } catch {
        children.set(entryOrder.orderId, undefined);
      }
      const entry = (await settle([entryOrder.orderId])).get(entryOrder.orderId);
      const filled = new Decimal(entry?.executedQty ?? 0);
      if (filled.gt(0) && !state.cancelRequested) {
        phase = 'placing';
        state.protectedQty = filled.toString();
        const request = pair(filled.toString());
        const placed = await place(request, (why) => `the entry filled ${filled.toString()}, but the protective pair was refused: ${why}. The position is open and unprotected: protect or close it yourself`);
        if (placed) {
          phase = 'pair';
          await adopt(placed, ['take-profit', 'stop-loss'], pairSide, filled.toString(), pairLegs(request));
          filledPair = [...(await settle([list.legIds.takeProfit, list.legIds.stopLoss])).values()].some((l) => l.status === 'FILLED');
        }
      }
    }

    if (state.status !== 'REJECTED' && state.status !== 'CANCELED') await setStatus(state.cancelRequested && !filledPair ? 'CANCELED' : 'ALL_DONE');
    done = true;
    tell();
    return state;
  });

  /** A native bracket's pair once Binance has placed it (its legs leave PENDING_NEW after the entry's full fill). */
  async function pairOnVenue(): Promise<OrderListSnapshot> {
    let wait = 500;
    for (;;) {
      const found = await read.findOrderList.executeWithOptions({ summary: 'read the bracket: is its protective pair on the book?' }, [ref]);
      const legs = found?.legs.filter((l) => roleOf(list, l.clientOrderId) !== 'entry') ?? [];
      if (found && legs.length === 2 && legs.every((l) => l.status !== 'PENDING_NEW')) return found;
      if (found?.listOrderStatus === 'ALL_DONE' && legs.length === 2) return found;
      await sleep(wait, { summary: 'wait for the venue to place the protective pair' });
      wait = Math.min(wait * 2, settings.pollMaxMs);
    }
  }
}
