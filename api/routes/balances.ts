/**
 * /v1/balances: what the caller holds on a venue, per asset free, locked and total. Paper balances
 * come from the paper ledger; Binance's from GET /api/v3/account, read by the `accountBalances`
 * workflow's activity on the orders worker (which alone opens the stored key pair and spends the
 * request budget every process shares) and served again for 10 s per account (source
 * `binance-cache`, with the time of that read). A Binance that cannot be read is a 503, never an
 * older answer shown as new.
 */
import { randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import { ActivityFailure, ApplicationFailure, TimeoutFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import { withTotals, type BalanceReadFailureDetails } from '../../domain/balances.js';
import { credentialsVersion } from '../../store/exchange-credentials.js';
import { paperBalances } from '../../store/paper-balances.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import type { accountBalances } from '../../workflows/account-balances.js';
import { createBalanceCache, type BalanceCache } from '../balance-cache.js';
import { ApiError } from '../errors.js';
import { bearerAuth, errors, errorSchema, json, requestIdHeader } from '../openapi/responses.js';
import { accountIdOf } from '../principal.js';
import { createRouter } from '../router.js';
import { balancesQuery, balancesSchema } from '../schemas/balances.js';
import { venueChooser } from '../venue-choice.js';

export interface BalanceRoutesOptions {
  config: Config;
  sql: Sql;
  /** Starts the `accountBalances` workflow of each Binance read the cache cannot answer. */
  temporal: Client;
  /** The 10 s memory of Binance reads; one per app when absent. */
  cache?: BalanceCache;
  now?: () => number;
}

const NOW = '2025-05-01T14:30:00.000Z';
const tags = ['balances'];
/** Longest the API waits for a read: the activity's two attempts of 10 s, and a worker to take them. */
const READ_TIMEOUT = '30s';

const getBalances = createRoute({
  method: 'get',
  path: '/',
  tags,
  operationId: 'getBalances',
  summary: 'What you hold on a venue: free, locked by open orders, and total, per asset',
  description:
    'paper: the paper ledger (an account that never traded there shows what it will open with). binance: GET /api/v3/account with your key pair, read by a short accountBalances workflow whose activity runs on a worker (the only place the pair is opened; the API never holds it), served again for 10 s (source binance-cache, asOf the time of that read).',
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
        'Binance cannot be reached, answered 5xx, or the read did not finish in time (venue_unreachable); Binance is rate limiting us, or the request budget every process shares has no room for this read now (venue_rate_limited, with Retry-After); or the workers cannot open your stored credentials (credentials_unavailable). No older balances are shown instead.',
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

/** The activity's failure behind a failed `accountBalances` run, if the run failed in it. */
function causeOf(err: unknown): unknown {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  return err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
}

/** A failed Binance read as the API reports it. Messages name the method and path at most, never the signed query. */
function binanceReadFailure(err: unknown): ApiError | undefined {
  const venue = 'binance';
  const cause = causeOf(err);
  if (cause instanceof TimeoutFailure) {
    return new ApiError(503, 'venue_unreachable', 'Binance could not be read (no answer in time); no balances shown, retry later', { venue });
  }
  if (!(cause instanceof ApplicationFailure)) return undefined;
  // The activity's one detail, typed by the failure type it belongs to.
  const detail = <T extends keyof BalanceReadFailureDetails>(_type: T) => (cause.details?.[0] ?? {}) as BalanceReadFailureDetails[T];
  switch (cause.type) {
    case 'VenueRateLimited': {
      const { retryAfterSeconds: seconds, sent, httpStatus } = detail('VenueRateLimited');
      const why = sent
        ? `Binance is rate limiting requests (HTTP ${httpStatus})`
        : `not sent: Binance asked every process to back off (HTTP ${httpStatus} earlier), or the request budget they share has no room for this read now`;
      return new ApiError(503, 'venue_rate_limited', `${why}; no balances read, retry after ${seconds} s`, { venue, retryAfterSeconds: seconds }, { 'Retry-After': String(seconds) });
    }
    case 'VenueUnreachable':
      return new ApiError(503, 'venue_unreachable', `Binance could not be read (${detail('VenueUnreachable').reason}); no balances shown, retry later`, { venue });
    case 'CredentialsRejected': {
      const { code, reason } = detail('CredentialsRejected');
      return new ApiError(422, 'credentials_rejected', `Binance refused your key pair (${code} ${reason}); store a valid one with PUT /v1/exchange-credentials/binance`, { venue, code });
    }
    case 'VenueRejected': {
      const { code, reason } = detail('VenueRejected');
      return new ApiError(502, 'venue_rejected', `Binance refused the account read (${code} ${reason})`, { venue, code });
    }
    case 'CredentialsUnavailable':
      // The worker's own words: no CREDENTIALS_KEYS, or a pair it cannot open (store it again).
      return new ApiError(503, 'credentials_unavailable', detail('CredentialsUnavailable').reason);
    case 'VenueUnavailable':
      return new ApiError(422, 'venue_unavailable', 'venue: no Binance credentials are configured; use venue "paper" or PUT /v1/exchange-credentials/binance');
    default:
      return undefined;
  }
}

/**
 * @example app.route('/v1/balances', balanceRoutes({ config, sql, temporal }))
 */
export function balanceRoutes({ config, sql, temporal, cache = createBalanceCache(), now = Date.now }: BalanceRoutesOptions) {
  const venueFor = venueChooser(config, sql);

  /** One read, as its own workflow on the queue of the worker that hosts the activity. */
  const readBinance = (accountId: string) =>
    temporal.workflow.execute<typeof accountBalances>('accountBalances', {
      workflowId: `balances-${accountId}-${randomUUID()}`,
      taskQueue: config.taskQueues.orders,
      args: [{ accountId }],
      staticSummary: `Binance balances of account ${accountId} (GET /v1/balances)`,
      workflowExecutionTimeout: READ_TIMEOUT,
    });

  return createRouter().openapi(getBalances, async (c) => {
    const accountId = accountIdOf(c);
    const venue = await venueFor(accountId, c.req.valid('query').venue);
    if (venue === 'paper') {
      const asOf = new Date(now()).toISOString();
      return c.json({ venue, source: 'paper' as const, asOf, balances: withTotals(await paperBalances(sql, accountId, config.PAPER_STARTING_CASH)) }, 200);
    }
    // venueFor made sure a pair exists: the stored one (a new version reads afresh), else the environment's.
    const key = { accountId, credentialsVersion: (await credentialsVersion(sql, accountId, 'binance')) ?? 'environment' };
    let read;
    try {
      read = await cache.balances(key, () => readBinance(accountId));
    } catch (err) {
      throw binanceReadFailure(err) ?? err;
    }
    const source = read.cached ? ('binance-cache' as const) : ('binance' as const);
    return c.json({ venue, source, asOf: read.readAt, balances: read.balances }, 200);
  });
}
