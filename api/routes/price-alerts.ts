/**
 * /v1/alerts: price alerts. An alert is a row the price refresh evaluates where prices arrive; it
 * fires once, is pushed on the stream's `alerts` channel, and may place a conditional order.
 */
import { randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { latestPrices, storeQuotes } from '../../store/prices.js';
import { cancelAlert, findAlert, insertAlert, listAlerts, type AlertRow } from '../../store/price-alerts.js';
import { creationProblem, crossFrom, type AlertRule, type ConditionalOrderTerms } from '../../domain/price-alerts.js';
import type { OrderStatus } from '../../domain/orders.js';
import type { PriceSources } from '../../venues/market-data/sources.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { decodeCursor, encodeCursor, pageOf } from '../cursor.js';
import { ApiError } from '../errors.js';
import { venueChooser } from '../venue-choice.js';
import { portfolioChooser } from '../portfolio-choice.js';
import { idForRequest } from '../idempotency.js';
import { idempotencyHeaders } from '../schemas/orders.js';
import { bearerAuth, errors, json, noQuery } from '../openapi/responses.js';
import { accountIdOf, type AppEnv } from '../principal.js';
import { createRouter } from '../router.js';
import { uuidParam } from '../schemas/common.js';
import { alertIdParams, alertListSchema, alertSchema, createAlertSchema, listAlertsQuery, type CreateAlertBody } from '../schemas/price-alerts.js';
import { notFoundForParams } from '../validation.js';
import { providerError } from './prices.js';

export interface PriceAlertRoutesOptions {
  config: Pick<Config, 'BINANCE_API_KEY'>;
  sql: Sql;
  marketData: Pick<PriceSources, 'fetchLatestSettled' | 'providerFor'>;
}

const ALERT_ID = '3c9d2f4e-8a1b-4c6d-9e0f-1a2b3c4d5e6f';
const ORDER_ID = '0b6f3c1e-5d2a-4c1b-9f0e-6a7d8c9b0a12';
const NOW = '2025-05-01T14:30:00.000Z';
const exampleAlert = {
  id: ALERT_ID,
  symbol: 'BTCUSDT',
  condition: 'CROSS',
  threshold: '70000',
  crossFrom: 'below',
  pct: null,
  windowSeconds: null,
  direction: null,
  referencePrice: '64210.5',
  note: 'breakout',
  status: 'ACTIVE',
  firedAt: null,
  firedPrice: null,
  canceledAt: null,
  order: {
    id: ORDER_ID,
    status: null,
    symbol: 'BTCUSDT',
    side: 'BUY',
    type: 'MARKET',
    venue: 'paper',
    quantity: '0.01',
    price: null,
    stopPrice: null,
    timeInForce: null,
    expireAt: null,
    links: { self: `/v1/orders/${ORDER_ID}` },
  },
  createdAt: NOW,
  links: { self: `/v1/alerts/${ALERT_ID}` },
} as const;
const firedExample = { ...exampleAlert, status: 'FIRED', firedAt: '2025-05-01T16:02:11.000Z', firedPrice: '70012.3', order: { ...exampleAlert.order, status: 'FILLED' } } as const;
const tags = ['alerts'];
const NO_ALERT = "No such alert of yours (also for another account's alert)";

const createAlert = createRoute({
  method: 'post',
  path: '/',
  tags,
  operationId: 'createPriceAlert',
  summary: 'Create a price alert, optionally with a conditional order',
  description:
    'The alert is evaluated by every price refresh of its symbol and fires once: it is recorded (firedAt, firedPrice), pushed on /v1/stream (`alerts` channel), and places its order if it has one. ' +
    'An ABOVE or BELOW alert that the current price already satisfies is refused (it would fire at once), as is a CROSS at the current price.',
  security: bearerAuth,
  request: {
    query: noQuery,
    headers: idempotencyHeaders,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: createAlertSchema,
          example: { symbol: 'BTCUSDT', condition: 'CROSS', threshold: '70000', note: 'breakout', order: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', venue: 'paper' } },
        },
      },
    },
  },
  responses: {
    201: json('The alert, ACTIVE', alertSchema, exampleAlert),
    ...errors(
      { auth: true, body: true },
      {
        422: 'A rule of the alert is broken (the message names it): a threshold the price already satisfies, pct ≤ 0, a window outside 60 s to 7 days, an unknown symbol, invalid order terms, or venue "binance" without credentials',
        502: 'The provider that must vouch for a symbol never priced did not answer',
        503: 'That provider is rate limiting',
      },
    ),
  },
});

