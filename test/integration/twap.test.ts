import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sliceOrderId } from '../../domain/twap.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { recordHistory } from '../helpers/histories.js';
import { waitFor } from '../helpers/wait.js';

// Symbols of this file only, so prices set here move no other file's orders.
const SYM = 'TWAPUSDT';
const SYM2 = 'TWAPBUSDT';

let e: TestEngine;
beforeAll(async () => {
  e = await startEngine();
  await e.setPrice(SYM, '100');
  await e.setPrice(SYM2, '10');
});
afterAll(() => e.stop());

const start = (body: Record<string, unknown>) => e.call('POST', '/v1/twap-orders', { venue: 'paper', symbol: SYM, side: 'BUY', ...body });
const read = async (id: string) => (await e.call('GET', `/v1/twap-orders/${id}`)).body;
const waitForTwap = (id: string, statuses: string[], timeoutMs = 60_000) =>
  waitFor(() => read(id), (t) => statuses.includes(t?.status), { timeoutMs, everyMs: 250, what: `TWAP ${id} to reach ${statuses.join('|')}` });
const sliceRows = (id: string) => e.sql<{ id: string; status: string; executed_qty: string; parent_role: string }[]>`
  SELECT id, status, executed_qty::text, parent_role FROM orders WHERE parent_kind = 'twap' AND parent_id = ${id} ORDER BY parent_role`;

