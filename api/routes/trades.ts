/**
 * /v1/trades: record a trade made elsewhere (venue "manual" in the accounting), and list every
 * trade the portfolio is built from (order fills and manual trades), newest execution first.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Client } from '@temporalio/client';
import { findTradeByKey, insertTrade, listLedger, lockManualSymbol, manualTradesOf, toTrade, type LedgerRow, type NewTrade, type TradeRow } from '../../activities/db/trades.js';
import { InsufficientPositionError, InvalidInputError, recompute } from '../../activities/portfolio/accounting.js';
import { signalFillsRecorded } from '../../activities/portfolio/portfolio-activities.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { portfolioWorkflowId } from '../../workflows/definitions.js';
import { decodeCursor, encodeCursor, pageOf } from '../cursor.js';
import { ApiError } from '../errors.js';
import { accountIdOf } from '../principal.js';
import { createTradeSchema, listTradesQuery } from '../schemas/portfolio.js';
import { readJson } from '../validation.js';

export interface TradeRoutesOptions {
  config: Config;
  sql: Sql;
  temporal: Client;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

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
    links: { portfolio: '/v1/portfolio', positions: '/v1/positions' },
  };
}

const isUniqueViolation = (err: unknown) => typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';

/**
 * @example app.route('/v1/trades', tradeRoutes({ config, sql, temporal }))
 */
export function tradeRoutes({ config, sql, temporal }: TradeRoutesOptions) {
  return new Hono()
    .post('/', async (c) => {
      const body = createTradeSchema.parse(await readJson(c));
      const accountId = accountIdOf(c);
      const key = c.req.header('Idempotency-Key');
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw new ApiError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 printable ASCII characters');
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
      await signalFillsRecorded(temporal, config, accountId, { source: 'manual' });
      return c.json({ ...present(outcome.row), workflowId: portfolioWorkflowId(accountId) }, outcome.replay ? 200 : 201);
    })

    .get('/', async (c) => {
      const q = listTradesQuery.parse(c.req.query());
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
      });
    });
}