const listAlertsRoute = createRoute({
  method: 'get',
  path: '/',
  tags,
  operationId: 'listPriceAlerts',
  summary: 'Your price alerts, newest first',
  security: bearerAuth,
  request: { query: listAlertsQuery },
  responses: {
    200: json('A page', alertListSchema, { data: [exampleAlert], nextCursor: null }),
    ...errors({ auth: true }, { 400: 'cursor is not one this API returned' }),
  },
});

const getAlert = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  operationId: 'getPriceAlert',
  summary: 'One of your price alerts: when and at what price it fired, and its order',
  security: bearerAuth,
  request: { params: alertIdParams, query: noQuery },
  responses: { 200: json('The alert', alertSchema, firedExample), ...errors({ auth: true }, { 404: NO_ALERT }) },
});

const deleteAlert = createRoute({
  method: 'delete',
  path: '/{id}',
  tags,
  operationId: 'cancelPriceAlert',
  summary: 'Cancel an active price alert (its conditional order is never placed)',
  security: bearerAuth,
  request: { params: alertIdParams, query: noQuery },
  responses: {
    200: json('The alert, CANCELED', alertSchema, { ...exampleAlert, status: 'CANCELED', canceledAt: NOW }),
    ...errors({ auth: true }, { 404: NO_ALERT, 409: 'The alert already fired (or was canceled): there is nothing to cancel' }),
  },
});

const alertNotFound = notFoundForParams((c) => new ApiError(404, 'alert_not_found', `No alert ${c.req.param('id')}`));

/** The stored alert as the API shows it. */
export function presentAlert(a: AlertRow) {
  const t = a.order_terms;
  return {
    id: a.id,
    symbol: a.symbol,
    condition: a.condition,
    threshold: a.threshold,
    crossFrom: a.condition === 'CROSS' ? crossFrom(a.reference_price, a.threshold!) : null,
    pct: a.pct,
    windowSeconds: a.window_seconds,
    direction: a.direction,
    referencePrice: a.reference_price,
    note: a.note,
    status: a.status,
    firedAt: a.fired_at?.toISOString() ?? null,
    firedPrice: a.fired_price,
    canceledAt: a.canceled_at?.toISOString() ?? null,
    order:
      t && a.order_id
        ? {
            id: a.order_id,
            status: a.order_status as OrderStatus | null,
            symbol: t.symbol,
            side: t.side,
            type: t.type,
            venue: t.venue,
            quantity: t.quantity,
            price: t.price ?? null,
            stopPrice: t.stopPrice ?? null,
            timeInForce: t.timeInForce ?? null,
            expireAt: t.expireAt ?? null,
            links: { self: `/v1/orders/${a.order_id}` },
          }
        : null,
    createdAt: a.created_at.toISOString(),
    links: { self: `/v1/alerts/${a.id}` },
  };
}

function ruleFrom(body: CreateAlertBody, referencePrice: string): AlertRule {
  // createAlertSchema has checked which fields each condition needs.
  if (body.condition === 'MOVE_PCT') return { condition: 'MOVE_PCT', pct: body.pct!, direction: body.direction ?? 'ANY' };
  if (body.condition === 'CROSS') return { condition: 'CROSS', threshold: body.threshold!, referencePrice };
  return { condition: body.condition, threshold: body.threshold! };
}

/**
 * @example app.route('/v1/alerts', priceAlertRoutes({ config, sql, marketData }))
 */
