/**
 * /v1/balances: what the caller holds on a venue, per asset free, locked and total. Paper balances
 * come from the paper ledger; Binance's from GET /api/v3/account, read through the request budget
 * every process shares and served again for 10 s per account (source `binance-cache`, with the
 * time of that read). A Binance that cannot be read is a 503, never an older answer shown as new.
 *
 * The Binance read signs with the caller's stored pair, opened here, in the API process, right
 * before the request and only when the cache cannot answer; it never leaves this file's call.
 */
import { createRoute } from '@hono/zod-openapi';
import { withTotals } from '../../domain/balances.js';
import { ExchangeRateLimitError, ExchangeRejectedError, ExchangeUnavailableError, ExchangeUnknownOutcomeError } from '../../domain/venue-errors.js';
import { findCredentials } from '../../store/exchange-credentials.js';
import { paperBalances } from '../../store/paper-balances.js';
import { CredentialsUnreadableError, openCredentials } from '../../store/sealed-credentials.js';
import { createBinanceAccountReads, type AccountKey, type BinanceAccountReads } from '../../venues/binance/account-reads.js';
import type { PriceSources } from '../../venues/market-data/sources.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { credentialBoxFor } from '../../lib/secrets.js';
import { ApiError } from '../errors.js';
import { bearerAuth, errors, errorSchema, json, requestIdHeader } from '../openapi/responses.js';
import { accountIdOf } from '../principal.js';
import { createRouter } from '../router.js';
import { balancesQuery, balancesSchema } from '../schemas/balances.js';
import { venueChooser } from '../venue-choice.js';

export interface BalanceRoutesOptions {
  config: Config;
  sql: Sql;
  /** The process's Binance request budget (the price sources'); Binance reads go unbudgeted without one. */
  requestBudget: PriceSources['requestBudget'];
  /** Binance account reads; built from config when absent. */
  binanceAccounts?: BinanceAccountReads;
  now?: () => number;
}

const NOW = '2025-05-01T14:30:00.000Z';
const tags = ['balances'];
/** Binance's answers to a key it does not take: malformed, unknown or without the permission, bad signature. */
const KEY_REFUSED = new Set([-2014, -2015, -1022, -1002]);

const getBalances = createRoute({
  method: 'get',
  path: '/',
  tags,
  operationId: 'getBalances',
  summary: 'What you hold on a venue: free, locked by open orders, and total, per asset',
  description:
    'paper: the paper ledger (an account that never traded there shows what it will open with). binance: GET /api/v3/account with your key pair, served again for 10 s (source binance-cache, asOf the time of that read).',
  security: bearerAuth,
  request: { query: balancesQuery },
  responses: {
    200: json('Balances of the venue', balancesSchema, {
      venue: 'binance',
      source: 'binance-cache',
      asOf: NOW,
      balances: [
        { asset: 'BTC', free: '0.5', locked: '0.1', total: '0.6' },
        { asset: 'USDT', free: '9500', locked: '500', total: '10000' },
      ],
    }),
    ...errors(
      { auth: true },
      {
        422: 'venue is not paper or binance, or binance without a key pair (venue_unavailable), or Binance refused the key pair (credentials_rejected)',
        502: 'Binance refused the read for another reason (venue_rejected)',
      },
    ),
    503: {
      description:
        'Binance cannot be reached or answered 5xx (venue_unreachable); Binance is rate limiting us, or the request budget every process shares has no room for this read now (venue_rate_limited, with Retry-After); or this instance cannot open stored credentials (credentials_unavailable). No older balances are shown instead.',
      headers: { ...requestIdHeader, 'Retry-After': { description: 'With venue_rate_limited: seconds to wait before asking again', schema: { type: 'string' as const } } },
      content: {
        'application/json': {
          schema: errorSchema,
          example: { error: { code: 'venue_rate_limited', message: 'Binance is rate limiting requests (HTTP 429); no balances read, retry after 7 s', details: { venue: 'binance', retryAfterSeconds: 7 } } },
        },
      },
    },
  },
});

