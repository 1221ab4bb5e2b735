/**
 * /v1/twap-orders: start a TWAP (its `twapOrder` workflow), list, read with its slices, and pause,
 * resume, amend or cancel it (Temporal Updates).
 */
import { createRoute } from '@hono/zod-openapi';
import { ApplicationFailure } from '@temporalio/common';
import { Decimal } from 'decimal.js';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Context } from 'hono';
import { floorToStep, PAPER_SLICE_RULES, sliceBelowMinimum, sliceOrderId, twapWorkflowId, type SliceRules } from '../../domain/twap.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { orderSettingsFrom } from '../../lib/order-settings.js';
import { temporalUiLinks } from '../../lib/temporal-ui.js';
import { latestPrices } from '../../store/prices.js';
import { cachedSymbolRules, findTwap, insertTwap, listTwaps, recordTwapProgress, twapSliceOrders, type TwapRow } from '../../store/twap-orders.js';
import { orderWorkflowId, type Side, type Venue } from '../../workflows/definitions.js';
import { orderKeys } from '../../workflows/search-attributes.js';
import {
  amendTwapUpdate,
  cancelTwapUpdate,
  isTwapTerminal,
  pauseTwapUpdate,
  resumeTwapUpdate,
  TWAP_CONFLICT,
  TWAP_INVALID,
  twapStatusQuery,
  type TwapRequest,
  type TwapState,
  type TwapStatus,
} from '../../workflows/twap-definitions.js';
import type { twapOrder } from '../../workflows/twap.js';
import { decodeCursor, encodeCursor, pageOf } from '../cursor.js';
import { ApiError } from '../errors.js';
import { venueChooser } from '../venue-choice.js';
import { idForRequest } from '../idempotency.js';
import { idempotencyHeaders } from '../schemas/orders.js';
import { bearerAuth, errors, json, noQuery } from '../openapi/responses.js';
import { accountIdOf, type AppEnv } from '../principal.js';
import { createRouter } from '../router.js';
import { uuidParam } from '../schemas/common.js';
import { amendTwapSchema, cancelTwapSchema, createTwapSchema, listTwapsQuery, resumeTwapSchema, twapDetailSchema, twapIdParams, twapListSchema, twapPendingSchema, twapSchema } from '../schemas/twap.js';
import { notFoundForParams } from '../validation.js';

export interface TwapRoutesOptions {
  config: Config;
  sql: Sql;
  temporal: Client;
}

const TWAP_ID = '7d3e2f10-4b5a-4c6d-8e9f-0a1b2c3d4e5f';
const NOW = '2025-05-01T14:30:00.000Z';
const exampleTwap = {
  id: TWAP_ID,
  venue: 'paper',
  symbol: 'BTCUSDT',
  side: 'BUY',
  quantity: '0.1',
  targetQuantity: '0.1',
  slices: 10,
  sliceType: 'MARKET',
  limitPrice: null,
  startAt: NOW,
  endAt: '2025-05-01T14:40:00.000Z',
  status: 'RUNNING',
  slicesStarted: 4,
  filledQty: '0.04',
  remainingQty: '0.06',
  cumulativeQuoteQty: '2400.4',
  averagePrice: '60010',
  reason: null,
  workflowId: `twap-${TWAP_ID}`,
  createdAt: NOW,
  updatedAt: NOW,
  links: { self: `/v1/twap-orders/${TWAP_ID}`, temporalUi: `http://localhost:8233/namespaces/default/workflows/twap-${TWAP_ID}` },
} as const;
const SLICE_ID = sliceOrderId(TWAP_ID, 0);
const exampleSlice = {
  index: 1,
  orderId: SLICE_ID,
  role: 'slice 1 of 10',
  status: 'FILLED',
  quantity: '0.01',
  executedQty: '0.01',
  cumulativeQuoteQty: '600.1',
  scheduledAt: NOW,
  startedAt: '2025-05-01T14:30:00.042Z',
  note: null,
  links: { order: `/v1/orders/${SLICE_ID}`, temporalUi: `http://localhost:8233/namespaces/default/workflows/order-${SLICE_ID}` },
} as const;
const tags = ['twap'];
const NO_TWAP = "No such TWAP of yours (also for another account's)";

const params = { params: twapIdParams, query: noQuery };
const updateErrors = errors({ auth: true, body: true }, { 404: NO_TWAP, 409: 'The TWAP is not in a state that allows this (the message says which)' });