export function priceAlertRoutes({ config, sql, marketData }: PriceAlertRoutesOptions) {
  const venueFor = venueChooser(config, sql);
  const portfolioFor = portfolioChooser(sql);
  /** The latest price of a symbol, asked of its provider when never priced; 422 when it knows no such symbol. */
  async function currentPrice(symbol: string): Promise<string> {
    const [stored] = await latestPrices(sql, [symbol]);
    if (stored) return stored.price;
    const { quotes, failures } = await marketData.fetchLatestSettled([symbol]);
    await storeQuotes(sql, quotes);
    const [failure] = failures;
    if (failure) throw providerError(failure.provider, failure.error);
    const quote = quotes.find((q) => q.symbol === symbol);
    if (!quote) throw new ApiError(422, 'unknown_symbol', `symbol: ${marketData.providerFor(symbol)} does not know ${symbol}`, [{ path: 'symbol', message: `${marketData.providerFor(symbol)} does not know ${symbol}` }]);
    return quote.price;
  }

  /** The order terms as POST /v1/orders would run them: venue and time in force decided now. */
  async function orderTerms(accountId: string, o: NonNullable<CreateAlertBody['order']>): Promise<ConditionalOrderTerms> {
    const venue = await venueFor(accountId, o.venue, 'order.venue');
    // Checked now: an alert's order never books into another account's portfolio (404).
    const book = o.portfolioId === undefined ? undefined : await portfolioFor(accountId, o.portfolioId);
    return {
      symbol: o.symbol,
      side: o.side,
      type: o.type,
      quantity: o.quantity,
      price: o.price,
      stopPrice: o.stopPrice,
      timeInForce: o.timeInForce ?? (o.price && o.type !== 'MARKET' ? 'GTC' : undefined),
      venue,
      expireAt: o.expireAt === undefined ? undefined : new Date(o.expireAt).toISOString(),
      ...(book && !book.is_default ? { portfolioId: book.id } : {}),
    };
  }

  async function loadOrThrow(c: Context<AppEnv>, id: string): Promise<AlertRow> {
    const alert = uuidParam.safeParse(id).success ? await findAlert(sql, accountIdOf(c), id) : undefined;
    if (!alert) throw new ApiError(404, 'alert_not_found', `No alert ${id}`);
    return alert;
  }

  return createRouter()
    .openapi(createAlert, async (c) => {
      const body = c.req.valid('json');
      const accountId = accountIdOf(c);
      const referencePrice = await currentPrice(body.symbol);
      const rule = ruleFrom(body, referencePrice);
      const problem = creationProblem(rule, referencePrice);
      if (problem) throw new ApiError(422, 'alert_would_fire_now', `threshold: ${problem}`, [{ path: 'threshold', message: problem }]);
      const terms = body.order && (await orderTerms(accountId, body.order));
      const { id, replay } = await idForRequest(sql, accountId, c.req.valid('header')['Idempotency-Key'], 'alerts', body, 'alert');
      const existing = replay ? await findAlert(sql, accountId, id) : undefined;
      if (existing) return c.json(presentAlert(existing), 201);
      await insertAlert(sql, {
        id,
        accountId,
        symbol: body.symbol,
        rule,
        windowSeconds: body.windowSeconds,
        referencePrice,
        note: body.note,
        order: terms && { id: randomUUID(), terms },
      });
      return c.json(presentAlert((await findAlert(sql, accountId, id))!), 201);
    })

    .openapi(listAlertsRoute, async (c) => {
      const q = c.req.valid('query');
      const cursor = q.cursor ? decodeCursor(q.cursor, (k) => uuidParam.safeParse(k).success) : undefined;
      const before = cursor && { createdAt: cursor.at, id: cursor.key };
      const rows = await listAlerts(sql, accountIdOf(c), { status: q.status, symbol: q.symbol, limit: q.limit, before });
      const { page, nextCursor } = pageOf(rows, q.limit, (a) => encodeCursor(a.created_at, a.id));
      return c.json({ data: page.map(presentAlert), nextCursor }, 200);
    })

    .openapi(getAlert, async (c) => c.json(presentAlert(await loadOrThrow(c, c.req.valid('param').id)), 200), alertNotFound)

    .openapi(
      deleteAlert,
      async (c) => {
        const alert = await loadOrThrow(c, c.req.valid('param').id);
        if (!(await cancelAlert(sql, alert.account_id, alert.id))) {
          const now = (await findAlert(sql, alert.account_id, alert.id)) ?? alert;
          const what = now.status === 'FIRED' ? `already FIRED at ${now.fired_at?.toISOString()} (price ${now.fired_price})` : `already ${now.status}`;
          throw new ApiError(409, 'alert_not_cancelable', `Alert is ${what}; there is nothing to cancel${now.order_id && now.status === 'FIRED' ? `. Its order is ${now.order_id}: DELETE /v1/orders/${now.order_id} cancels that` : ''}`);
        }
        return c.json(presentAlert((await findAlert(sql, alert.account_id, alert.id))!), 200);
      },
      alertNotFound,
    );
}