describe('TWAP orders on the paper venue', () => {
  it('places each of N slices exactly once over the horizon, all FILLED, with its progress and links both ways', async () => {
    const res = await start({ quantity: '1', slices: 5, durationSeconds: 5 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'RUNNING', slices: 5, quantity: '1', workflowId: `twap-${res.body.id}` });
    const twap = await waitForTwap(res.body.id, ['COMPLETED']);
    expect(twap.filledQty).toBe('1');
    expect(twap.remainingQty).toBe('0');
    expect(twap.slicesStarted).toBe(5);
    // Paper fills at 100 plus 5 bps of slippage.
    expect(twap.averagePrice).toBe('100.05');
    expect(twap.cumulativeQuoteQty).toBe('100.05');
    expect(twap.sliceList.map((s: { index: number; quantity: string; status: string }) => [s.index, s.quantity, s.status])).toEqual([1, 2, 3, 4, 5].map((i) => [i, '0.2', 'FILLED']));
    // One order per slice, named by the TWAP's id and the index, each pointing back at its parent.
    const rows = await sliceRows(res.body.id);
    expect(rows.map((r) => r.id).sort()).toEqual([0, 1, 2, 3, 4].map((i) => sliceOrderId(res.body.id, i)).sort());
    const slice = twap.sliceList[2];
    expect(slice.links.order).toBe(`/v1/orders/${slice.orderId}`);
    const sliceOrder = (await e.call('GET', slice.links.order)).body;
    expect(sliceOrder.status).toBe('FILLED');
    expect(sliceOrder.parent).toMatchObject({ kind: 'twap', id: res.body.id, role: 'slice 3 of 5', self: `/v1/twap-orders/${res.body.id}` });
    // In Temporal: each slice is a child of the TWAP's workflow.
    const child = await e.temporal.workflow.getHandle(`order-${slice.orderId}`).describe();
    expect(child.parentExecution?.workflowId).toBe(`twap-${res.body.id}`);
    // Slices start on schedule, one second apart.
    const started = twap.sliceList.map((s: { startedAt: string; scheduledAt: string }) => Date.parse(s.startedAt) - Date.parse(s.scheduledAt));
    for (const lateness of started) expect(lateness).toBeLessThan(1000);
    const listed = await e.call('GET', '/v1/twap-orders');
    expect(listed.body.data.map((t: { id: string }) => t.id)).toContain(res.body.id);
    await recordHistory(e.temporal, `twap-${res.body.id}`, 'twap-paper-completed');
  });

  it('refuses with a 422 that names the rule: slice count, horizon, minimum notional, LIMIT price', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ quantity: '1', slices: 1, durationSeconds: 60 }, /slices/],
      [{ quantity: '1', slices: 1001, durationSeconds: 6000 }, /slices/],
      [{ quantity: '1', slices: 10, durationSeconds: 5 }, /horizon too short/],
      [{ quantity: '1', slices: 10, durationSeconds: 8 * 86_400 }, /horizon longer/],
      [{ quantity: '0.05', slices: 10, durationSeconds: 60 }, /a TWAP slice below the minimum notional/],
      [{ quantity: '1', slices: 10, durationSeconds: 60, sliceType: 'LIMIT' }, /limitPrice: is required/],
      [{ quantity: '1', slices: 10, durationSeconds: 60, endAt: new Date(Date.now() + 60_000).toISOString() }, /exactly one of endAt and durationSeconds/],
    ];
    for (const [body, message] of cases) {
      const res = await start(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error.message).toMatch(message);
    }
  });

  it('pauses (no new slice starts), resumes over the rest of the horizon, and completes', async () => {
    const res = await start({ symbol: SYM2, quantity: '10', slices: 4, durationSeconds: 8 });
    await waitFor(() => read(res.body.id), (t) => t.slicesStarted >= 1, { what: 'the first slice' });
    const paused = await e.call('POST', `/v1/twap-orders/${res.body.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('PAUSED');
    const startedWhenPaused = paused.body.slicesStarted;
    expect((await e.call('POST', `/v1/twap-orders/${res.body.id}/pause`)).status).toBe(409);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await read(res.body.id)).slicesStarted).toBe(startedWhenPaused);
    const resumed = await e.call('POST', `/v1/twap-orders/${res.body.id}/resume`, { endAt: new Date(Date.now() + 6000).toISOString() });
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('RUNNING');
    const done = await waitForTwap(res.body.id, ['COMPLETED']);
    expect(done.filledQty).toBe('10');
    expect((await sliceRows(res.body.id)).length).toBe(4);
  });

  it('amends the quantity still to place: the slices left share it', async () => {
    const res = await start({ symbol: SYM2, quantity: '8', slices: 4, durationSeconds: 8 });
    await waitFor(() => read(res.body.id), (t) => t.sliceList.length === 1 && t.sliceList[0].status === 'FILLED', { what: 'the first slice filled' });
    const bad = await e.call('PATCH', `/v1/twap-orders/${res.body.id}`, { remainingQuantity: '0.1' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.message).toMatch(/a TWAP slice below the minimum notional/);
    const amended = await e.call('PATCH', `/v1/twap-orders/${res.body.id}`, { remainingQuantity: '3' });
    expect(amended.status).toBe(200);
    expect(amended.body.targetQuantity).toBe('5');
    const done = await waitForTwap(res.body.id, ['COMPLETED']);
    expect(done.filledQty).toBe('5');
    expect(done.sliceList.map((s: { quantity: string }) => s.quantity)).toEqual(['2', '1', '1', '1']);
    await recordHistory(e.temporal, `twap-${res.body.id}`, 'twap-paper-amended');
  });

  it('cancels: no more slices, a resting LIMIT slice is cancelled on the venue, and what filled stays', async () => {
    // LIMIT slices below the market rest until the next slice's time.
    const res = await start({ symbol: SYM2, quantity: '6', slices: 3, durationSeconds: 30, sliceType: 'LIMIT', limitPrice: '9' });
    const first = await waitFor(() => read(res.body.id), (t) => t.sliceList[0]?.status === 'NEW', { what: 'the first slice resting' });
    const cancel = await e.call('POST', `/v1/twap-orders/${res.body.id}/cancel`, { reason: 'test' });
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('CANCELED');
    expect(cancel.body.reason).toBe('test');
    expect(cancel.body.filledQty).toBe('0');
    expect((await e.call('GET', `/v1/orders/${first.sliceList[0].orderId}`)).body.status).toBe('CANCELED');
    expect((await sliceRows(res.body.id)).length).toBe(1);
    expect((await e.call('POST', `/v1/twap-orders/${res.body.id}/cancel`)).status).toBe(409);
    await recordHistory(e.temporal, `twap-${res.body.id}`, 'twap-paper-limit-canceled');
  });

  // A restart can cost the TWAP and its slices a workflow task the old worker polled but never
  // completed (10 s to time out each) or an activity whose completion it never reported (up to
  // the 15 s or 30 s start-to-close): this test is about slices, not speed, so it waits 150 s.
  it('loses and doubles no slice when the worker restarts mid-run', async () => {
    const res = await start({ quantity: '2', slices: 8, durationSeconds: 8 });
    await waitFor(() => read(res.body.id), (t) => t.slicesStarted >= 2, { what: 'two slices' });
    await e.restartWorkers();
    const done = await waitForTwap(res.body.id, ['COMPLETED'], 150_000);
    expect(done.filledQty).toBe('2');
    const rows = await sliceRows(res.body.id);
    expect(rows).toHaveLength(8);
    expect(new Set(rows.map((r) => r.parent_role)).size).toBe(8);
    expect(rows.every((r) => r.status === 'FILLED')).toBe(true);
    const paperOrders = await e.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM paper_orders WHERE client_order_id IN ${e.sql(rows.map((r) => `dt-${r.id.replaceAll('-', '')}`))}`;
    expect(paperOrders[0]!.n).toBe(8);
  }, 180_000);

  it("answers 404 for another account's TWAP, on every route", async () => {
    const res = await start({ quantity: '1', slices: 2, durationSeconds: 2 });
    const other = await e.newAccount();
    const id = res.body.id;
    for (const [method, path, body] of [
      ['GET', `/v1/twap-orders/${id}`],
      ['POST', `/v1/twap-orders/${id}/pause`],
      ['POST', `/v1/twap-orders/${id}/resume`],
      ['POST', `/v1/twap-orders/${id}/cancel`],
      ['PATCH', `/v1/twap-orders/${id}`, { remainingQuantity: '1' }],
    ] as const) {
      const reply = await e.callAs(other, method, path, body);
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(reply.body.error.code).toBe('twap_not_found');
    }
    expect((await e.callAs(other, 'GET', '/v1/twap-orders')).body.data).toEqual([]);
    await waitForTwap(id, ['COMPLETED']);
  });
});