const createTwap = createRoute({
  method: 'post',
  path: '/',
  tags,
  operationId: 'createTwap',
  summary: 'Start a TWAP: the quantity in N child orders spread evenly over a horizon',
  description:
    'Each slice is an ordinary order (GET /v1/orders/{id}) placed exactly once, by the `twapOrder` workflow. Slice sizes are rounded down to the lot step; the last slice takes the remainder.',
  security: bearerAuth,
  request: {
    query: noQuery,
    headers: idempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: createTwapSchema, example: { symbol: 'BTCUSDT', side: 'BUY', quantity: '0.1', slices: 10, durationSeconds: 600, venue: 'paper' } } } },
  },
  responses: {
    202: json('Accepted; follow it at links.self', twapSchema, exampleTwap),
    ...errors(
      { auth: true, body: true },
      { 422: 'slices outside 2–1000, a horizon too short (under 1 s per slice) or too long (over 7 days), a TWAP slice below the minimum quantity or the minimum notional, no price known for a MARKET TWAP, or no Binance credentials' },
    ),
  },
});

const listTwapsRoute = createRoute({
  method: 'get',
  path: '/',
  tags,
  operationId: 'listTwaps',
  summary: 'Your TWAPs, newest first',
  security: bearerAuth,
  request: { query: listTwapsQuery },
  responses: { 200: json('A page', twapListSchema, { data: [exampleTwap], nextCursor: null }), ...errors({ auth: true }, { 400: 'cursor is not one this API returned' }) },
});

const getTwap = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  operationId: 'getTwap',
  summary: 'One TWAP: its progress (filled / remaining / average price) and every slice with a link to its order',
  security: bearerAuth,
  request: params,
  responses: { 200: json('The TWAP', twapDetailSchema, { ...exampleTwap, nextSliceAt: '2025-05-01T14:34:00.000Z', sliceList: [exampleSlice] }), ...errors({ auth: true }, { 404: NO_TWAP }) },
});

const body = <S extends typeof resumeTwapSchema | typeof cancelTwapSchema | typeof amendTwapSchema>(schema: S, required: boolean, example: object) => ({
  ...params,
  body: { required, content: { 'application/json': { schema, example } } },
});

const pauseTwap = createRoute({
  method: 'post',
  path: '/{id}/pause',
  tags,
  operationId: 'pauseTwap',
  summary: 'Pause: no new slices until resumed (working slices go on)',
  security: bearerAuth,
  request: params,
  responses: { 200: json('The paused TWAP', twapSchema, { ...exampleTwap, status: 'PAUSED' }), ...errors({ auth: true }, { 404: NO_TWAP, 409: 'The TWAP is not RUNNING' }) },
});

const resumeTwap = createRoute({
  method: 'post',
  path: '/{id}/resume',
  tags,
  operationId: 'resumeTwap',
  summary: 'Resume: the slices left spread over what remains of the horizon (or until a new endAt)',
  security: bearerAuth,
  request: body(resumeTwapSchema, false, { endAt: '2025-05-01T15:00:00.000Z' }),
  responses: { 200: json('The running TWAP', twapSchema, exampleTwap), ...updateErrors },
});

const amendTwap = createRoute({
  method: 'patch',
  path: '/{id}',
  tags,
  operationId: 'amendTwap',
  summary: 'Amend the quantity still to place and/or the end of the horizon',
  security: bearerAuth,
  request: body(amendTwapSchema, true, { remainingQuantity: '0.05' }),
  responses: { 200: json('The amended TWAP', twapSchema, { ...exampleTwap, targetQuantity: '0.09', remainingQty: '0.05' }), ...updateErrors },
});

const cancelTwap = createRoute({
  method: 'post',
  path: '/{id}/cancel',
  tags,
  operationId: 'cancelTwap',
  summary: 'Cancel: no more slices; working slices are cancelled on the venue (what filled stays filled)',
  security: bearerAuth,
  request: body(cancelTwapSchema, false, { reason: 'market moved' }),
  responses: {
    200: json('The CANCELED TWAP', twapSchema, { ...exampleTwap, status: 'CANCELED', reason: 'market moved' }),
    202: json('Cancel requested; working slices are not all cancelled yet (ORDER_CANCEL_WAIT). Follow GET /v1/twap-orders/{id}', twapPendingSchema, {
      ...exampleTwap,
      status: 'CANCELING',
      pending: true,
      message: 'Cancel requested; working slices are being cancelled. Follow GET /v1/twap-orders/{id}.',
    }),
    ...updateErrors,
  },
});

const twapNotFound = notFoundForParams((c) => new ApiError(404, 'twap_not_found', `No TWAP ${c.req.param('id')}`));

