/**
 * /v1/watchlist: the symbols an account follows; the price refresh keeps them current. A PUT
 * replaces the list. A symbol we have never priced is asked of its provider first: one the
 * provider does not know is refused (422), and its first price is stored right away.
 */
import { createRoute } from '@hono/zod-openapi';
import { latestPrices, storeQuotes } from '../../store/prices.js';
import type { PriceSources } from '../../venues/market-data/sources.js';
import type { Sql } from '../../lib/db.js';
import { ApiError } from '../errors.js';
import { bearerAuth, errors, json, noQuery } from '../openapi/responses.js';
import { accountIdOf } from '../principal.js';
import { createRouter } from '../router.js';
import { putWatchlistBody, watchlistSchema } from '../schemas/prices.js';
import { providerError } from './prices.js';

export interface WatchlistRoutesOptions {
  sql: Sql;
  marketData: PriceSources;
}

const tags = ['market data'];
const example = { symbols: ['BTCUSDT', 'AAPL'] };

const getWatchlist = createRoute({
  method: 'get',
  path: '/',
  tags,
  operationId: 'getWatchlist',
  summary: 'The symbols you follow',
  security: bearerAuth,
  request: { query: noQuery },
  responses: { 200: json('Symbols, in your order', watchlistSchema, example), ...errors({ auth: true }) },
});

const putWatchlist = createRoute({
  method: 'put',
  path: '/',
  tags,
  operationId: 'putWatchlist',
  summary: 'Replace the symbols you follow',
  description: 'A symbol never priced is asked of its provider first; one it does not know is refused.',
  security: bearerAuth,
  request: { query: noQuery, body: { required: true, content: { 'application/json': { schema: putWatchlistBody, example } } } },
  responses: {
    200: json('The new list', watchlistSchema, example),
    ...errors({ auth: true, body: true }, { 422: 'No provider knows a symbol', 502: 'The provider that must vouch for a new symbol did not answer', 503: 'That provider is rate limiting' }),
  },
});

export async function watchlistSymbols(sql: Sql, accountId: string): Promise<string[]> {
  const rows = await sql<{ symbol: string }[]>`SELECT symbol FROM watchlists WHERE account_id = ${accountId} ORDER BY position, symbol`;
  return rows.map((r) => r.symbol);
}

export async function replaceWatchlist(sql: Sql, accountId: string, symbols: string[]): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`DELETE FROM watchlists WHERE account_id = ${accountId}`;
    if (symbols.length === 0) return;
    const rows = symbols.map((symbol, position) => ({ account_id: accountId, symbol, position }));
    await tx`INSERT INTO watchlists ${tx(rows, 'account_id', 'symbol', 'position')}`;
  });
}

/**
 * @example app.route('/v1/watchlist', watchlistRoutes({ sql, marketData }))
 */
export function watchlistRoutes({ sql, marketData }: WatchlistRoutesOptions) {
  /** Symbols no provider knows; throws when a provider that should know cannot be asked. */
  async function unknownSymbols(symbols: string[]): Promise<string[]> {
    const priced = new Set((await latestPrices(sql, symbols)).map((p) => p.symbol));
    const unpriced = symbols.filter((s) => !priced.has(s));
    if (unpriced.length === 0) return [];
    const { quotes, failures } = await marketData.fetchLatestSettled(unpriced);
    await storeQuotes(sql, quotes);
    const [failure] = failures;
    if (failure) throw providerError(failure.provider, failure.error);
    const found = new Set(quotes.map((q) => q.symbol));
    return unpriced.filter((s) => !found.has(s));
  }

  return createRouter()
    .openapi(getWatchlist, async (c) => c.json({ symbols: await watchlistSymbols(sql, accountIdOf(c)) }, 200))

    .openapi(putWatchlist, async (c) => {
      const { symbols } = c.req.valid('json');
      const unknown = await unknownSymbols(symbols);
      if (unknown.length > 0) {
        throw new ApiError(
          422,
          'unknown_symbols',
          `symbols: no provider knows ${unknown.join(', ')}`,
          unknown.map((symbol) => ({ path: `symbols.${symbols.indexOf(symbol)}`, message: `${marketData.providerFor(symbol)} does not know ${symbol}` })),
        );
      }
      const accountId = accountIdOf(c);
      await replaceWatchlist(sql, accountId, symbols);
      return c.json({ symbols: await watchlistSymbols(sql, accountId) }, 200);
    });
}
