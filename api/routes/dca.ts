/**
 * /v1/dca-plans: recurring MARKET buys of a quote amount. Each plan is a row (the read model, kept
 * after a delete so its buys stay readable) and a Temporal Schedule that starts a `dcaBuy` workflow
 * every interval; the plan's row and its schedule change together, in one transaction.
 */
import { createRoute } from '@hono/zod-openapi';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { Decimal } from 'decimal.js';
import type { Context } from 'hono';
import { dcaRulesOf, PAPER_DCA_RULES, parseDcaInterval } from '../../domain/dca.js';
import type { Venue } from '../../domain/exchange.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { orderSettingsFrom } from '../../lib/order-settings.js';
import { temporalUiLinks } from '../../lib/temporal-ui.js';
import { cachedSymbolRules, findDcaPlan, insertDcaPlan, listDcaBuys, listDcaPlans, updateDcaPlan, type DcaBuyRow, type DcaPlanRow } from '../../store/dca-plans.js';
import { latestPrices, storeQuotes } from '../../store/prices.js';
import type { PriceSources } from '../../venues/market-data/sources.js';
import { createDcaSchedule, dcaScheduleId, deleteDcaSchedule, describeDcaSchedule, updateDcaSchedule, type DcaSchedulePlan, type DcaScheduleState } from '../../workflows/dca-schedules.js';
import { ApiError } from '../errors.js';
import { venueChooser } from '../venue-choice.js';
import { idForRequest } from '../idempotency.js';
import { idempotencyHeaders } from '../schemas/orders.js';
import { bearerAuth, errors, json, noQuery } from '../openapi/responses.js';
import { accountIdOf, type AppEnv } from '../principal.js';
import { createRouter } from '../router.js';
import { uuidParam } from '../schemas/common.js';
import { createDcaPlanSchema, dcaPlanDetailSchema, dcaPlanListSchema, dcaPlanParams, dcaPlanSchema, updateDcaPlanSchema } from '../schemas/dca.js';
import { notFoundForParams } from '../validation.js';
import { providerError } from './prices.js';

export interface DcaRoutesOptions {
  config: Config;
  sql: Sql;
  temporal: Client;
  marketData: PriceSources;
}

const PLAN_ID = '7d3e2a10-4b5c-4d6e-8f70-1a2b3c4d5e6f';
const NOW = '2025-05-01T14:30:00.000Z';
const examplePlan = {
  id: PLAN_ID,
  symbol: 'BTCUSDT',
  venue: 'paper',
  quoteAmount: '100',
  interval: '1d',
  status: 'ACTIVE',
  scheduleId: `dca-${PLAN_ID}`,
  nextRunAt: '2025-05-02T00:00:00.000Z',
  createdAt: NOW,
  updatedAt: NOW,
  links: {
    self: `/v1/dca-plans/${PLAN_ID}`,
    temporalUiBuys: `http://localhost:8233/namespaces/default/workflows?query=${encodeURIComponent(`TemporalScheduledById="dca-${PLAN_ID}"`)}`,
  },
} as const;
const exampleBuy = {
  buy: 1,
  status: 'PLACED',
  quoteAmount: '100',
  price: '60000',
  quantity: '0.00166666',
  reason: null,
  at: NOW,
  workflowId: `dca-${PLAN_ID}-2025-05-01T14:30:00Z`,
  temporalUi: `http://localhost:8233/namespaces/default/workflows/dca-${PLAN_ID}-2025-05-01T14%3A30%3A00Z`,
  order: { id: '0b6f3c1e-5d2a-4c1b-9f0e-6a7d8c9b0a12', status: 'FILLED', executedQty: '0.00166666', cumulativeQuoteQty: '100.0299', averagePrice: '60017.94', self: '/v1/orders/0b6f3c1e-5d2a-4c1b-9f0e-6a7d8c9b0a12' },
} as const;
const tags = ['dca'];
const NO_PLAN = "No such DCA plan of yours (also for another account's plan)";
const AMOUNT_422 = "quoteAmount is not above zero or below the venue's minimum notional, interval is not one of 1m…366d, or no venue or provider knows the symbol (the message names the rule)";