/** A failed Binance read as the API reports it. Messages name the method and path at most, never the signed query. */
function binanceReadFailure(err: unknown): ApiError | undefined {
  const venue = 'binance';
  if (err instanceof ExchangeRateLimitError) {
    const seconds = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
    const why = err.sent
      ? `Binance is rate limiting requests (HTTP ${err.httpStatus})`
      : `not sent: Binance asked every process to back off (HTTP ${err.httpStatus} earlier), or the request budget they share has no room for this read now`;
    return new ApiError(503, 'venue_rate_limited', `${why}; no balances read, retry after ${seconds} s`, { venue, retryAfterSeconds: seconds }, { 'Retry-After': String(seconds) });
  }
  if (err instanceof ExchangeUnavailableError || err instanceof ExchangeUnknownOutcomeError) {
    // "Execution status unknown" is about orders; a read that got no answer simply did not happen.
    const what = err.message.replace(/; execution status unknown$/, '');
    return new ApiError(503, 'venue_unreachable', `Binance could not be read (${what}); no balances shown, retry later`, { venue });
  }
  if (err instanceof ExchangeRejectedError) {
    if (KEY_REFUSED.has(err.code)) {
      return new ApiError(422, 'credentials_rejected', `Binance refused your key pair (${err.code} ${err.venueMessage}); store a valid one with PUT /v1/exchange-credentials/binance`, { venue, code: err.code });
    }
    return new ApiError(502, 'venue_rejected', `Binance refused the account read (${err.code} ${err.venueMessage})`, { venue, code: err.code });
  }
  return undefined;
}

/**
 * @example app.route('/v1/balances', balanceRoutes({ config, sql, requestBudget: marketData.requestBudget }))
 */
export function balanceRoutes({ config, sql, requestBudget, now = Date.now, ...o }: BalanceRoutesOptions) {
  const venueFor = venueChooser(config, sql);
  const box = credentialBoxFor(config);
  const binanceAccounts =
    o.binanceAccounts ??
    createBinanceAccountReads({ baseUrl: config.BINANCE_BASE_URL, recvWindowMs: config.BINANCE_RECV_WINDOW_MS, timeoutMs: config.BINANCE_TIMEOUT, requestBudget });

  /** The pair that reads the account: its stored one, else the environment's (venueFor made sure one exists). */
  async function binanceKey(accountId: string): Promise<{ key: AccountKey; open: () => { apiKey: string; apiSecret: string } }> {
    const row = await findCredentials(sql, accountId, 'binance');
    if (row) {
      const open = () => {
        if (!box) throw new ApiError(503, 'credentials_unavailable', 'This instance has no CREDENTIALS_KEYS and cannot open your stored Binance credentials');
        try {
          return openCredentials(box, accountId, 'binance', row);
        } catch (err) {
          if (err instanceof CredentialsUnreadableError) {
            throw new ApiError(503, 'credentials_unavailable', `Your stored Binance credentials cannot be opened (${err.message}); store them again with PUT /v1/exchange-credentials/binance`);
          }
          throw err;
        }
      };
      return { key: { accountId, credentialsVersion: row.version }, open };
    }
    const { BINANCE_API_KEY: apiKey, BINANCE_API_SECRET: apiSecret } = config;
    if (!apiKey || !apiSecret) throw new ApiError(422, 'venue_unavailable', 'venue: no Binance credentials are configured; use venue "paper" or PUT /v1/exchange-credentials/binance');
    return { key: { accountId, credentialsVersion: 'environment' }, open: () => ({ apiKey, apiSecret }) };
  }

  return createRouter().openapi(getBalances, async (c) => {
    const accountId = accountIdOf(c);
    const venue = await venueFor(accountId, c.req.valid('query').venue);
    if (venue === 'paper') {
      const asOf = new Date(now()).toISOString();
      return c.json({ venue, source: 'paper' as const, asOf, balances: withTotals(await paperBalances(sql, accountId, config.PAPER_STARTING_CASH)) }, 200);
    }
    const { key, open } = await binanceKey(accountId);
    let read;
    try {
      read = await binanceAccounts.balances(key, open);
    } catch (err) {
      throw binanceReadFailure(err) ?? err;
    }
    const source = read.cached ? ('binance-cache' as const) : ('binance' as const);
    return c.json({ venue, source, asOf: read.readAt.toISOString(), balances: withTotals(read.balances) }, 200);
  });
}
