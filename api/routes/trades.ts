/**
 * /v1/trades: record a trade made elsewhere (venue "manual" in the accounting), and list every
 * trade the portfolio is built from (order fills and manual trades), newest execution first.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import {
  findTrade,
  findTradeByKey,
  findVoidOf,
  insertTrade,
  ledgerTradesAfter,
  listLedger,
  manualTradesOf,
  withoutVoided,
  type LedgerTrade,
  type NewTrade,
  type TradeRow,
} from '../../store/trades.js';
import { findPortfolio, lockPortfolioEntries } from '../../store/portfolio-books.js';
import { pricesOf } from '../../store/portfolio.js';
import { InsufficientCashError, InsufficientPositionError, InvalidInputError, recompute } from '../../domain/portfolio/accounting.js';
import { createWorkflowClients } from '../../workflows/clients.js';
import type { Config } from '../../lib/config.js';
import { isUniqueViolation, type Queryable, type Sql } from '../../lib/db.js';
import { portfolioWorkflowId } from '../../workflows/definitions.js';
import { decodeCursor, encodeCursor, pageOf } from '../cursor.js';
import { ApiError } from '../errors.js';
import { bearerAuth, errors, json, noQuery } from '../openapi/responses.js';
import { accountIdOf } from '../principal.js';
import { createRouter } from '../router.js';
import { portfolioChooser, portfolioNotFound } from '../portfolio-choice.js';
import { uuidParam } from '../schemas/common.js';
import { idempotencyHeaders } from '../schemas/orders.js';
import { createTradeSchema, ledgerPageSchema, listTradesQuery, tradeSchema } from '../schemas/portfolio.js';

export interface TradeRoutesOptions {
  config: Config;
  sql: Sql;
  temporal: Client;
}

const NOW = '2025-05-01T14:30:00.000Z';
const TRADE_ID = '0b6f3c1e-5d2a-4c1b-9f0e-6a7d8c9b0a12';
const ACCOUNT_ID = '7e57a1c3-2b4d-4e6f-8a9b-0c1d2e3f4a5b';
const noCash = { amount: null, currency: null, ratio: null, voids: null, voidedBy: null, note: null };
const exampleTrade = {
  id: TRADE_ID,
  venue: 'manual',
  portfolioId: ACCOUNT_ID,
  kind: 'BUY',
  symbol: 'AAPL',
  side: 'BUY',
  quantity: '10',
  price: '189.5',
  fee: '1',
  feeAsset: 'USD',
  ...noCash,
  executedAt: NOW,
  createdAt: NOW,
  links: { portfolio: `/v1/portfolios/${ACCOUNT_ID}`, positions: `/v1/portfolios/${ACCOUNT_ID}/positions`, void: `/v1/trades/${TRADE_ID}/void` },
  workflowId: `portfolio-${ACCOUNT_ID}`,
} as const;

const entryExamples = {
  buy: { summary: 'A trade (kind BUY or SELL; `side` works too)', value: { kind: 'BUY', symbol: 'AAPL', quantity: '10', price: '189.5', fee: '1', feeAsset: 'USD', executedAt: NOW } },
  dividend: { summary: 'A dividend received on a held symbol', value: { kind: 'DIVIDEND', symbol: 'AAPL', amount: '9.6', currency: 'USD', executedAt: NOW } },
  deposit: { summary: 'Cash brought into a portfolio', value: { kind: 'DEPOSIT', amount: '10000', currency: 'USD', portfolioId: ACCOUNT_ID } },
  withdrawal: { summary: 'Cash taken out (at most the cash held then)', value: { kind: 'WITHDRAWAL', amount: '500', currency: 'USD' } },
  fee: { summary: 'A fee not tied to a trade, e.g. custody', value: { kind: 'FEE', amount: '4.99', currency: 'USD', note: 'custody, May' } },
  split: { summary: 'A 4-for-1 stock split', value: { kind: 'SPLIT', symbol: 'AAPL', ratio: '4', executedAt: NOW } },
};

const recordTrade = createRoute({
  method: 'post',
  path: '/',
  tags: ['portfolio'],
  operationId: 'recordTrade',
  summary: 'Record a trade made elsewhere, a dividend, a deposit, a withdrawal, a fee or a split',
  description:
    'Every entry goes to a portfolio (your default one unless `portfolioId` names another). Entries are never edited or deleted: ' +
    'POST /v1/trades/{id}/void records a reversing entry instead. A dividend is income: it adds cash and counts in the return, and does not lower the cost basis.',
  security: bearerAuth,
  request: {
    query: noQuery,
    headers: idempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: createTradeSchema, examples: entryExamples } } },
  },
  responses: {
    201: json('Recorded', tradeSchema, exampleTrade),
    200: json('A replay of an Idempotency-Key: the entry recorded the first time', tradeSchema, exampleTrade),
    ...errors(
      { auth: true, body: true },
      {
        400: 'Idempotency-Key is not 1-255 printable ASCII characters',
        404: 'portfolioId names no portfolio of yours',
        422: 'A SELL of more than was held at its time, a dividend or split on a symbol not held then, a split ratio of 0, a withdrawal beyond the cash held then, or an Idempotency-Key reused with another body',
      },
    ),
  },
});

const voidTrade = createRoute({
  method: 'post',
  path: '/{id}/void',
  tags: ['portfolio'],
  operationId: 'voidTrade',
  summary: 'Correct a manual entry by reversing it',
  description: 'Records a VOID entry that cancels the entry: the portfolio is recomputed as if it had never been. Both stay in the history. Voiding twice answers the first VOID (200).',
  security: bearerAuth,
  request: { query: noQuery, params: z.object({ id: uuidParam }) },
  responses: {
    201: json('The reversing entry', tradeSchema, { ...exampleTrade, id: 'f1c2d3e4-5a6b-4c7d-8e9f-0a1b2c3d4e5f', kind: 'VOID', side: 'VOID', voids: TRADE_ID, executedAt: NOW }),
    200: json('The entry was already voided: its VOID', tradeSchema, { ...exampleTrade, id: 'f1c2d3e4-5a6b-4c7d-8e9f-0a1b2c3d4e5f', kind: 'VOID', side: 'VOID', voids: TRADE_ID }),
    ...errors({ auth: true }, { 404: 'No manual entry with this id in your account', 422: 'A VOID cannot be voided, or without the entry a later SELL, withdrawal, dividend or split would no longer hold' }),
  },
});

const listTrades = createRoute({
  method: 'get',
  path: '/',
  tags: ['portfolio'],
  operationId: 'listTrades',
  summary: 'Every entry your portfolios are built from (order fills, manual trades, cash entries, corrections)',
  security: bearerAuth,
  request: { query: listTradesQuery },
  responses: {
    200: json('A page, newest execution first', ledgerPageSchema, {
      data: [
        { venue: 'paper', tradeId: '17', orderId: TRADE_ID, portfolioId: ACCOUNT_ID, kind: 'BUY', symbol: 'BTCUSDT', side: 'BUY', quantity: '0.01', price: '60000', fee: '0.6', feeAsset: 'USDT', ...noCash, executedAt: NOW },
        { venue: 'manual', tradeId: TRADE_ID, orderId: null, portfolioId: ACCOUNT_ID, kind: 'DIVIDEND', symbol: 'AAPL', side: 'DIVIDEND', quantity: null, price: null, fee: '0', feeAsset: null, ...noCash, amount: '9.6', currency: 'USD', executedAt: NOW },
      ],
      nextCursor: null,
    }),
    ...errors({ auth: true }, { 400: 'cursor is not one this API returned', 404: 'portfolioId names no portfolio of yours' }),
  },
});

/** The entry as the accounting reads it. */
function asTrade(t: NewTrade): LedgerTrade {
  return {
    id: `manual:${t.id}`,
    symbol: t.symbol ?? '',
    venue: 'manual',
    side: t.side,
    quantity: t.quantity ?? '0',
    price: t.price ?? '0',
    fee: t.fee,
    feeAsset: t.feeAsset,
    amount: t.amount,
    currency: t.currency,
    ratio: t.ratio,
    executedAt: t.executedAt.toISOString(),
    ledgerSeq: '0',
    voids: t.voids === null ? null : `manual:${t.voids}`,
  };
}