const createPlan = createRoute({
  method: 'post',
  path: '/',
  tags,
  operationId: 'createDcaPlan',
  summary: 'Start a DCA plan: a MARKET buy of quoteAmount every interval',
  description: 'Creates a Temporal Schedule that starts a `dcaBuy` workflow every interval. Each buy spends quoteAmount at the latest price, its quantity rounded down to the symbol\'s step; a buy below the minimum quantity or notional is recorded as skipped with the reason.',
  security: bearerAuth,
  request: { query: noQuery, headers: idempotencyHeaders, body: { required: true, content: { 'application/json': { schema: createDcaPlanSchema, example: { symbol: 'BTCUSDT', quoteAmount: '100', interval: '1d', venue: 'paper' } } } } },
  responses: {
    201: json('The plan, running', dcaPlanSchema, examplePlan),
    ...errors({ auth: true, body: true }, { 422: `${AMOUNT_422}; or no Binance credentials for venue "binance"`, 502: 'The provider that must vouch for a new symbol did not answer', 503: 'That provider is rate limiting' }),
  },
});

const listPlans = createRoute({
  method: 'get',
  path: '/',
  tags,
  operationId: 'listDcaPlans',
  summary: 'Your DCA plans, newest first (deleted ones too)',
  security: bearerAuth,
  request: { query: noQuery },
  responses: { 200: json('Your plans', dcaPlanListSchema, { data: [examplePlan] }), ...errors({ auth: true }) },
});

const getPlan = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  operationId: 'getDcaPlan',
  summary: 'One DCA plan, its next run and its buys',
  security: bearerAuth,
  request: { params: dcaPlanParams, query: noQuery },
  responses: { 200: json('The plan with its latest buys', dcaPlanDetailSchema, { ...examplePlan, buys: [exampleBuy] }), ...errors({ auth: true }, { 404: NO_PLAN }) },
});

const updatePlan = createRoute({
  method: 'patch',
  path: '/{id}',
  tags,
  operationId: 'updateDcaPlan',
  summary: 'Change the amount or the interval of a plan (from its next buy on)',
  security: bearerAuth,
  request: { params: dcaPlanParams, query: noQuery, body: { required: true, content: { 'application/json': { schema: updateDcaPlanSchema, example: { quoteAmount: '50' } } } } },
  responses: {
    200: json('The plan after the change', dcaPlanSchema, { ...examplePlan, quoteAmount: '50' }),
    ...errors({ auth: true, body: true }, { 404: NO_PLAN, 409: 'The plan is deleted', 422: AMOUNT_422 }),
  },
});

function stateRoute(action: 'pause' | 'resume') {
  return createRoute({
    method: 'post',
    path: `/{id}/${action}`,
    tags,
    operationId: `${action}DcaPlan`,
    summary: action === 'pause' ? 'Pause a plan: no buys until it is resumed' : 'Resume a paused plan',
    security: bearerAuth,
    request: { params: dcaPlanParams, query: noQuery },
    responses: {
      200: json('The plan after', dcaPlanSchema, action === 'pause' ? { ...examplePlan, status: 'PAUSED', nextRunAt: null } : examplePlan),
      ...errors({ auth: true }, { 404: NO_PLAN, 409: action === 'pause' ? 'The plan is already paused, or deleted' : 'The plan is not paused (already active, or deleted)' }),
    },
  });
}

const deletePlan = createRoute({
  method: 'delete',
  path: '/{id}',
  tags,
  operationId: 'deleteDcaPlan',
  summary: 'Delete a plan: its schedule goes, its buys stay readable',
  description: 'A buy already under way finishes. Deleting a deleted plan answers the same plan again.',
  security: bearerAuth,
  request: { params: dcaPlanParams, query: noQuery },
  responses: { 200: json('The plan, DELETED', dcaPlanSchema, { ...examplePlan, status: 'DELETED', nextRunAt: null }), ...errors({ auth: true }, { 404: NO_PLAN }) },
});

const planNotFound = notFoundForParams((c) => new ApiError(404, 'dca_plan_not_found', `No DCA plan ${c.req.param('id')}`));

/**
 * @example app.route('/v1/dca-plans', dcaRoutes({ config, sql, temporal, marketData }))
 */
