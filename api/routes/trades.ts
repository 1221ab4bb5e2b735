/**
 * /v1/trades: record a trade made elsewhere (venue "manual" in the accounting), and list every
 * trade the portfolio is built from (order fills and manual trades), newest execution first.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { findTradeByKey, insertTrade, listLedger, lockManualSymbol, manualTradesOf, toTrade, type LedgerRow, type NewTrade, type TradeRow } from '../../store/trades.js';
import { InsufficientPositionError, InvalidInputError, recompute } from '../../domain/portfolio/accounting.js';
import { createWorkflowClients } from '../../workflows/clients.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { portfolioWorkflowId } from '../../workflows/definitions.js';
import { decodeCursor, encodeCursor, pageOf } from '../cursor.js';
import { ApiError } from '../errors.js';
import { bearerAuth, errors, json, noQuery } from '../openapi/responses.js';
import { accountIdOf } from '../principal.js';
import { createRouter } from '../router.js';
import { idempotencyHeaders } from '../schemas/orders.js';
import { createTradeSchema, ledgerPageSchema, listTradesQuery, tradeSchema } from '../schemas/portfolio.js';

export interface TradeRoutesOptions {
  config: Config;
  sql: Sql;
  temporal: Client;
}

const NOW = '2025-05-01T14:30:00.000Z';
const TRADE_ID = '0b6f3c1e-5d2a-4c1b-9f0e-6a7d8c9b0a12';
const exampleTrade = {
  id: TRADE_ID,
  venue: 'manual',
  symbol: 'AAPL',
  side: 'BUY',
  quantity: '10',
  price: '189.5',
  fee: '1',
  feeAsset: 'USD',
  executedAt: NOW,
  createdAt: NOW,
  links: { portfolio: '/v1/portfolio', positions: '/v1/positions' },
  workflowId: 'portfolio-7e57a1c3-2b4d-4e6f-8a9b-0c1d2e3f4a5b',
} as const;

const recordTrade = createRoute({
  method: 'post',
  path: '/',
  tags: ['portfolio'],
  operationId: 'recordTrade',
  summary: 'Record a trade made elsewhere',
  security: bearerAuth,
  request: {
    query: noQuery,
    headers: idempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: createTradeSchema, example: { symbol: 'AAPL', side: 'BUY', quantity: '10', price: '189.5', fee: '1', feeAsset: 'USD', executedAt: NOW } } } },
  },
  responses: {
    201: json('Recorded', tradeSchema, exampleTrade),
    200: json('A replay of an Idempotency-Key: the trade recorded the first time', tradeSchema, exampleTrade),
    ...errors(
      { auth: true, body: true },
      { 400: 'Idempotency-Key is not 1-255 printable ASCII characters', 422: 'A SELL of more than was held at its time, or an Idempotency-Key reused with another body' },
    ),
  },
});

const listTrades = createRoute({
  method: 'get',
  path: '/',
  tags: ['portfolio'],
  operationId: 'listTrades',
  summary: 'Every trade your portfolio is built from (order fills and manual trades)',
  security: bearerAuth,
  request: { query: listTradesQuery },
  responses: {
    200: json('A page, newest execution first', ledgerPageSchema, {
      data: [{ venue: 'paper', tradeId: '17', orderId: TRADE_ID, symbol: 'BTCUSDT', side: 'BUY', quantity: '0.01', price: '60000', fee: '0.6', feeAsset: 'USDT', executedAt: NOW }],
      nextCursor: null,
    }),
    ...errors({ auth: true }, { 400: 'cursor is not one this API returned' }),
  },
});

/**
 * Replays the symbol's manual trades with `next` among them through the accounting core: a SELL
 * of more than is held at its execution time, or one that leaves a later SELL short, throws
 * InsufficientPositionError. Both methods hold the same quantities, so average cost decides.
 */
function assertAcceptable(history: LedgerRow[], next: NewTrade): void {
  recompute([
    ...history.map(toTrade),
    {
      id: `manual:${next.id}`,
      symbol: next.symbol,
      venue: 'manual',
      side: next.side,
      quantity: next.quantity,
      price: next.price,
      fee: next.fee,
      feeAsset: next.feeAsset,
      executedAt: next.executedAt.toISOString(),
    },
  ]);
}

