/**
 * Every HTTP route of the API, described for the OpenAPI document. A test compares this list
 * with the routes the Hono app really has, so a route cannot be added without its description.
 */
import { z } from 'zod';
import { credentialsSchema, loginSchema, registerSchema } from '../schemas/auth.js';
import { uuidParam } from '../schemas/common.js';
import { cancelOrderBody, createOrderSchema, listOrdersQuery } from '../schemas/orders.js';
import { listExternalOrdersQuery } from '../schemas/external-orders.js';
import { createTradeSchema, historyQuery as portfolioHistoryQuery, listTradesQuery, portfolioSettingsSchema, recalculateBody } from '../schemas/portfolio.js';
import { historyQuery as candlesQuery, marketSymbol, pricesQuery } from '../routes/prices.js';
import { noteBody } from '../routes/schedules.js';
import { putWatchlistBody } from '../routes/watchlist.js';
import type { RouteDoc } from './registry.js';
import * as r from './responses.js';

const ORDER_ID = '0b6f3c1e-5d2a-4c1b-9f0e-6a7d8c9b0a12';
const ACCOUNT_ID = '7e57a1c3-2b4d-4e6f-8a9b-0c1d2e3f4a5b';
const NOW = '2025-05-01T14:30:00.000Z';
const orderLinks = { self: `/v1/orders/${ORDER_ID}`, temporalUi: `http://localhost:8233/namespaces/default/workflows/order-${ORDER_ID}/history` };
const order = {
  id: ORDER_ID,
  symbol: 'BTCUSDT',
  side: 'BUY',
  type: 'LIMIT',
  venue: 'paper',
  timeInForce: 'GTC',
  quantity: '0.01',
  price: '60000',
  stopPrice: null,
  status: 'NEW',
  executedQty: '0',
  cumulativeQuoteQty: '0',
  clientOrderId: 'dt-0b6f3c1e5d2a4c1b9f0e6a7d8c',
  exchangeOrderId: '1042',
  rejectCode: null,
  rejectReason: null,
  workflowId: `order-${ORDER_ID}`,
  createdAt: NOW,
  updatedAt: NOW,
  links: orderLinks,
};
const signedIn = { token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOi…', tokenType: 'Bearer', expiresAt: '2025-05-01T14:45:00.000Z', user: { id: ACCOUNT_ID, email: 'ada@example.com' } };
const portfolio = {
  baseCurrency: 'USD',
  totalValue: '10250.5',
  totalCost: '9800',
  realizedPnl: '120',
  unrealizedPnl: '450.5',
  feesPaid: '9.8',
  capitalInvested: '9800',
  roiPct: '5.83',
  winRate: '0.66',
  trades: '12',
  closedTrades: '3',
  method: 'average',
  asOf: NOW,
  workflowId: `portfolio-${ACCOUNT_ID}`,
};
const schedule = {
  name: 'price-refresh',
  scheduleId: 'price-refresh',
  paused: false,
  note: null,
  intervalMs: 15000,
  overlap: 'SKIP',
  catchupWindowMs: 60000,
  nextRunTimes: ['2025-05-01T14:30:15.000Z'],
  recentRuns: [{ scheduledAt: NOW, startedAt: NOW, workflowId: 'price-refresh-workflow-2025-05-01T14:30:00Z' }],
  runsTaken: 240,
  runsSkippedOverlap: 0,
};

const idParam = { id: { schema: uuidParam, description: 'Order id (another account\'s id answers 404)', example: ORDER_ID } };
const venueParam = { venue: { schema: z.enum(['binance']), description: 'The venue', example: 'binance' } };
const scheduleParam = { name: { schema: z.string(), description: 'Schedule name; the engine has "price-refresh" and "reconcile-orders"', example: 'price-refresh' } };
const auth401 = { 401: 'No token, or a token that is expired, altered or signed with another key or algorithm' };
const badBody = { 400: 'Body is not JSON', 422: 'A field is missing, malformed or unknown (details name each)' };

export const routeDocs: RouteDoc[] = [
  {
    method: 'get', path: '/health', tag: 'system', auth: 'none', summary: 'Whether Temporal and PostgreSQL answer',
    responses: { 200: { description: 'Both answer', schema: r.healthResponse, example: { status: 'ok', temporal: 'ok', postgres: 'ok' } }, 503: { description: 'A part is down; reasons names it', schema: r.healthResponse, example: { status: 'degraded', temporal: 'ok', postgres: 'down', reasons: { postgres: 'no answer within 2000 ms' } } } },
    errors: {},
  },
  {
    method: 'get', path: '/openapi.json', tag: 'system', auth: 'none', summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1', example: { openapi: '3.1.0' } } },
    errors: {},
  },
  {
    method: 'get', path: '/docs', tag: 'system', auth: 'none', summary: 'Interactive documentation (works offline)',
    responses: { 200: { description: 'An HTML page that renders /openapi.json and sends requests', contentType: 'text/html' } },
    errors: {},
  },
  {
    method: 'get', path: '/docs/app.js', tag: 'system', auth: 'none', summary: 'The script of /docs',
    responses: { 200: { description: 'JavaScript', contentType: 'text/javascript' } },
    errors: {},
  },

  {
    method: 'post', path: '/v1/auth/register', tag: 'auth', auth: 'none', summary: 'Create an account and get an access token',
    description: 'Emails are case-insensitive. Passwords: 12-256 characters. Counts against AUTH_IP_RATE_LIMIT.',
    body: { schema: registerSchema, example: { email: 'ada@example.com', password: 'correct horse battery staple' } },
    responses: { 201: { description: 'Created; the token is ready to use', schema: r.signedInResponse, example: signedIn } },
    errors: { ...badBody, 409: 'An account with this email exists', 429: 'Too many sign-ups or logins from this IP (Retry-After)' },
  },
  {
    method: 'post', path: '/v1/auth/login', tag: 'auth', auth: 'none', summary: 'Exchange email and password for an access token',
    description: 'An unknown email and a wrong password answer the same 401, in about the same time. Rate limited per email (LOGIN_RATE_LIMIT) and per IP (AUTH_IP_RATE_LIMIT).',
    body: { schema: loginSchema, example: { email: 'ada@example.com', password: 'correct horse battery staple' } },
    responses: { 200: { description: 'Signed in', schema: r.signedInResponse, example: signedIn } },
    errors: { ...badBody, 401: 'Email or password is wrong', 429: 'Too many attempts for this email or from this IP (Retry-After)' },
  },
  {
    method: 'get', path: '/v1/me', tag: 'auth', auth: 'bearer', summary: 'The account of the token',
    responses: { 200: { description: 'The account', schema: r.meResponse, example: { id: ACCOUNT_ID, email: 'ada@example.com', createdAt: NOW } } },
    errors: auth401,
  },

  {
    method: 'put', path: '/v1/exchange-credentials/:venue', tag: 'exchange credentials', auth: 'bearer', summary: 'Store (or replace) your Binance key pair',
    description: 'Sealed with AES-256-GCM (CREDENTIALS_KEYS) and opened only by the worker, right before it signs a request. Never returned.',
    params: venueParam,
    body: { schema: credentialsSchema, example: { apiKey: 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A', apiSecret: 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j' } },
    responses: { 204: { description: 'Stored' } },
    errors: { ...auth401, ...badBody, 404: 'Not a venue that takes credentials', 503: 'This instance has no CREDENTIALS_KEYS' },
  },
  {
    method: 'get', path: '/v1/exchange-credentials/:venue', tag: 'exchange credentials', auth: 'bearer', summary: 'Whether you stored a key pair, and the key\'s last four characters',
    params: venueParam,
    responses: { 200: { description: 'Status only', schema: r.credentialStatusResponse, example: { configured: true, apiKeyLast4: 'Eh8A' } } },
    errors: { ...auth401, 404: 'Not a venue that takes credentials' },
  },
  {
    method: 'delete', path: '/v1/exchange-credentials/:venue', tag: 'exchange credentials', auth: 'bearer', summary: 'Forget your key pair',
    params: venueParam,
    responses: { 204: { description: 'Deleted (or there was none)' } },
    errors: { ...auth401, 404: 'Not a venue that takes credentials', 409: 'Open orders on the venue still use the pair' },
  },

  {
    method: 'post', path: '/v1/orders', tag: 'orders', auth: 'bearer', summary: 'Submit an order (starts its workflow)',
    description: 'Decimals are strings. Without `venue`: binance when you (or the single-user environment) have a key pair, else paper. Counts against ORDER_RATE_LIMIT.',
    headers: [{ name: 'Idempotency-Key', required: false, description: 'Same key and body → the same order; same key, other body → 422', schema: z.string().max(255), example: 'order-2025-05-01-001' }],
    body: { schema: createOrderSchema, example: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000', timeInForce: 'GTC', venue: 'paper' } },
    responses: { 202: { description: 'Accepted; follow it at links.self', schema: r.orderAcceptedResponse, example: { id: ORDER_ID, status: 'RECEIVED', workflowId: `order-${ORDER_ID}`, runId: '5c0e…', links: orderLinks } } },
    errors: { ...auth401, ...badBody, 413: 'Body over 1 MiB', 429: 'Too many order submissions (Retry-After)' },
  },
  {
    method: 'get', path: '/v1/orders', tag: 'orders', auth: 'bearer', summary: 'Your orders, newest first',
    query: listOrdersQuery,
    responses: { 200: { description: 'A page', schema: r.orderListResponse, example: { data: [order], nextCursor: null } } },
    errors: { ...auth401, 400: 'cursor is not one this API returned', 422: 'An unknown or malformed query parameter' },
  },
  {
    method: 'get', path: '/v1/orders/external', tag: 'orders', auth: 'bearer', summary: 'Orders open on a venue under your account that the engine never placed (EXTERNAL)',
    description: 'Found by the reconcile-orders schedule (every RECONCILE_INTERVAL), which compares each account\'s open venue orders with ours. Newest first sighting first; `open` turns false once a reconciliation no longer finds the order open.',
    query: listExternalOrdersQuery,
    responses: { 200: { description: 'A page', schema: r.externalOrderListResponse, example: { data: [{ origin: 'EXTERNAL', venue: 'binance', symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', price: '70000', quantity: '0.05', executedQty: '0', status: 'NEW', open: true, clientOrderId: 'web_5f1c2a9e0b7d', exchangeOrderId: '4211', firstSeen: NOW, lastSeen: NOW, closedAt: null }], nextCursor: null } } },
    errors: { ...auth401, 400: 'cursor is not one this API returned', 422: 'An unknown or malformed query parameter' },
  },
  {
    method: 'get', path: '/v1/orders/:id', tag: 'orders', auth: 'bearer', summary: 'One of your orders with its fills and every lifecycle event',
    params: idParam,
    responses: { 200: { description: 'The order', schema: r.orderDetailResponse, example: { ...order, fills: [], events: [{ seq: 1, status: 'RECEIVED', cause: 'accepted', detail: {}, at: NOW }] } } },
    errors: { ...auth401, 404: 'No such order of yours (also for another account\'s order)' },
  },
  {
    method: 'delete', path: '/v1/orders/:id', tag: 'orders', auth: 'bearer', summary: 'Cancel an open order (a workflow Update)',
    params: idParam,
    body: { schema: cancelOrderBody, example: { reason: 'changed my mind' }, required: false },
    responses: {
      200: { description: 'The order after the cancel (CANCELED, or FILLED/EXPIRED when that came first)', schema: r.orderResponse, example: { ...order, status: 'CANCELED' } },
      202: {
        description: 'Cancel requested, not yet confirmed by the venue within ORDER_CANCEL_WAIT (or the order is UNKNOWN and is cancelled as soon as the venue shows it); follow GET /v1/orders/{id}',
        schema: r.orderCancelPendingResponse,
        example: { ...order, status: 'PENDING_CANCEL', cancel: 'pending', message: 'Cancel requested; the venue has not confirmed it yet. Follow GET /v1/orders/{id}.' },
      },
    },
    errors: { ...auth401, ...badBody, 404: 'No such order of yours', 409: 'The order is already final, or the venue refused the cancel (the message says why)' },
  },

  {
    method: 'post', path: '/v1/trades', tag: 'portfolio', auth: 'bearer', summary: 'Record a trade made elsewhere',
    headers: [{ name: 'Idempotency-Key', required: false, description: 'Same key and body → the same trade (200)', schema: z.string().max(255), example: 'trade-1' }],
    body: { schema: createTradeSchema, example: { symbol: 'AAPL', side: 'BUY', quantity: '10', price: '189.5', fee: '1', feeAsset: 'USD', executedAt: NOW } },
    responses: {
      201: { description: 'Recorded', schema: r.tradeResponse, example: { id: ORDER_ID, venue: 'manual', symbol: 'AAPL', side: 'BUY', quantity: '10', price: '189.5', fee: '1', feeAsset: 'USD', executedAt: NOW, createdAt: NOW, links: { portfolio: '/v1/portfolio', positions: '/v1/positions' }, workflowId: `portfolio-${ACCOUNT_ID}` } },
      200: { description: 'A replay of an Idempotency-Key', schema: r.tradeResponse },
    },
    errors: { ...auth401, ...badBody },
  },
  {
    method: 'get', path: '/v1/trades', tag: 'portfolio', auth: 'bearer', summary: 'Every trade your portfolio is built from (order fills and manual trades)',
    query: listTradesQuery,
    responses: { 200: { description: 'A page, newest execution first', schema: r.ledgerResponse, example: { data: [{ venue: 'paper', tradeId: '17', orderId: ORDER_ID, symbol: 'BTCUSDT', side: 'BUY', quantity: '0.01', price: '60000', fee: '0.6', feeAsset: 'USDT', executedAt: NOW }], nextCursor: null } } },
    errors: { ...auth401, 400: 'cursor is not one this API returned', 422: 'An unknown or malformed query parameter' },
  },
  {
    method: 'get', path: '/v1/portfolio', tag: 'portfolio', auth: 'bearer', summary: 'Your portfolio\'s latest totals',
    responses: { 200: { description: 'Totals', schema: r.portfolioResponse, example: portfolio } },
    errors: { ...auth401, 422: 'The portfolio cannot be computed (e.g. a sell larger than the holding)' },
  },
  {
    method: 'get', path: '/v1/portfolio/history', tag: 'portfolio', auth: 'bearer', summary: 'Your portfolio\'s value over time',
    query: portfolioHistoryQuery,
    responses: { 200: { description: 'Snapshots, oldest first', schema: r.portfolioHistoryResponse, example: { baseCurrency: 'USD', data: [{ at: NOW, totalValue: '10250.5', totalCost: '9800', realizedPnl: '120', unrealizedPnl: '450.5', feesPaid: '9.8', roiPct: '5.83', trades: '12' }], nextCursor: null } } },
    errors: { ...auth401, 400: 'cursor is not one this API returned', 422: 'A malformed query parameter' },
  },
  {
    method: 'post', path: '/v1/portfolio/recalculate', tag: 'portfolio', auth: 'bearer', summary: 'Recompute your portfolio from every trade now',
    body: { schema: recalculateBody, example: {}, required: false },
    responses: { 200: { description: 'The fresh result with positions', schema: r.portfolioResponse, example: { ...portfolio, positions: [] } } },
    errors: { ...auth401, ...badBody },
  },
  {
    method: 'get', path: '/v1/portfolio/settings', tag: 'portfolio', auth: 'bearer', summary: 'Your accounting method',
    responses: { 200: { description: 'The method', schema: r.settingsResponse, example: { method: 'average' } } },
    errors: auth401,
  },
  {
    method: 'put', path: '/v1/portfolio/settings', tag: 'portfolio', auth: 'bearer', summary: 'Switch the accounting method (full recompute)',
    body: { schema: portfolioSettingsSchema, example: { method: 'fifo' } },
    responses: { 200: { description: 'The method and the recomputed portfolio', schema: r.settingsResponse, example: { method: 'fifo', portfolio } } },
    errors: { ...auth401, ...badBody },
  },
  {
    method: 'get', path: '/v1/positions', tag: 'portfolio', auth: 'bearer', summary: 'Your open positions',
    responses: { 200: { description: 'Positions', schema: r.positionsResponse, example: [{ symbol: 'BTCUSDT', venue: 'paper', quoteAsset: 'USDT', quantity: '0.01', avgCost: '60000', marketPrice: '61000', priceSource: 'binance', marketValue: '610', costBasis: '600', unrealizedPnl: '10', realizedPnl: '0', feesPaid: '0.6', allocationPct: '100' }] } },
    errors: auth401,
  },

  {
    method: 'get', path: '/v1/prices', tag: 'market data', auth: 'bearer', summary: 'Latest stored prices',
    query: pricesQuery,
    responses: { 200: { description: 'One entry per symbol; never priced: nulls and stale', schema: r.pricesResponse, example: [{ symbol: 'BTCUSDT', price: '61000.5', source: 'binance', asOf: NOW, stale: false }] } },
    errors: { ...auth401, 422: 'symbols missing, malformed or more than 100' },
  },
  {
    method: 'get', path: '/v1/prices/:symbol/history', tag: 'market data', auth: 'bearer', summary: 'Candles from stored prices, backfilled from the provider once',
    params: { symbol: { schema: marketSymbol, description: 'Symbol', example: 'BTCUSDT' } },
    query: candlesQuery,
    responses: { 200: { description: 'Candles', schema: r.candlesResponse, example: { symbol: 'BTCUSDT', interval: '1h', from: NOW, to: NOW, candles: [{ t: NOW, open: '61000', high: '61200', low: '60900', close: '61100' }], backfill: null } } },
    errors: { ...auth401, 404: 'The provider does not list the symbol', 422: 'A malformed symbol or range', 502: 'The provider did not answer', 503: 'The provider is rate limiting' },
  },
  {
    method: 'get', path: '/v1/watchlist', tag: 'market data', auth: 'bearer', summary: 'The symbols you follow',
    responses: { 200: { description: 'Symbols', schema: r.watchlistResponse, example: { symbols: ['BTCUSDT', 'AAPL'] } } },
    errors: auth401,
  },
  {
    method: 'put', path: '/v1/watchlist', tag: 'market data', auth: 'bearer', summary: 'Replace the symbols you follow',
    body: { schema: putWatchlistBody, example: { symbols: ['BTCUSDT', 'AAPL'] } },
    responses: { 200: { description: 'The new list', schema: r.watchlistResponse, example: { symbols: ['BTCUSDT', 'AAPL'] } } },
    errors: { ...auth401, ...badBody, 502: 'The provider that must vouch for a new symbol did not answer' },
  },

  {
    method: 'get', path: '/v1/schedules/:name', tag: 'schedules', auth: 'bearer', summary: 'A Temporal Schedule of the engine',
    params: scheduleParam,
    responses: { 200: { description: 'Its state', schema: r.scheduleResponse, example: schedule } },
    errors: { ...auth401, 404: 'No such schedule' },
  },
  {
    method: 'post', path: '/v1/schedules/:name/pause', tag: 'schedules', auth: 'bearer', summary: 'Pause a schedule (operators only)',
    params: scheduleParam,
    body: { schema: noteBody, example: { note: 'maintenance' }, required: false },
    responses: { 200: { description: 'Its state after', schema: r.scheduleResponse, example: { ...schedule, paused: true, note: 'maintenance' } } },
    errors: { ...auth401, ...badBody, 403: 'Not an operator (OPERATOR_EMAILS)', 404: 'No such schedule' },
  },
  {
    method: 'post', path: '/v1/schedules/:name/resume', tag: 'schedules', auth: 'bearer', summary: 'Resume a schedule (operators only)',
    params: scheduleParam,
    body: { schema: noteBody, example: { note: 'back' }, required: false },
    responses: { 200: { description: 'Its state after', schema: r.scheduleResponse, example: schedule } },
    errors: { ...auth401, ...badBody, 403: 'Not an operator (OPERATOR_EMAILS)', 404: 'No such schedule' },
  },
  {
    method: 'get', path: '/v1/stream', tag: 'stream', auth: 'bearer', summary: 'WebSocket push of prices and your orders',
    description: 'Upgrade with `Authorization: Bearer <token>` or `?token=<token>` (browsers). Send `{"type":"subscribe","channel":"prices","symbols":["BTCUSDT"]}` or `{"type":"subscribe","channel":"orders"}`; receive `price` and `order` frames (only your own orders). A missing or refused token ends the upgrade with 401.',
    query: z.object({ token: z.string().optional().describe('The access token, for browsers') }),
    responses: { 101: { description: 'Switching to WebSocket' } },
    errors: auth401,
  },

  {
    method: 'post', path: '/codec/decode', tag: 'codec server', auth: 'codec', summary: 'Decrypt payloads for the Temporal Web UI and CLI (operators only)',
    description: 'Needs `X-Namespace` equal to the engine\'s namespace. Browsers: only from CODEC_CORS_ORIGINS, with the `dt_codec` cookie ("Include cross-origin credentials"). CLI: `--codec-endpoint http://localhost:3000/codec --codec-auth "Bearer <token>"`.',
    headers: [{ name: 'X-Namespace', required: true, description: 'The Temporal namespace', schema: z.string(), example: 'default' }],
    body: { schema: r.codecBody, example: { payloads: [{ metadata: { encoding: 'YmluYXJ5L2VuY3J5cHRlZA==', 'encryption-key-id': 'bG9jYWwx' }, data: 'q83vEjRW…' }] } },
    responses: { 200: { description: 'The payloads, decrypted', schema: r.codecBody, example: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJvcmRlcklkIjoi…' }] } } },
    errors: { ...auth401, 400: 'Body is not {payloads: [...]}', 403: 'Not an operator, another namespace, or an origin not in CODEC_CORS_ORIGINS', 422: 'A payload was encrypted with an unknown key or altered', 503: 'This instance has no PAYLOAD_KEYS' },
  },
  {
    method: 'post', path: '/codec/encode', tag: 'codec server', auth: 'codec', summary: 'Encrypt payloads (for the UI\'s and CLI\'s signal, start and query inputs)',
    headers: [{ name: 'X-Namespace', required: true, description: 'The Temporal namespace', schema: z.string(), example: 'default' }],
    body: { schema: r.codecBody, example: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJyZWFzb24iOiJ0ZXN0In0=' }] } },
    responses: { 200: { description: 'The payloads, encrypted', schema: r.codecBody, example: { payloads: [{ metadata: { encoding: 'YmluYXJ5L2VuY3J5cHRlZA==', 'encryption-key-id': 'bG9jYWwx' }, data: 'xL1q9Jv0…' }] } } },
    errors: { ...auth401, 400: 'Body is not {payloads: [...]}', 403: 'Not an operator, another namespace, or an origin not in CODEC_CORS_ORIGINS', 503: 'This instance has no PAYLOAD_KEYS' },
  },
  {
    method: 'get', path: '/codec/login', tag: 'codec server', auth: 'none', summary: 'Sign-in page that sets the codec cookie in this browser',
    responses: { 200: { description: 'HTML, self-contained', contentType: 'text/html' } },
    errors: {},
  },
  {
    method: 'get', path: '/codec/session', tag: 'codec server', auth: 'codec', summary: 'Who the codec cookie signs in',
    responses: { 200: { description: 'The session', schema: r.codecSessionResponse, example: { email: 'ops@example.com', operator: true, expiresAt: NOW } } },
    errors: auth401,
  },
  {
    method: 'post', path: '/codec/session', tag: 'codec server', auth: 'none', summary: 'Sign in: sets the HttpOnly dt_codec cookie (Path=/codec, SameSite=Strict)',
    body: { schema: loginSchema, example: { email: 'ops@example.com', password: 'correct horse battery staple' } },
    responses: { 200: { description: 'Signed in', schema: r.codecSessionResponse, headers: { 'Set-Cookie': 'dt_codec=<token>; Path=/codec; HttpOnly; SameSite=Strict' }, example: { email: 'ops@example.com', operator: true, expiresAt: NOW } } },
    errors: { ...badBody, 401: 'Email or password is wrong', 429: 'Too many attempts (Retry-After)' },
  },
  {
    method: 'delete', path: '/codec/session', tag: 'codec server', auth: 'none', summary: 'Sign out: clears the cookie',
    responses: { 204: { description: 'Cleared' } },
    errors: {},
  },
];
