/**
 * What an order shows in the Temporal Web UI and CLI: its search attributes (filters in the UI and
 * `temporal workflow list --query`), its static summary and details, its current details, the
 * summaries of its activities and timers, and the links the API gives to find it.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client } from '@temporalio/client';
import { ORDER_SEARCH_ATTRIBUTES, ORDER_WORKFLOW_TYPE } from '../../domain/order-search.js';
import { historyFixture } from '../../lib/history-codec.js';
import { ensureSearchAttributes } from '../../lib/temporal.js';
import { payloadCodecFor } from '../../lib/secrets.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';

let e: TestEngine;
const A = `UI${randomUUID().slice(0, 6).toUpperCase()}USDT`;
const B = `UJ${randomUUID().slice(0, 6).toUpperCase()}USDT`;
let resting: { id: string; links: { temporalUi: string; temporalUiOrders: string } };
let filled: { id: string };
let other: { id: string };

beforeAll(async () => {
  e = await startEngine();
  await e.setPrice(A, '100');
  await e.setPrice(B, '100');
  resting = (await e.call('POST', '/v1/orders', { symbol: A, side: 'BUY', type: 'LIMIT', quantity: '0.5', price: '50', venue: 'paper' })).body;
  filled = (await e.call('POST', '/v1/orders', { symbol: A, side: 'BUY', type: 'MARKET', quantity: '0.25', venue: 'paper' })).body;
  other = (await e.call('POST', '/v1/orders', { symbol: B, side: 'BUY', type: 'LIMIT', quantity: '1', price: '50', venue: 'paper' })).body;
  await e.waitForStatus(resting.id, ['NEW']);
  await e.waitForStatus(filled.id, ['FILLED']);
  await e.waitForStatus(other.id, ['NEW']);
}, 60_000);
afterAll(() => e.stop());

const idsOf = async (query: string) => {
  const ids: string[] = [];
  for await (const w of e.temporal.workflow.list({ query })) ids.push(w.workflowId);
  return ids.sort();
};

describe('search attributes', () => {
  it('finds the orders by status and symbol through the client, as the UI filter does', async () => {
    const newOfA = await waitFor(() => idsOf(`OrderStatus="NEW" AND Symbol="${A}"`), (ids) => ids.length > 0, { what: 'visibility' });
    expect(newOfA).toEqual([`order-${resting.id}`]);
    expect(await waitFor(() => idsOf(`OrderStatus="FILLED" AND Symbol="${A}"`), (ids) => ids.length > 0, { what: 'visibility' })).toEqual([`order-${filled.id}`]);
    const mine = await idsOf(`AccountId="${e.account.id}" AND Side="BUY" AND OrderType="LIMIT" AND Venue="paper"`);
    expect(mine).toEqual([`order-${resting.id}`, `order-${other.id}`].sort());
    const [row] = await e.sql<{ client_order_id: string }[]>`SELECT client_order_id FROM orders WHERE id = ${filled.id}`;
    expect(await idsOf(`ClientOrderId="${row!.client_order_id}"`)).toEqual([`order-${filled.id}`]);
  });

  it('finds them with `temporal workflow list --query` too', async () => {
    const out = execFileSync(
      inject('temporalBinary'),
      ['workflow', 'list', '--address', inject('temporalAddress'), '--namespace', e.config.TEMPORAL_NAMESPACE, '--query', `OrderStatus="NEW" AND Symbol="${A}"`, '--output', 'json'],
      { encoding: 'utf8' },
    );
    const listed = (JSON.parse(out) as Array<{ execution: { workflowId: string } }>).map((w) => w.execution.workflowId);
    expect(listed).toEqual([`order-${resting.id}`]);
  });
});

describe('registration on a namespace that lacks them (a cluster)', () => {
  it('adds every order search attribute once, and nothing the second time', async () => {
    const namespace = `ui-story-${randomUUID().slice(0, 8)}`;
    execFileSync(inject('temporalBinary'), ['operator', 'namespace', 'create', '--address', inject('temporalAddress'), '--namespace', namespace]);
    const client = new Client({ connection: e.temporal.connection, namespace });
    const added = await waitFor(
      () => ensureSearchAttributes(client, namespace).catch((err: Error) => err),
      (r) => Array.isArray(r),
      { what: 'the new namespace', timeoutMs: 20_000, everyMs: 500 },
    );
    expect(added).toEqual([...ORDER_SEARCH_ATTRIBUTES]);
    expect(await ensureSearchAttributes(client, namespace)).toEqual([]);
    const { customAttributes } = await e.temporal.connection.operatorService.listSearchAttributes({ namespace });
    for (const name of ORDER_SEARCH_ATTRIBUTES) expect(customAttributes?.[name], name).toBeDefined();
  });
});

describe('user metadata', () => {
  it('starts each order with a one-line summary and the request as details', async () => {
    const description = await e.temporal.workflow.getHandle(`order-${resting.id}`).describe();
    expect(await description.staticSummary()).toBe(`BUY 0.5 ${A} LIMIT 50 · paper`);
    const details = await description.staticDetails();
    expect(details).toContain(`| symbol | \`${A}\` |`);
    expect(details).toContain('| quantity | `0.5` |');
  });

  it('keeps the current details up to date: status, fill and average price', async () => {
    const meta = await e.temporal.workflow.getHandle(`order-${filled.id}`).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(meta.currentDetails).toMatch(new RegExp(`^\\*\\*FILLED\\*\\* · filled 0\\.25\\d* of 0\\.25 ${A} · average price \\d`));
    const resting_ = await e.temporal.workflow.getHandle(`order-${resting.id}`).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(resting_.currentDetails).toMatch(/^\*\*NEW\*\* · filled 0 of 0\.5 .* · average price —/);
  });

  it('gives its activities and timers a summary', async () => {
    const history = await e.temporal.workflow.getHandle(`order-${resting.id}`).fetchHistory();
    const tree = JSON.parse(await historyFixture(history, payloadCodecFor(e.config))) as { events: Array<Record<string, any>> };
    const summaries = tree.events
      .filter((ev) => ev.userMetadata?.summary?.data)
      .map((ev) => JSON.parse(Buffer.from(ev.userMetadata.summary.data, 'base64').toString('utf8')) as string);
    expect(summaries).toContain('submit to paper');
    // A resting paper order hears of its fill as a venue event: its timer waits for that, with a safety poll.
    expect(summaries.some((s) => /^wait for the venue's events; safety poll in \d+(\.\d)? s$/.test(s))).toBe(true);
  });
});

describe('stack trace', () => {
  it("shows, as the UI's Stack Trace tab does, the line of the order's own code that a resting order waits on", async () => {
    const trace = await e.temporal.workflow.getHandle(`order-${resting.id}`).query<string>('__stack_trace');
    expect(trace).toMatch(/workflows\/order-lifecycle\.ts:\d+:\d+/);
  });
});

describe('the lean order workflow (orderLifecycleV3)', () => {
  it('records no patch markers and upserts only the status changes after the RECEIVED it started with', async () => {
    const history = await e.temporal.workflow.getHandle(`order-${filled.id}`).fetchHistory();
    const events = history.events ?? [];
    expect(events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name).toBe(ORDER_WORKFLOW_TYPE);
    expect(events.filter((ev) => ev.markerRecordedEventAttributes?.markerName === 'core_patch')).toEqual([]);
    const upserts = events.flatMap((ev) => {
      const fields = ev.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
      return fields ? [Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, JSON.parse(Buffer.from(v.data!).toString('utf8'))]))] : [];
    });
    expect(upserts).toEqual([{ OrderStatus: 'PENDING_NEW' }, { OrderStatus: 'FILLED' }]);
  });
});

describe('links', () => {
  it("gives, beside each order's page, the list of the account's orders in the UI", async () => {
    const query = `WorkflowType IN ("orderLifecycle", "orderLifecycleV3") AND AccountId="${e.account.id}"`;
    const expected = `${e.config.temporalUiUrl}/namespaces/${e.config.TEMPORAL_NAMESPACE}/workflows?query=${encodeURIComponent(query)}`;
    expect(resting.links.temporalUiOrders).toBe(expected);
    expect((await e.call('GET', `/v1/orders/${other.id}`)).body.links.temporalUiOrders).toBe(expected);
    // The link's query is one the server runs: it lists exactly this account's orders.
    expect(await idsOf(query)).toEqual([`order-${resting.id}`, `order-${filled.id}`, `order-${other.id}`].sort());
  });
});
