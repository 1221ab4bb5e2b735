/**
 * The Binance account read behind GET /v1/balances, run by the `accountBalances` workflow on the
 * orders worker. The account's key pair is opened here (by `binanceFor`, right before use), the
 * read spends weight 20 of the request budget every process shares, at poll priority, and what
 * comes back is the balances and the time of the read: never a key.
 *
 * Someone is waiting for the answer, so every venue failure is final: a non-retryable
 * ApplicationFailure whose `type` (domain/balances.ts `BalanceReadFailure`) the API maps to its
 * answer. Only what this file does not recognise is left to the preset's one retry.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { withTotals, type AccountBalancesRead, type BalanceReadFailure, type BalanceReadFailureDetails } from '../domain/balances.js';
import type { Exchange } from '../domain/exchange.js';
import { ExchangeRateLimitError, ExchangeRejectedError, ExchangeUnavailableError, ExchangeUnknownOutcomeError } from '../domain/venue-errors.js';
import { withRequestPriority } from '../venues/binance/request-budget.js';

export interface AccountBalanceActivitiesOptions {
  /**
   * The account's Binance venue: its stored pair, opened inside the activity, else the
   * environment's (activities/account-venues.ts `createAccountBinance`).
   */
  binanceFor: (accountId: string) => Promise<Exchange>;
  /** The clock of `readAt`. */
  now?: () => number;
}

export interface ReadBalancesInput {
  accountId: string;
}

/** Binance's answers to a key it does not take: malformed, unknown or without the permission, bad signature. */
const KEY_REFUSED = new Set([-2014, -2015, -1022, -1002]);

/** createAccountBinance's refusals (by the code of their detail) as balance read failures. */
const NO_KEY: Record<string, BalanceReadFailure> = {
  NO_CREDENTIALS: 'VenueUnavailable',
  CREDENTIALS_REMOVED: 'VenueUnavailable',
  CREDENTIALS_UNREADABLE: 'CredentialsUnavailable',
};

function failure<T extends BalanceReadFailure>(type: T, message: string, details: BalanceReadFailureDetails[T]): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: [details] });
}

/** A venue error as the API's failure type. Messages name the method and path at most, never the signed query. */
function readFailure(err: unknown): unknown {
  if (err instanceof ExchangeRateLimitError) {
    const retryAfterSeconds = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
    return failure('VenueRateLimited', err.message, { retryAfterSeconds, sent: err.sent, httpStatus: err.httpStatus });
  }
  if (err instanceof ExchangeUnavailableError || err instanceof ExchangeUnknownOutcomeError) {
    // "Execution status unknown" is about orders; a read that got no answer simply did not happen.
    const reason = err.message.replace(/; execution status unknown$/, '');
    return failure('VenueUnreachable', reason, { reason });
  }
  if (err instanceof ExchangeRejectedError) {
    const type = KEY_REFUSED.has(err.code) ? 'CredentialsRejected' : 'VenueRejected';
    return failure(type, err.message, { code: err.code, reason: err.venueMessage });
  }
  return err;
}

/**
 * @example
 * worker activities: { ...createAccountBalanceActivities({ binanceFor }) }
 * const { balances, readAt } = await readBinanceBalances({ accountId });
 */
export function createAccountBalanceActivities({ binanceFor, now = Date.now }: AccountBalanceActivitiesOptions) {
  async function venueOf(accountId: string): Promise<Exchange> {
    try {
      return await binanceFor(accountId);
    } catch (err) {
      const code = err instanceof ApplicationFailure ? (err.details?.[0] as { code?: unknown } | undefined)?.code : undefined;
      const type = typeof code === 'string' ? NO_KEY[code] : undefined;
      if (type && err instanceof Error) throw failure(type, err.message, { reason: err.message });
      throw err;
    }
  }

  return {
    /** The account's non-zero Binance balances, each with its total, and when the read began. */
    async readBinanceBalances({ accountId }: ReadBalancesInput): Promise<AccountBalancesRead> {
      const exchange = await venueOf(accountId);
      const readAt = new Date(now()).toISOString();
      try {
        // A screen refreshing balances gives way to orders and cancels when the weight runs short.
        const balances = await withRequestPriority('poll', () => exchange.getBalances());
        return { balances: withTotals(balances), readAt };
      } catch (err) {
        throw readFailure(err);
      }
    },
  };
}

export type AccountBalanceActivities = ReturnType<typeof createAccountBalanceActivities>;