export function dcaRoutes({ config, sql, temporal, marketData }: DcaRoutesOptions) {
  const scheduleOptions = { idPrefix: config.TASK_QUEUE_PREFIX, taskQueue: config.taskQueues.orders, settings: orderSettingsFrom(config) };
  const ui = temporalUiLinks(config);
  const workflowsQuery = (query: string) => `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows?query=${encodeURIComponent(query)}`;
  const Dec = Decimal.clone({ toExpNeg: -40, toExpPos: 40 });

  async function loadOrThrow(c: Context<AppEnv>, id: string): Promise<DcaPlanRow> {
    const plan = uuidParam.safeParse(id).success ? await findDcaPlan(sql, accountIdOf(c), id) : undefined;
    if (!plan) throw new ApiError(404, 'dca_plan_not_found', `No DCA plan ${id}`);
    return plan;
  }

  const schedulePlan = (p: DcaPlanRow): DcaSchedulePlan => ({
    planId: p.id,
    accountId: p.account_id,
    venue: p.venue,
    symbol: p.symbol,
    quoteAmount: p.quote_amount,
    interval: p.interval,
    intervalMs: Number(p.interval_ms),
  });

  /** A symbol we have never priced is asked of its provider: one it does not know is refused. */
  async function requireKnownSymbol(symbol: string): Promise<void> {
    if ((await latestPrices(sql, [symbol])).length > 0) return;
    const { quotes, failures } = await marketData.fetchLatestSettled([symbol]);
    await storeQuotes(sql, quotes);
    const [failure] = failures;
    if (failure) throw providerError(failure.provider, failure.error);
    if (!quotes.some((q) => q.symbol === symbol)) {
      const message = `${marketData.providerFor(symbol)} does not know ${symbol}`;
      throw new ApiError(422, 'unknown_symbol', `symbol: ${message}`, [{ path: 'symbol', message }]);
    }
  }

  /**
   * An amount below the symbol's minimum notional could never buy. The venue's cached rules say
   * what it is; a paper symbol without them has the paper venue's; a Binance symbol whose rules are
   * not cached yet is checked at its first buy (skipped, with the reason, if too small).
   */
  async function requireTradableAmount(venue: Venue, symbol: string, quoteAmount: string): Promise<void> {
    const rules = await cachedSymbolRules(sql, venue, symbol);
    const min = rules ? dcaRulesOf(rules).minNotional : venue === 'paper' ? PAPER_DCA_RULES.minNotional : '0';
    if (new Decimal(quoteAmount).lt(min)) {
      const message = `must be at least ${symbol}'s minimum notional on ${venue}, ${min}`;
      throw new ApiError(422, 'below_min_notional', `quoteAmount: ${message}`, [{ path: 'quoteAmount', message }]);
    }
  }

  const resolveVenue = venueChooser(config, sql);

  function present(p: DcaPlanRow, schedule: DcaScheduleState | null) {
    return {
      id: p.id,
      symbol: p.symbol,
      venue: p.venue,
      quoteAmount: p.quote_amount,
      interval: p.interval,
      status: p.status,
      scheduleId: p.schedule_id,
      nextRunAt: p.status === 'ACTIVE' ? (schedule?.nextRunAt ?? null) : null,
      createdAt: p.created_at.toISOString(),
      updatedAt: p.updated_at.toISOString(),
      links: { self: `/v1/dca-plans/${p.id}`, temporalUiBuys: workflowsQuery(`TemporalScheduledById="${p.schedule_id}"`) },
    };
  }

  function presentBuy(b: DcaBuyRow) {
    const executed = b.executed_qty ?? '0';
    return {
      buy: b.seq,
      status: b.status,
      quoteAmount: b.quote_amount,
      price: b.price,
      quantity: b.quantity,
      reason: b.reason,
      at: b.created_at.toISOString(),
      workflowId: b.firing_id,
      temporalUi: ui.workflow(b.firing_id),
      order:
        b.status === 'PLACED' && b.order_status
          ? {
              id: b.order_id,
              status: b.order_status,
              executedQty: executed,
              cumulativeQuoteQty: b.cumulative_quote_qty ?? '0',
              averagePrice: new Dec(executed).isZero() ? null : new Dec(b.cumulative_quote_qty ?? '0').div(executed).toDecimalPlaces(8, Decimal.ROUND_HALF_UP).toString(),
              self: `/v1/orders/${b.order_id}`,
            }
          : null,
    };
  }

  const withSchedule = async (p: DcaPlanRow) => present(p, p.status === 'DELETED' ? null : await describeDcaSchedule(temporal, p.schedule_id));

  /** Changes the plan's status and its schedule together; a schedule removed behind our back is said so. */
  async function changeState(c: Context<AppEnv>, id: string, action: 'pause' | 'resume') {
    const accountId = accountIdOf(c);
    const plan = await loadOrThrow(c, id);
    const from = action === 'pause' ? 'ACTIVE' : 'PAUSED';
    if (plan.status !== from) {
      const why = plan.status === 'DELETED' ? 'is deleted' : action === 'pause' ? 'is already paused' : 'is not paused';
      throw new ApiError(409, `dca_plan_${plan.status.toLowerCase()}`, `DCA plan ${id} ${why}; nothing to ${action}`);
    }
    const updated = await sql.begin(async (tx) => {
      const row = await updateDcaPlan(tx, accountId, id, { status: action === 'pause' ? 'PAUSED' : 'ACTIVE' });
      const handle = temporal.schedule.getHandle(plan.schedule_id);
      try {
        await (action === 'pause' ? handle.pause('paused through the API') : handle.unpause('resumed through the API'));
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) throw new ApiError(409, 'dca_schedule_missing', `The schedule ${plan.schedule_id} of DCA plan ${id} no longer exists (deleted outside the API); delete the plan and create a new one`);
        throw err;
      }
      return row!;
    });
    return withSchedule(updated);
  }

  return createRouter()
    .openapi(createPlan, async (c) => {
      const body = c.req.valid('json');
      const accountId = accountIdOf(c);
      const venue = await resolveVenue(accountId, body.venue);
      await requireKnownSymbol(body.symbol);
      await requireTradableAmount(venue, body.symbol, body.quoteAmount);
      const interval = parseDcaInterval(body.interval);
      if (!interval.ok) throw new ApiError(422, 'invalid_request', `interval: ${interval.reason}`);
      const { id, replay } = await idForRequest(sql, accountId, c.req.valid('header')['Idempotency-Key'], 'dca-plans', { ...body, venue }, 'DCA plan');
      const existing = replay ? await findDcaPlan(sql, accountId, id) : undefined;
      if (existing) return c.json(await withSchedule(existing), 201);
      const scheduleId = dcaScheduleId(config.TASK_QUEUE_PREFIX, id);
      const plan = await sql.begin(async (tx) => {
        await insertDcaPlan(tx, { id, accountId, venue, symbol: body.symbol, quoteAmount: body.quoteAmount, interval: body.interval, intervalMs: interval.ms, scheduleId });
        const row = (await findDcaPlan(tx, accountId, id))!;
        // Inside the transaction: a schedule that cannot be created leaves no plan behind.
        await createDcaSchedule(temporal, schedulePlan(row), scheduleOptions);
        return row;
      });
      return c.json(await withSchedule(plan), 201);
    })

    .openapi(listPlans, async (c) => {
      const plans = await listDcaPlans(sql, accountIdOf(c));
      return c.json({ data: await Promise.all(plans.map(withSchedule)) }, 200);
    })

    .openapi(
      getPlan,
      async (c) => {
        const plan = await loadOrThrow(c, c.req.valid('param').id);
        const [presented, buys] = await Promise.all([withSchedule(plan), listDcaBuys(sql, plan.account_id, plan.id)]);
        return c.json({ ...presented, buys: buys.map(presentBuy) }, 200);
      },
      planNotFound,
    )

    .openapi(
      updatePlan,
      async (c) => {
        const { id } = c.req.valid('param');
        const body = c.req.valid('json');
        const accountId = accountIdOf(c);
        const plan = await loadOrThrow(c, id);
        if (plan.status === 'DELETED') throw new ApiError(409, 'dca_plan_deleted', `DCA plan ${id} is deleted; create a new plan instead`);
        if (body.quoteAmount !== undefined) await requireTradableAmount(plan.venue, plan.symbol, body.quoteAmount);
        const parsed = body.interval === undefined ? undefined : parseDcaInterval(body.interval);
        if (parsed && !parsed.ok) throw new ApiError(422, 'invalid_request', `interval: ${parsed.reason}`);
        const updated = await sql.begin(async (tx) => {
          const row = (await updateDcaPlan(tx, accountId, id, { quoteAmount: body.quoteAmount, interval: parsed && body.interval ? { text: body.interval, ms: parsed.ms } : undefined }))!;
          await updateDcaSchedule(temporal, schedulePlan(row), scheduleOptions);
          return row;
        });
        return c.json(await withSchedule(updated), 200);
      },
      planNotFound,
    )

    .openapi(stateRoute('pause'), async (c) => c.json(await changeState(c, c.req.valid('param').id, 'pause'), 200), planNotFound)
    .openapi(stateRoute('resume'), async (c) => c.json(await changeState(c, c.req.valid('param').id, 'resume'), 200), planNotFound)

    .openapi(
      deletePlan,
      async (c) => {
        const { id } = c.req.valid('param');
        const plan = await loadOrThrow(c, id);
        if (plan.status === 'DELETED') return c.json(present(plan, null), 200);
        const deleted = await sql.begin(async (tx) => {
          const row = (await updateDcaPlan(tx, accountIdOf(c), id, { status: 'DELETED' }))!;
          await deleteDcaSchedule(temporal, plan.schedule_id);
          return row;
        });
        return c.json(present(deleted, null), 200);
      },
      planNotFound,
    );
}