/**
 * Replays the portfolio's entries with the change through the accounting core, strictly: a SELL
 * beyond the holding, a withdrawal beyond cash, a dividend or split on nothing held throws. BUY/SELL
 * only need their symbol's manual entries (other symbols and the venues' positions are separate);
 * every other change replays the whole portfolio. A violation the history already had without
 * the change (e.g. a withdrawal that a back-dated purchase later left short, which the fold
 * carries as cash below zero) is not this change's doing and does not refuse it; a new one does.
 */
async function assertAcceptable(tx: Queryable, accountId: string, portfolioId: string, change: NewTrade): Promise<void> {
  const trade = change.side === 'BUY' || change.side === 'SELL';
  const history = trade
    ? await manualTradesOf(tx, accountId, portfolioId, change.symbol!)
    : await ledgerTradesAfter(tx, accountId, '0', 'executed', portfolioId);
  /** The entries the strict replay refuses, by id, with why; a SELL beyond the holding still throws. */
  const refused = (entries: LedgerTrade[]) => {
    const kept = withoutVoided(entries);
    const found = new Map<string, Error>();
    const scope = trade ? kept.filter((e) => e.symbol === change.symbol && e.side !== 'DIVIDEND') : kept;
    recompute(scope, 'average', { strictCash: true, onViolation: (id, error) => void found.set(id, error) });
    return found;
  };
  const withChange = refused([...history, asTrade(change)]);
  if (withChange.size === 0) return;
  const before = refused(history);
  for (const [id, error] of withChange) if (!before.has(id)) throw error;
}

