/**
 * Binance balances for display: GET /api/v3/account (USER_DATA, weight 20) through the signing
 * adapter and the process's request budget, at poll priority, so a screen that refreshes balances
 * gives way to orders and cancels when the weight runs short. An answer is served again for
 * `ttlMs` (10 s) per account and key pair, and callers that ask while a read is under way share
 * it: however often a screen polls, an account costs at most weight 20 per 10 s. A failed read is
 * never cached, and an answer older than `ttlMs` is never served: the caller gets the failure.
 */
import type { Balance } from '../../domain/exchange.js';
import { createBinanceExchange, type BinanceExchangeOptions } from './exchange.js';
import { withRequestPriority } from './request-budget.js';

export type BinanceAccountReadsOptions = Omit<BinanceExchangeOptions, 'apiKey' | 'apiSecret' | 'now'> & {
  /** How long an answer is served again (default 10 000 ms). */
  ttlMs?: number;
  /** Accounts whose last answer is kept (default 1000; the oldest goes first). */
  maxAccounts?: number;
  /** The clock of the cache and of `readAt` (signatures always use the real one). */
  now?: () => number;
};

/** Whose balances: our account, and the version of the key pair that reads them (a new pair reads afresh). */
export interface AccountKey {
  accountId: string;
  credentialsVersion: string;
}

export interface AccountBalances {
  balances: Balance[];
  /** When the read began (a wait for room in the budget comes after): the balances are at least this recent. */
  readAt: Date;
  /** Served from an earlier read (within `ttlMs`) rather than read for this call. */
  cached: boolean;
}

export interface BinanceAccountReads {
  /**
   * The account's balances (non-zero ones, `omitZeroBalances=true`). `credentials` is called only
   * when Binance must be asked, so stored keys are opened only then. Throws the venue error
   * taxonomy (domain/venue-errors.ts): ExchangeRateLimitError also when the budget held it back.
   */
  balances(key: AccountKey, credentials: () => { apiKey: string; apiSecret: string }): Promise<AccountBalances>;
}

interface Entry {
  version: string;
  value?: { balances: Balance[]; readAt: number };
  pending?: Promise<{ balances: Balance[]; readAt: number }>;
}

/**
 * @example
 * const accounts = createBinanceAccountReads({ baseUrl: config.BINANCE_BASE_URL, requestBudget });
 * const { balances, readAt, cached } = await accounts.balances({ accountId, credentialsVersion }, () => openCredentials(box, accountId, 'binance', row));
 */
export function createBinanceAccountReads(options: BinanceAccountReadsOptions): BinanceAccountReads {
  const { ttlMs = 10_000, maxAccounts = 1000, now = Date.now, ...exchangeOptions } = options;
  const entries = new Map<string, Entry>();

  async function read(credentials: { apiKey: string; apiSecret: string }): Promise<{ balances: Balance[]; readAt: number }> {
    const readAt = now();
    const exchange = createBinanceExchange({ ...exchangeOptions, ...credentials });
    const balances = await withRequestPriority('poll', () => exchange.getBalances());
    return { balances, readAt };
  }

  return {
    async balances({ accountId, credentialsVersion }, credentials) {
      let entry = entries.get(accountId);
      if (entry?.version !== credentialsVersion) {
        entry = { version: credentialsVersion };
        entries.delete(accountId);
        entries.set(accountId, entry);
        if (entries.size > maxAccounts) entries.delete(entries.keys().next().value!);
      }
      if (entry.value && now() - entry.value.readAt < ttlMs) return { ...entry.value, readAt: new Date(entry.value.readAt), cached: true };
      if (!entry.pending) {
        const pending = read(credentials());
        const owner = entry;
        owner.pending = pending;
        void pending.then(
          (value) => {
            owner.value = value;
            owner.pending = undefined;
          },
          () => {
            owner.pending = undefined;
          },
        );
      }
      const value = await entry.pending!;
      return { ...value, readAt: new Date(value.readAt), cached: false };
    },
  };
}
