/**
 * The reconciler's restart input for an order row: a leg an order list placed on the venue is
 * tracked from there, never validated or submitted again; a plain RECEIVED order starts afresh.
 */
import { describe, expect, it } from 'vitest';
import { lifecycleInputFrom, type RestartableRow } from '../../activities/reconcile/restart.js';

const settings = { pollMaxMs: 1000, notFoundWindowMs: 1000, maxSubmitAttempts: 3, pollsPerRun: 100 };
const base: RestartableRow = {
  id: '0b6f3c1e-5d2a-4c1b-9f0e-6a7d8c9b0a12',
  account_id: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  portfolio_id: null,
  venue: 'binance',
  symbol: 'ETHUSDT',
  side: 'SELL',
  type: 'LIMIT_MAKER',
  time_in_force: null,
  quantity: '1',
  price: '2100',
  stop_price: null,
  status: 'RECEIVED',
  client_order_id: 'dt-0b6f3c1e5d2a4c1b9f0e6a7d8c9b0a12',
  exchange_order_id: null,
  executed_qty: '0',
  cumulative_quote_qty: '0',
  reject_code: null,
  reject_reason: null,
  workflow_id: 'order-0b6f3c1e-5d2a-4c1b-9f0e-6a7d8c9b0a12',
  credentials_source: 'environment',
  expire_at: null,
  parent_kind: null,
  parent_id: null,
  parent_role: null,
  trailing_delta: null,
  created_at: new Date('2026-12-03T10:00:00Z'),
  updated_at: new Date('2026-12-03T10:00:00Z'),
  event_seq: 1,
};

describe('lifecycleInputFrom', () => {
  it('starts a RECEIVED order of its own afresh (validated, then submitted after a look on the venue)', () => {
    expect(lifecycleInputFrom(base, settings)).toEqual({ order: expect.objectContaining({ orderId: base.id }), settings });
  });

  it("tracks a list's leg from the venue: resumed with a look now, never submitted, its parent kept", () => {
    const leg = { ...base, parent_kind: 'order-list', parent_id: '7d1f0c2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f', parent_role: 'take-profit', exchange_order_id: '42' };
    const input = lifecycleInputFrom(leg, settings);
    expect(input.resume).toMatchObject({ status: 'RECEIVED', exchangeOrderId: '42', eventSeq: 1, credentials: 'environment' });
    expect(input.events).toEqual([{ kind: 'check', reason: expect.any(String) }]);
    expect(input.order.parent).toEqual({ kind: 'order-list', id: leg.parent_id, workflowId: `order-list-${leg.parent_id}`, role: 'take-profit' });
  });
});