/** The rules every slice must meet: the cached venue rules, the paper venue's own, else none known here (the workflow checks them at start). */
function sliceRulesOf(venue: Venue, cached: Awaited<ReturnType<typeof cachedSymbolRules>>): SliceRules | undefined {
  if (!cached) return venue === 'paper' ? PAPER_SLICE_RULES : undefined;
  const lot = cached.lotSize ?? cached.marketLotSize;
  return { minQty: lot?.minQty ?? '0', stepSize: lot?.stepSize ?? '0', minNotional: cached.notional?.minNotional ?? '0' };
}

/**
 * @example app.route('/v1/twap-orders', twapRoutes({ config, sql, temporal }))
 */
export function twapRoutes({ config, sql, temporal }: TwapRoutesOptions) {
  const settings = orderSettingsFrom(config);
  const ui = temporalUiLinks(config);
  const venueFor = venueChooser(config, sql);

  async function loadOrThrow(c: Context<AppEnv>, id: string): Promise<TwapRow> {
    const row = uuidParam.safeParse(id).success ? await findTwap(sql, accountIdOf(c), id) : undefined;
    if (!row) throw new ApiError(404, 'twap_not_found', `No TWAP ${id}`);
    return row;
  }

  /** The row, with the workflow's own figures when it answered (they are never behind the row's). */
  function present(row: TwapRow, state?: TwapState) {
    const filled = state?.filledQty ?? String(row.filled_qty);
    const target = state?.targetQty ?? String(row.target_qty);
    const quote = state?.cumulativeQuoteQty ?? String(row.cumulative_quote_qty);
    const remaining = state?.remainingQty ?? subtract(target, filled);
    return {
      id: row.id,
      venue: row.venue as Venue,
      symbol: row.symbol,
      side: row.side as Side,
      quantity: normal(row.quantity),
      targetQuantity: normal(target),
      slices: row.slices,
      sliceType: row.slice_type as 'MARKET' | 'LIMIT',
      limitPrice: row.limit_price === null ? null : normal(row.limit_price),
      startAt: row.start_at.toISOString(),
      endAt: state?.endAt ?? row.end_at.toISOString(),
      status: (state?.status ?? row.status) as TwapStatus,
      slicesStarted: state ? state.slices.filter((s) => s.startedAtMs !== undefined).length : row.slices_started,
      filledQty: normal(filled),
      remainingQty: normal(remaining),
      cumulativeQuoteQty: normal(quote),
      averagePrice: isZero(filled) ? null : normal(state?.averagePrice ?? divide(quote, filled)),
      reason: state?.reason ?? row.reason,
      workflowId: row.workflow_id,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
      links: { self: `/v1/twap-orders/${row.id}`, temporalUi: ui.workflow(row.workflow_id) },
    };
  }

  /** The workflow's state, or undefined when it does not answer within a few seconds (its worker is down, or busy replaying a long history). */
  async function stateOf(row: TwapRow): Promise<TwapState | undefined> {
    const query = temporal.workflow.getHandle(row.workflow_id).query(twapStatusQuery);
    query.catch(() => undefined);
    const late = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000).unref());
    return Promise.race([query, late]).catch(() => undefined);
  }

  /** Sends an Update; a validator's refusal is a 409 (the TWAP's state) or a 422 (the request). */
  async function update(row: TwapRow, send: () => Promise<TwapState>): Promise<TwapState> {
    try {
      return await send();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new ApiError(409, 'twap_ended', `The TWAP's workflow has ended (status ${row.status}); there is nothing to change`);
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      const cause = err.cause;
      const message = cause instanceof Error ? cause.message : err.message;
      if (cause instanceof ApplicationFailure && cause.type === TWAP_INVALID) throw new ApiError(422, 'invalid_request', message);
      if (cause instanceof ApplicationFailure && cause.type === TWAP_CONFLICT) throw new ApiError(409, 'twap_conflict', message);
      throw new ApiError(409, 'twap_conflict', `The TWAP refused the change: ${message}`);
    }
  }

  const reload = async (row: TwapRow) => (await findTwap(sql, row.account_id, row.id)) ?? row;

  return createRouter()
    .openapi(createTwap, async (c) => {
      const b = c.req.valid('json');
      const accountId = accountIdOf(c);
      const venue: Venue = await venueFor(accountId, b.venue);
      const startMs = b.startAt ? Date.parse(b.startAt) : Date.now();
      const endMs = b.endAt ? Date.parse(b.endAt) : startMs + b.durationSeconds! * 1000;
      const price = b.limitPrice ?? (await latestPrices(sql, [b.symbol]))[0]?.price;
      if (!price) throw new ApiError(422, 'no_price', `symbol: no price known for ${b.symbol}, so MARKET slices cannot be sized; retry once prices have refreshed, or use LIMIT slices`);
      const rules = sliceRulesOf(venue, await cachedSymbolRules(sql, venue, b.symbol));
      if (rules) {
        const slice = floorToStep(divide(b.quantity, String(b.slices)), rules.stepSize);
        const why = sliceBelowMinimum(slice, price, rules);
        if (why) throw new ApiError(422, 'twap_slice_below_minimum', `quantity: ${why} (${b.quantity} over ${b.slices} slices); use fewer slices or a larger quantity`);
      }
      const { id: twapId, replay } = await idForRequest(sql, accountId, c.req.valid('header')['Idempotency-Key'], 'twap-orders', { ...b, venue }, 'TWAP');
      const recorded = replay ? await findTwap(sql, accountId, twapId) : undefined;
      // A repeat of the key: the TWAP as first recorded (its horizon included) is started, if it is not already.
      const startMsOf = recorded ? recorded.start_at.getTime() : startMs;
      const endMsOf = recorded ? recorded.end_at.getTime() : endMs;
      const workflowId = twapWorkflowId(twapId);
      const twap: TwapRequest = {
        twapId,
        accountId,
        venue,
        symbol: b.symbol,
        side: b.side,
        quantity: normal(b.quantity),
        slices: b.slices,
        startAt: new Date(startMsOf).toISOString(),
        endAt: new Date(endMsOf).toISOString(),
        sliceType: b.sliceType,
        limitPrice: b.limitPrice,
      };
      // The row first: the workflow's first progress write updates it.
      if (!recorded) await insertTwap(sql, { id: twapId, accountId, venue, symbol: twap.symbol, side: twap.side, quantity: twap.quantity, slices: twap.slices, sliceType: twap.sliceType, limitPrice: twap.limitPrice, startAt: twap.startAt, endAt: twap.endAt, workflowId });
      try {
        await temporal.workflow.start<typeof twapOrder>('twapOrder', {
          workflowId,
          taskQueue: config.taskQueues.orders,
          args: [{ twap, settings }],
          staticSummary: `TWAP ${twap.side} ${twap.quantity} ${twap.symbol} in ${twap.slices} ${twap.sliceType} slices on ${venue}, ${twap.startAt} → ${twap.endAt}`,
          staticDetails: `Slices are child order workflows \`order-<id>\` (their ids derive from the TWAP's id). Query \`twapStatus\` for progress; Updates \`pauseTwap\`, \`resumeTwap\`, \`amendTwap\`, \`cancelTwap\`.`,
          typedSearchAttributes: [
            { key: orderKeys.OrderStatus, value: 'RUNNING' },
            { key: orderKeys.OrderType, value: 'TWAP' },
            { key: orderKeys.Symbol, value: twap.symbol },
            { key: orderKeys.Side, value: twap.side },
            { key: orderKeys.Venue, value: venue },
            { key: orderKeys.AccountId, value: accountId },
          ],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
      } catch (err) {
        // The key's TWAP already ran to its end: report it.
        if (err instanceof WorkflowExecutionAlreadyStartedError) return c.json(present((await findTwap(sql, accountId, twapId))!), 202);
        await recordTwapProgress(sql, { twapId, rev: 1_000_000, status: 'REJECTED', targetQty: twap.quantity, endAt: twap.endAt, slicesStarted: 0, filledQty: '0', cumulativeQuoteQty: '0', reason: 'its workflow could not be started' });
        throw err;
      }
      return c.json(present((await findTwap(sql, accountId, twapId))!), 202);
    })

    .openapi(listTwapsRoute, async (c) => {
      const q = c.req.valid('query');
      const cursor = q.cursor ? decodeCursor(q.cursor, (k) => uuidParam.safeParse(k).success) : undefined;
      const rows = await listTwaps(sql, accountIdOf(c), { limit: q.limit, before: cursor && { createdAt: cursor.at, id: cursor.key } });
      const { page, nextCursor } = pageOf(rows, q.limit, (t) => encodeCursor(t.created_at, t.id));
      return c.json({ data: page.map((t) => present(t)), nextCursor }, 200);
    })

    .openapi(
      getTwap,
      async (c) => {
        const row = await loadOrThrow(c, c.req.valid('param').id);
        const [state, orders] = await Promise.all([stateOf(row), twapSliceOrders(sql, row.account_id, row.id)]);
        const byId = new Map(orders.map((o) => [o.id, o]));
        const orderLinks = (id: string) => ({ order: `/v1/orders/${id}`, temporalUi: ui.workflow(orderWorkflowId(id)) });
        // The workflow's view when it answers; else the slices' orders as the database has them.
        const sliceList = state
          ? state.slices.map((s) => {
              const o = byId.get(s.orderId);
              const placed = s.startedAtMs !== undefined;
              return {
                index: s.index + 1,
                orderId: placed ? s.orderId : null,
                role: `slice ${s.index + 1} of ${state.slicesTotal}`,
                status: o?.status ?? s.status,
                quantity: normal(s.quantity),
                executedQty: normal(o?.executed_qty ?? s.executedQty),
                cumulativeQuoteQty: normal(o?.cumulative_quote_qty ?? s.cumulativeQuoteQty),
                scheduledAt: new Date(s.scheduledAtMs).toISOString(),
                startedAt: placed ? new Date(s.startedAtMs!).toISOString() : null,
                note: s.note ?? null,
                links: placed ? orderLinks(s.orderId) : { order: null, temporalUi: null },
              };
            })
          : orders.map((o, k) => ({
              index: Number(/^slice (\d+)/.exec(o.parent_role ?? '')?.[1] ?? k + 1),
              orderId: o.id,
              role: o.parent_role ?? `slice ${k + 1}`,
              status: o.status,
              quantity: normal(o.quantity),
              executedQty: normal(o.executed_qty),
              cumulativeQuoteQty: normal(o.cumulative_quote_qty),
              scheduledAt: null,
              startedAt: o.created_at.toISOString(),
              note: null,
              links: orderLinks(o.id),
            }));
        const next = state && !isTwapTerminal(state.status) && state.status !== 'PAUSED' ? state.schedule[state.nextIndex] : undefined;
        return c.json({ ...present(row, state), nextSliceAt: next === undefined ? null : new Date(next).toISOString(), sliceList }, 200);
      },
      twapNotFound,
    )

    .openapi(
      pauseTwap,
      async (c) => {
        const row = await loadOrThrow(c, c.req.valid('param').id);
        const state = await update(row, () => temporal.workflow.getHandle(row.workflow_id).executeUpdate(pauseTwapUpdate));
        return c.json(present(await reload(row), state), 200);
      },
      twapNotFound,
    )

    .openapi(
      resumeTwap,
      async (c) => {
        const row = await loadOrThrow(c, c.req.valid('param').id);
        const endAt = c.req.valid('json')?.endAt;
        const state = await update(row, () => temporal.workflow.getHandle(row.workflow_id).executeUpdate(resumeTwapUpdate, { args: [{ endAt }] }));
        return c.json(present(await reload(row), state), 200);
      },
      twapNotFound,
    )

    .openapi(
      amendTwap,
      async (c) => {
        const row = await loadOrThrow(c, c.req.valid('param').id);
        const amend = c.req.valid('json');
        const state = await update(row, () => temporal.workflow.getHandle(row.workflow_id).executeUpdate(amendTwapUpdate, { args: [amend] }));
        return c.json(present(await reload(row), state), 200);
      },
      twapNotFound,
    )

    .openapi(
      cancelTwap,
      async (c) => {
        const row = await loadOrThrow(c, c.req.valid('param').id);
        const reason = c.req.valid('json')?.reason;
        // Working slices are cancelled on their venues: a slow venue or worker gets a 202, never a hanging request.
        const cancel = update(row, () => temporal.workflow.getHandle(row.workflow_id).executeUpdate(cancelTwapUpdate, { args: [{ reason }] }));
        cancel.catch(() => undefined);
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), config.ORDER_CANCEL_WAIT)));
        const result = await Promise.race([cancel, late]).finally(() => clearTimeout(timer));
        if (result === 'pending') {
          const now = await reload(row);
          return c.json({ ...present(now, await stateOf(now)), pending: true as const, message: 'Cancel requested; working slices are being cancelled. Follow GET /v1/twap-orders/{id}.' }, 202);
        }
        return c.json(present(await reload(row), result), 200);
      },
      twapNotFound,
    );
}

/** NUMERIC text ("0.100000") and workflow strings alike as plain decimals ("0.1"). */
const normal = (d: string) => new Decimal(d).toString();
const isZero = (d: string) => new Decimal(d).isZero();
const subtract = (a: string, b: string) => Decimal.max(new Decimal(a).minus(b), 0).toString();
const divide = (a: string, b: string) => new Decimal(a).div(b).toSignificantDigits(12).toString();