function present(t: TradeRow) {
  return {
    id: t.id,
    venue: 'manual' as const,
    symbol: t.symbol,
    side: t.side,
    quantity: t.quantity,
    price: t.price,
    fee: t.fee,
    feeAsset: t.fee_asset,
    executedAt: t.executed_at.toISOString(),
    createdAt: t.created_at.toISOString(),
    links: { portfolio: '/v1/portfolio' as const, positions: '/v1/positions' as const },
  };
}

const isUniqueViolation = (err: unknown) => typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';

/**
 * @example app.route('/v1/trades', tradeRoutes({ config, sql, temporal }))
 */
export function tradeRoutes({ config, sql, temporal }: TradeRoutesOptions) {
  const { portfolios } = createWorkflowClients(temporal, config);
  return createRouter()
    .openapi(recordTrade, async (c) => {
      const body = c.req.valid('json');
      const accountId = accountIdOf(c);
      const key = c.req.valid('header')['Idempotency-Key'];
      const requestHash = key === undefined ? undefined : createHash('sha256').update(JSON.stringify(body)).digest('hex');
      const trade: NewTrade = {
        id: randomUUID(),
        symbol: body.symbol,
        side: body.side,
        quantity: body.quantity,
        price: body.price,
        fee: body.fee ?? '0',
        feeAsset: body.feeAsset ?? null,
        executedAt: body.executedAt ? new Date(body.executedAt) : new Date(),
        idempotencyKey: key,
        requestHash,
      };

      let outcome: { row: TradeRow; replay: boolean };
      try {
        // Under the (account, symbol) lock the holding cannot change between the check and the insert.
        outcome = await sql.begin(async (tx) => {
          await lockManualSymbol(tx, accountId, trade.symbol);
          const earlier = key === undefined ? undefined : await findTradeByKey(tx, accountId, key);
          if (earlier) return { row: earlier, replay: true };
          assertAcceptable(await manualTradesOf(tx, accountId, trade.symbol), trade);
          return { row: await insertTrade(tx, accountId, trade), replay: false };
        });
      } catch (err) {
        if (err instanceof InsufficientPositionError) {
          throw new ApiError(422, 'insufficient_position', err.message, { symbol: err.symbol, held: err.held, requested: err.requested });
        }
        if (err instanceof InvalidInputError) throw new ApiError(422, 'invalid_trade', err.message);
        // The same key used concurrently for another symbol (another lock): the first one won.
        const winner = key !== undefined && isUniqueViolation(err) ? await findTradeByKey(sql, accountId, key) : undefined;
        if (!winner) throw err;
        outcome = { row: winner, replay: true };
      }
      if (outcome.replay && outcome.row.request_hash !== requestHash) {
        throw new ApiError(422, 'idempotency_key_reused', 'Idempotency-Key was already used with a different request body; use a new key for a new trade');
      }
      // Also on a replay: the first attempt may have stored the trade and failed before this.
      await portfolios.fillsRecorded(accountId, { source: 'manual' });
      return c.json({ ...present(outcome.row), workflowId: portfolioWorkflowId(accountId) }, outcome.replay ? 200 : 201);
    })

    .openapi(listTrades, async (c) => {
      const q = c.req.valid('query');
      const cursor = q.cursor ? decodeCursor(q.cursor, (k) => /^\d{1,19}$/.test(k)) : undefined;
      const before = cursor && { executedAt: cursor.at, seq: cursor.key };
      const rows = await listLedger(sql, accountIdOf(c), { symbol: q.symbol, venue: q.venue, limit: q.limit, before });
      const { page, nextCursor } = pageOf(rows, q.limit, (r) => encodeCursor(r.executed_at, r.ledger_seq));
      return c.json({
        data: page.map((r) => ({
          venue: r.venue,
          tradeId: r.trade_id,
          orderId: r.order_id,
          symbol: r.symbol,
          side: r.side,
          quantity: r.quantity,
          price: r.price,
          fee: r.fee,
          feeAsset: r.fee_asset,
          executedAt: r.executed_at.toISOString(),
        })),
        nextCursor,
      }, 200);
    });
}