function present(t: TradeRow, voidedBy: string | null = null) {
  return {
    id: t.id,
    venue: 'manual' as const,
    portfolioId: t.portfolio_id,
    kind: t.side,
    symbol: t.symbol,
    side: t.side,
    quantity: t.quantity,
    price: t.price,
    fee: t.fee,
    feeAsset: t.fee_asset,
    amount: t.amount,
    currency: t.currency,
    ratio: t.ratio,
    voids: t.voids,
    voidedBy,
    note: t.note,
    executedAt: t.executed_at.toISOString(),
    createdAt: t.created_at.toISOString(),
    links: { portfolio: `/v1/portfolios/${t.portfolio_id}`, positions: `/v1/portfolios/${t.portfolio_id}/positions`, void: `/v1/trades/${t.id}/void` },
    workflowId: portfolioWorkflowId(t.portfolio_id),
  };
}


/** Whether cash in `currency` can be valued: USD, USDT (1 when the feed lacks USDTUSD), or a currency with a `<C>USD` or `<C>USDT` price. */
async function hasUsdRate(sql: Sql, currency: string): Promise<boolean> {
  if (currency === 'USD' || currency === 'USDT') return true;
  return Object.keys(await pricesOf(sql, [`${currency}USD`, `${currency}USDT`])).length > 0;
}

/** The core's refusals, as our 422s. */
function refusal(err: unknown): ApiError | undefined {
  if (err instanceof InsufficientPositionError) {
    return new ApiError(422, 'insufficient_position', err.message, { symbol: err.symbol, held: err.held, requested: err.requested });
  }
  if (err instanceof InsufficientCashError) return new ApiError(422, 'insufficient_cash', err.message, { currency: err.currency, held: err.held, requested: err.requested });
  if (err instanceof InvalidInputError) return new ApiError(422, 'invalid_entry', err.message);
  return undefined;
}

/**
 * @example app.route('/v1/trades', tradeRoutes({ config, sql, temporal }))
 */
