/**
 * A venue's balances as the API shows them: per asset what is free, what open orders hold
 * (locked) and their sum, in plain decimal text whichever venue they come from (Binance writes
 * eight decimals, PostgreSQL what it stored).
 */
import { Decimal } from 'decimal.js';
import type { Balance } from './exchange.js';

/** No exponent notation, whatever the magnitude. */
const Dec = Decimal.clone({ toExpNeg: -40, toExpPos: 40 });

export interface AssetBalance extends Balance {
  /** free + locked */
  total: string;
}

/**
 * Adds each asset's total, writes every amount as plain decimal text, leaves out assets holding
 * nothing (Binance's `omitZeroBalances`), and sorts by asset.
 * @example withTotals([{ asset: 'BTC', free: '0.50000000', locked: '0.10000000' }]) // [{ asset: 'BTC', free: '0.5', locked: '0.1', total: '0.6' }]
 */
export function withTotals(balances: readonly Balance[]): AssetBalance[] {
  return balances
    .map((b) => {
      const free = new Dec(b.free);
      const locked = new Dec(b.locked);
      return { asset: b.asset, free: free.toString(), locked: locked.toString(), total: free.plus(locked).toString() };
    })
    .filter((b) => b.total !== '0')
    .sort((a, b) => (a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0));
}

/**
 * One read of an account's venue balances, as the `accountBalances` workflow returns it to the
 * API: what was read and when (ISO time the read began), nothing about the key pair that read it.
 */
export interface AccountBalancesRead {
  balances: AssetBalance[];
  readAt: string;
}

/**
 * Why a Binance balance read failed: the `type` of the activity's non-retryable ApplicationFailure,
 * with what its one detail carries. The API answers each with its own status and code.
 */
export interface BalanceReadFailureDetails {
  /** No answer: connection refused, timeout, 5xx. `reason` names the method and path at most. */
  VenueUnreachable: { reason: string };
  /** A 429/418 now (`sent`), or the shared request budget held the read back (`!sent`). */
  VenueRateLimited: { retryAfterSeconds: number; sent: boolean; httpStatus: number };
  /** Binance refused the key pair (malformed, unknown, no permission, bad signature). */
  CredentialsRejected: { code: number; reason: string };
  /** Binance refused the read for another reason. */
  VenueRejected: { code: number; reason: string };
  /** The worker cannot open the stored pair (no CREDENTIALS_KEYS, or a pair it cannot decrypt). */
  CredentialsUnavailable: { reason: string };
  /** The account has no key pair (stored or the environment's) to read with. */
  VenueUnavailable: { reason: string };
}

export type BalanceReadFailure = keyof BalanceReadFailureDetails;
