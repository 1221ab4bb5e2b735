/**
 * What the OpenAPI document says besides the routes: its title and introduction, the tags in the
 * order the docs show them, the two ways to authenticate, and /v1/stream, which is served by the
 * WebSocket server next to the Hono app (api/stream) and so is declared here, not by a route.
 */
import { readFileSync } from 'node:fs';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import { STREAM_LIMITS } from '../stream/limits.js';
import { errors, requestIdHeader } from './responses.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const API_DESCRIPTION =
  'Every order, price refresh and portfolio recalculation is a Temporal workflow. Sign up or log in for a JWT access token and send it as ' +
  "`Authorization: Bearer <token>`; you only ever see your own data (another account's ids answer 404). Decimals are JSON strings. " +
  'Every error is `{"error": {"code", "message", "details"?}}`; every response carries X-Request-Id and `X-Content-Type-Options: nosniff`. ' +
  'Bodies are JSON (`Content-Type: application/json`, at most 1 MiB, each key once per object); each query parameter is given at most once, ' +
  'and a parameter a route does not know answers 422 on every route.';

const TAGS = [
  { name: 'auth', description: 'Accounts and access tokens' },
  { name: 'orders', description: 'Orders, each run by its own workflow' },
  { name: 'order lists', description: 'OCO and bracket orders: one workflow per list, each leg an ordinary order' },
  { name: 'twap', description: 'Parent orders sliced over a horizon, each slice an ordinary order; pause, resume, amend, cancel' },
  { name: 'dca', description: 'Recurring buys of a quote amount, one Temporal Schedule per plan' },
  { name: 'portfolio', description: 'Trades, positions and the portfolio computed from them' },
  { name: 'market data', description: 'Prices, candles and the symbols you follow' },
  { name: 'alerts', description: 'Price alerts, and the orders they place when they fire' },
  { name: 'stream', description: 'WebSocket push' },
  { name: 'exchange credentials', description: 'Your own Binance key pair' },
  { name: 'schedules', description: "The engine's Temporal Schedules" },
  { name: 'codec server', description: 'Decrypts payloads for the Temporal Web UI and CLI' },
  { name: 'system', description: 'Health and this documentation' },
];

/**
 * Registers the security schemes and /v1/stream on the app's registry.
 * @example describeApp(app); const doc = openApiDocument(app);
 */
export function describeApp(app: OpenAPIHono<any, any, any>): void {
  const registry = app.openAPIRegistry;
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'From POST /v1/auth/register or /v1/auth/login; lives JWT_TTL (15 min by default)',
  });
  registry.registerComponent('securitySchemes', 'codecCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: 'dt_codec',
    description: 'Set by POST /codec/session (the sign-in page /codec/login); sent by the Temporal UI with "Include cross-origin credentials"',
  });

  const { maxConnectionsPerAccount, subscriptionBurst, subscriptionsPerSecond } = STREAM_LIMITS;
  const refusals = errors({ auth: true }, { 429: `The account already has ${maxConnectionsPerAccount} connections open to this instance` });
  registry.registerPath({
    method: 'get',
    path: '/v1/stream',
    tags: ['stream'],
    operationId: 'openStream',
    summary: 'WebSocket push of prices and your orders, alerts and portfolio',
    description:
      'Upgrade with `Authorization: Bearer <token>` or `?token=<token>` (browsers). Send `{"type":"subscribe","channel":"prices","symbols":["BTCUSDT"]}` or ' +
      '`{"type":"subscribe","channel":"orders"}`, `{"type":"subscribe","channel":"alerts"}` or `{"type":"subscribe","channel":"portfolio"}`; receive `price`, `order`, `alert` and `portfolio` frames ' +
      '(only your own orders, alerts and portfolio: an `alert` frame when one fires; a `portfolio` frame with your latest result on subscribe, then one after each recalculation: ' +
      '`{"type":"portfolio","data":{"portfolioId":"…","asOf":"2025-05-01T14:30:00.000Z","positions":[PositionDetail…],"totals":{"baseCurrency":"USD","totalValue":"1200",…}}}`, ' +
      'positions as POST /v1/portfolio/recalculate answers them, totals as GET /v1/portfolio; see docs/portfolio.md), `subscribed`, `unsubscribed` and `error` frames ' +
      '(`{"type":"error","error":{code, message, details?}}`). ' +
      `Limits: at most ${maxConnectionsPerAccount} connections per account on each API instance (one more is refused with 429 \`too_many_connections\`), ` +
      `at most 100 symbols per connection, and subscribe/unsubscribe messages at ${subscriptionsPerSecond} per second per connection after a burst of ${subscriptionBurst} ` +
      '(one more is answered with an `error` frame `rate_limited` whose details give `retryAfterMs`, and changes nothing). A refused upgrade answers the error shape with an X-Request-Id.',
    security: [{ bearer: [] }],
    request: { query: z.strictObject({ token: z.string().optional().openapi({ description: 'The access token, for browsers' }) }) },
    responses: {
      101: { description: 'Switching to WebSocket', headers: requestIdHeader },
      401: refusals[401],
      429: refusals[429],
      500: refusals[500],
    },
  });
}

/**
 * The OpenAPI 3.1 document of an app whose routes are all registered.
 * @example app.route('/', docsRoutes(() => openApiDocument(app)));
 */
export function openApiDocument(app: OpenAPIHono<any, any, any>) {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'Durable Trader API', version, description: API_DESCRIPTION },
    servers: [{ url: '/', description: 'This API' }],
    tags: TAGS,
  });
}