export function tradeRoutes({ config, sql, temporal }: TradeRoutesOptions) {
  const { portfolios } = createWorkflowClients(temporal, config);
  const portfolioFor = portfolioChooser(sql);
  return createRouter()
    .openapi(recordTrade, async (c) => {
      const body = c.req.valid('json');
      const accountId = accountIdOf(c);
      const key = c.req.valid('header')['Idempotency-Key'];
      const requestHash = key === undefined ? undefined : createHash('sha256').update(JSON.stringify(body)).digest('hex');
      const book = await portfolioFor(accountId, body.portfolioId);
      const entry: NewTrade = {
        id: randomUUID(),
        portfolioId: book.id,
        side: (body.kind ?? body.side)!,
        symbol: body.symbol ?? null,
        quantity: body.quantity ?? null,
        price: body.price ?? null,
        fee: body.fee ?? '0',
        feeAsset: body.feeAsset ?? null,
        amount: body.amount ?? null,
        currency: body.currency ?? null,
        ratio: body.ratio ?? null,
        voids: null,
        note: body.note ?? null,
        executedAt: body.executedAt ? new Date(body.executedAt) : new Date(),
        idempotencyKey: key,
        requestHash,
      };

      if (entry.currency !== null && !(await hasUsdRate(sql, entry.currency))) {
        throw new ApiError(422, 'unknown_currency', `No USD rate is known for ${entry.currency} (no ${entry.currency}USD or ${entry.currency}USDT price), so its cash could not be valued; record it in USD or USDT, or watch one of those symbols first`);
      }
      let outcome: { row: TradeRow; replay: boolean };
      try {
        // Under the portfolio's lock its entries cannot change between the check and the insert.
        outcome = await sql.begin(async (tx) => {
          await lockPortfolioEntries(tx, book.id);
          const earlier = key === undefined ? undefined : await findTradeByKey(tx, accountId, key);
          if (earlier) return { row: earlier, replay: true };
          // Deleted since it was looked up (deletion takes the same lock).
          if (!(await findPortfolio(tx, accountId, book.id))) throw portfolioNotFound(book.id);
          await assertAcceptable(tx, accountId, book.id, entry);
          return { row: await insertTrade(tx, accountId, entry), replay: false };
        });
      } catch (err) {
        const refused = refusal(err);
        if (refused) throw refused;
        // The same key used concurrently for another portfolio (another lock): the first one won.
        const winner = key !== undefined && isUniqueViolation(err) ? await findTradeByKey(sql, accountId, key) : undefined;
        if (!winner) throw err;
        outcome = { row: winner, replay: true };
      }
      if (outcome.replay && outcome.row.request_hash !== requestHash) {
        throw new ApiError(422, 'idempotency_key_reused', 'Idempotency-Key was already used with a different request body; use a new key for a new entry');
      }
      // Also on a replay: the first attempt may have stored the entry and failed before this.
      await portfolios.fillsRecorded(accountId, { source: 'manual' }, outcome.row.portfolio_id);
      return c.json(present(outcome.row), outcome.replay ? 200 : 201);
    })

    .openapi(voidTrade, async (c) => {
      const accountId = accountIdOf(c);
      const { id } = c.req.valid('param');
      const target = await findTrade(sql, accountId, id);
      if (!target) throw new ApiError(404, 'trade_not_found', `No manual entry ${id} in your account; GET /v1/trades?venue=manual lists them`);
      if (target.side === 'VOID') throw new ApiError(422, 'cannot_void_void', `Entry ${id} is itself a correction (it voids ${target.voids}); it cannot be voided`);
      const correction: NewTrade = {
        id: randomUUID(),
        portfolioId: target.portfolio_id,
        side: 'VOID',
        symbol: target.symbol,
        quantity: null,
        price: null,
        fee: '0',
        feeAsset: null,
        amount: null,
        currency: null,
        ratio: null,
        voids: target.id,
        note: null,
        executedAt: new Date(),
      };
      let outcome: { row: TradeRow; replay: boolean };
      try {
        outcome = await sql.begin(async (tx) => {
          await lockPortfolioEntries(tx, target.portfolio_id);
          const earlier = await findVoidOf(tx, target.id);
          if (earlier) return { row: earlier, replay: true };
          await assertAcceptable(tx, accountId, target.portfolio_id, correction);
          return { row: await insertTrade(tx, accountId, correction), replay: false };
        });
      } catch (err) {
        const refused = refusal(err);
        if (refused) throw new ApiError(422, 'void_refused', `Voiding entry ${id} would break the history after it: ${refused.message}`, refused.details);
        throw err;
      }
      await portfolios.fillsRecorded(accountId, { source: 'manual' }, outcome.row.portfolio_id);
      return c.json(present(outcome.row), outcome.replay ? 200 : 201);
    })

    .openapi(listTrades, async (c) => {
      const q = c.req.valid('query');
      if (q.portfolioId !== undefined) await portfolioFor(accountIdOf(c), q.portfolioId); // 404 for another account's
      const cursor = q.cursor ? decodeCursor(q.cursor, (k) => /^\d{1,19}$/.test(k)) : undefined;
      const before = cursor && { executedAt: cursor.at, seq: cursor.key };
      const rows = await listLedger(sql, accountIdOf(c), { portfolioId: q.portfolioId, kind: q.kind, symbol: q.symbol, venue: q.venue, limit: q.limit, before });
      const { page, nextCursor } = pageOf(rows, q.limit, (r) => encodeCursor(r.executed_at, r.ledger_seq));
      return c.json({
        data: page.map((r) => ({
          venue: r.venue,
          tradeId: r.trade_id,
          orderId: r.order_id,
          portfolioId: r.portfolio_id,
          kind: r.side,
          symbol: r.symbol,
          side: r.side,
          quantity: r.quantity,
          price: r.price,
          fee: r.fee,
          feeAsset: r.fee_asset,
          amount: r.amount,
          currency: r.currency,
          ratio: r.ratio,
          voids: r.voids,
          voidedBy: r.voided_by ?? null,
          note: r.note ?? null,
          executedAt: r.executed_at.toISOString(),
        })),
        nextCursor,
      }, 200);
    });
}
