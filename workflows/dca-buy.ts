/**
 * One buy of a DCA plan, started by the plan's Temporal Schedule (`dca-<planId>`). It claims the
 * firing's buy (keyed by this workflow's id, which the schedule makes unique per firing: a rerun
 * finds the same buy and order id), sizes it from the latest price and the symbol's rules, and
 * places a MARKET BUY as an ordinary order lifecycle child. A buy that cannot be placed (below the
 * minimum quantity or notional, no price, unknown symbol) is recorded as skipped with the reason.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ActivityFailure, ChildWorkflowFailure, proxyActivities, setCurrentDetails, sleep, workflowInfo } from '@temporalio/workflow';
import type { DcaActivities } from '../activities/orders/dca-activities.js';
import { dcaQuantity, type DcaBuyInput } from '../domain/dca.js';
import type { OrderRequest, OrderState } from './definitions.js';
import { startChildOrder } from './lib/child-orders.js';
import { presets } from './presets.js';

export type { DcaBuyInput };

export interface DcaBuyOutcome {
  planId: string;
  /** This firing's workflow id: the key of its buy. */
  firingId: string;
  outcome: 'placed' | 'skipped' | 'not-active';
  buy?: number | undefined;
  orderId?: string | undefined;
  quantity?: string | undefined;
  price?: string | undefined;
  reason?: string | undefined;
  /** The order as it ended, or as it was when the firing stopped waiting for it. */
  order?: Pick<OrderState, 'status' | 'executedQty' | 'cumulativeQuoteQty'> | undefined;
}

const db = proxyActivities<DcaActivities>(presets.db);
/**
 * A venue read bounded to two minutes: a venue that keeps failing makes this buy skipped (and
 * says why) instead of holding the schedule, whose next firings would be skipped as overlaps.
 */
const venue = proxyActivities<DcaActivities>({ ...presets.exchangeRead, scheduleToCloseTimeout: '2m' });

export async function dcaBuy(input: DcaBuyInput): Promise<DcaBuyOutcome> {
  const firingId = workflowInfo().workflowId;
  const base = { planId: input.planId, firingId };
  const what = `${input.quoteAmount} of ${input.symbol} on ${input.venue}`;

  const claim = await db.claimDcaBuy.executeWithOptions({ summary: 'claim this firing’s buy (number, order id)' }, [{ planId: input.planId, firingId, quoteAmount: input.quoteAmount }]);
  if (!('seq' in claim)) {
    const reason = `the plan is ${claim.planStatus}: no buy`;
    setCurrentDetails(`**No buy**: ${reason}`);
    return { ...base, outcome: 'not-active', reason };
  }
  const buy = claim.seq;
  if (claim.status === 'SKIPPED') return skipped(claim.reason ?? 'skipped by an earlier run of this firing');

  let { quantity, price } = claim;
  if (claim.status === 'PENDING') {
    const terms = await venue.dcaMarketTerms
      .executeWithOptions({ summary: `price and rules of ${input.symbol} on ${input.venue}` }, [{ venue: input.venue, accountId: input.accountId, symbol: input.symbol }])
      .catch((err: unknown) => {
        if (!(err instanceof ActivityFailure)) throw err;
        return { ok: false as const, reason: `the venue did not give the price and rules: ${err.cause?.message ?? err.message}` };
      });
    const sizing = terms.ok ? dcaQuantity(input.quoteAmount, terms.price, terms.rules) : terms;
    if (!sizing.ok) {
      await db.settleDcaBuy.executeWithOptions({ summary: 'record the buy as skipped' }, [
        { planId: input.planId, firingId, status: 'SKIPPED', price: terms.ok ? terms.price : null, quantity: null, reason: sizing.reason },
      ]);
      return skipped(sizing.reason, terms.ok ? terms.price : undefined);
    }
    quantity = sizing.quantity;
    price = terms.ok ? terms.price : null;
    await db.settleDcaBuy.executeWithOptions({ summary: `record buy ${buy}: ${quantity} at ~${price}` }, [
      { planId: input.planId, firingId, status: 'PLACED', price, quantity, reason: null },
    ]);
  }
  // PLACED, now or by an earlier run of this firing: the same order id either way.
  const order: OrderRequest = {
    orderId: claim.orderId,
    accountId: input.accountId,
    venue: input.venue,
    symbol: input.symbol,
    side: 'BUY',
    type: 'MARKET',
    quantity: quantity!,
    parent: { kind: 'dca', id: input.planId, workflowId: firingId, role: `buy ${buy}` },
  };
  const placed = { ...base, outcome: 'placed' as const, buy, orderId: order.orderId, quantity: order.quantity, price: price ?? undefined };
  setCurrentDetails(`**Buy ${buy}**: MARKET BUY ${order.quantity} ${input.symbol} (${what}) · order \`${order.orderId}\` working`);
  let handle;
  try {
    handle = await startChildOrder(order, input.settings, `DCA buy ${buy}: MARKET BUY ${order.quantity} ${input.symbol} on ${input.venue} (plan ${input.planId})`);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    setCurrentDetails(`**Buy ${buy}**: order \`${order.orderId}\` was started by an earlier run of this firing; not placed again`);
    return { ...placed, reason: 'started by an earlier run of this firing' };
  }
  let ended: OrderState | undefined;
  try {
    ended = await Promise.race([handle.result(), sleep(input.waitForOrderMs, { summary: 'stop waiting for the order (it goes on)' }).then(() => undefined)]);
  } catch (err) {
    if (!(err instanceof ChildWorkflowFailure)) throw err;
    setCurrentDetails(`**Buy ${buy}**: order \`${order.orderId}\` workflow failed: ${err.cause?.message ?? err.message}`);
    return { ...placed, reason: `the order's workflow failed: ${err.cause?.message ?? err.message}` };
  }
  if (!ended) {
    setCurrentDetails(`**Buy ${buy}**: order \`${order.orderId}\` still working after ${input.waitForOrderMs / 1000} s; follow it in the API`);
    return placed;
  }
  const summary = { status: ended.status, executedQty: ended.executedQty, cumulativeQuoteQty: ended.cumulativeQuoteQty };
  setCurrentDetails(`**Buy ${buy}**: order \`${order.orderId}\` **${ended.status}**, ${ended.executedQty} ${input.symbol} for ${ended.cumulativeQuoteQty}`);
  return { ...placed, order: summary };

  function skipped(reason: string, px?: string): DcaBuyOutcome {
    setCurrentDetails(`**Buy ${buy} skipped** (${what}): ${reason}`);
    return { ...base, outcome: 'skipped', buy, reason, price: px };
  }
}
