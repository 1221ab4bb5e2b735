/**
 * Schemas of what the API answers, for the OpenAPI document only (the handlers build these
 * shapes; the docs test checks a few real answers against them).
 */
import { z } from 'zod';

const decimal = z.string().describe('Decimal as a string, e.g. "0.01"');
const time = z.string().describe('ISO-8601 UTC time');
const nullableDecimal = decimal.nullable();

export const healthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  temporal: z.enum(['ok', 'down']),
  postgres: z.enum(['ok', 'down']),
  reasons: z.record(z.string(), z.string()).optional(),
});

export const signedInResponse = z.object({
  token: z.string().describe('JWT access token; send as Authorization: Bearer <token>'),
  tokenType: z.literal('Bearer'),
  expiresAt: time,
  user: z.object({ id: z.uuid(), email: z.string() }),
});

export const meResponse = z.object({ id: z.uuid(), email: z.string(), createdAt: time });

export const credentialStatusResponse = z.object({ configured: z.boolean(), apiKeyLast4: z.string().nullable() });

const links = z.object({ self: z.string(), temporalUi: z.string().describe('The workflow history in the Temporal Web UI') });

export const orderAcceptedResponse = z.object({ id: z.uuid(), status: z.string(), workflowId: z.string(), runId: z.string(), links });

export const orderResponse = z.object({
  id: z.uuid(),
  symbol: z.string(),
  side: z.enum(['BUY', 'SELL']),
  type: z.string(),
  venue: z.enum(['paper', 'binance']),
  timeInForce: z.string().nullable(),
  quantity: decimal,
  price: nullableDecimal,
  stopPrice: nullableDecimal,
  status: z.string().describe('RECEIVED, PENDING_NEW, UNKNOWN (submission had no clear answer; looked for on the venue until it shows), NEW, PARTIALLY_FILLED, PENDING_CANCEL, FILLED, CANCELED, REJECTED or EXPIRED'),
  executedQty: decimal,
  cumulativeQuoteQty: decimal,
  clientOrderId: z.string(),
  exchangeOrderId: z.string().nullable(),
  rejectCode: z.string().nullable(),
  rejectReason: z.string().nullable(),
  workflowId: z.string(),
  createdAt: time,
  updatedAt: time,
  links,
});

export const orderCancelPendingResponse = orderResponse.extend({
  cancel: z.literal('pending'),
  message: z.string().describe('What happens next and where to follow it'),
});

export const orderDetailResponse = orderResponse.extend({
  fills: z.array(z.object({ tradeId: z.string(), price: decimal, quantity: decimal, commission: decimal, commissionAsset: z.string().nullable(), executedAt: time })),
  events: z.array(z.object({ seq: z.number().int(), status: z.string(), cause: z.string(), detail: z.record(z.string(), z.unknown()), at: time })),
});

export const orderListResponse = z.object({ data: z.array(orderResponse), nextCursor: z.string().nullable() });

/** A venue order the reconciler found open under the account that the engine never placed. */
export const externalOrderListResponse = z.object({
  data: z.array(
    z.object({
      origin: z.literal('EXTERNAL'),
      venue: z.enum(['paper', 'binance']),
      symbol: z.string(),
      side: z.enum(['BUY', 'SELL']),
      type: z.string(),
      price: nullableDecimal,
      quantity: decimal,
      executedQty: decimal,
      status: z.string().describe('The venue\'s status when last seen open'),
      open: z.boolean().describe('Still listed among the venue\'s open orders at the latest reconciliation'),
      clientOrderId: z.string(),
      exchangeOrderId: z.string(),
      firstSeen: time,
      lastSeen: time,
      closedAt: time.nullable().describe('The first reconciliation that no longer found it open'),
    }),
  ),
  nextCursor: z.string().nullable(),
});

/** What every ledger entry says, manual trade or order fill. */
const ledgerEntryFields = {
  symbol: z.string(),
  side: z.enum(['BUY', 'SELL']),
  quantity: decimal,
  price: decimal,
  fee: decimal,
  feeAsset: z.string().nullable(),
  executedAt: time,
};

export const tradeResponse = z.object({
  id: z.uuid(),
  venue: z.literal('manual'),
  ...ledgerEntryFields,
  createdAt: time,
  links: z.object({ portfolio: z.string(), positions: z.string() }),
  workflowId: z.string(),
});

export const ledgerResponse = z.object({
  data: z.array(
    z.object({
      venue: z.enum(['paper', 'binance', 'manual']),
      tradeId: z.string(),
      orderId: z.string().nullable(),
      ...ledgerEntryFields,
    }),
  ),
  nextCursor: z.string().nullable(),
});

/** The portfolio's main figures; the answer carries more (see the example). */
export const portfolioResponse = z.looseObject({
  baseCurrency: z.string(),
  totalValue: decimal,
  totalCost: decimal,
  realizedPnl: decimal,
  unrealizedPnl: decimal,
  feesPaid: decimal,
  roiPct: decimal,
  method: z.enum(['average', 'fifo']),
  asOf: time,
  workflowId: z.string(),
});

export const positionsResponse = z.array(
  z.looseObject({ symbol: z.string(), venue: z.string(), quantity: decimal, avgCost: decimal, marketPrice: nullableDecimal, marketValue: nullableDecimal, unrealizedPnl: nullableDecimal }),
);

export const portfolioHistoryResponse = z.object({
  baseCurrency: z.string(),
  data: z.array(z.looseObject({ at: time, totalValue: decimal, totalCost: decimal, realizedPnl: decimal, unrealizedPnl: decimal, roiPct: decimal })),
  nextCursor: z.string().nullable(),
});

export const settingsResponse = z.looseObject({ method: z.enum(['average', 'fifo']) });

const priceView = z.object({ symbol: z.string(), price: nullableDecimal, source: z.string().nullable(), asOf: time.nullable(), stale: z.boolean() });
export const pricesResponse = z.array(priceView);

export const candlesResponse = z.object({
  symbol: z.string(),
  interval: z.enum(['1m', '1h', '1d']),
  from: time,
  to: time,
  candles: z.array(z.object({ t: time, open: decimal, high: decimal, low: decimal, close: decimal })),
  backfill: z.unknown().describe('null, {provider, stored} or {provider, error}'),
});

export const watchlistResponse = z.object({ symbols: z.array(z.string()) });

export const scheduleResponse = z.object({
  name: z.string(),
  scheduleId: z.string(),
  paused: z.boolean(),
  note: z.string().nullable(),
  intervalMs: z.number().nullable(),
  overlap: z.string(),
  catchupWindowMs: z.number(),
  nextRunTimes: z.array(time),
  recentRuns: z.array(z.object({ scheduledAt: time, startedAt: time, workflowId: z.string() })),
  runsTaken: z.number(),
  runsSkippedOverlap: z.number(),
});

const jsonPayload = z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() }).describe('A Temporal Payload in proto3 JSON (base64 values)');
export const codecBody = z.object({ payloads: z.array(jsonPayload) });
export const codecSessionResponse = z.object({ email: z.string(), operator: z.boolean(), expiresAt: time });
