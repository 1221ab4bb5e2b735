/**
 * The API's memory of Binance balance reads: an answer is served again for `ttlMs` (10 s) per
 * account and key pair, and callers that ask while a read is under way share it, so however
 * often a screen polls, an account costs at most one read (one `accountBalances` workflow, weight
 * 20 at Binance) per 10 s. It holds balances only: the read itself runs in a worker. A failed read
 * is never kept, and an answer older than `ttlMs` is never served: the caller gets the failure.
 */
import type { AccountBalancesRead } from '../domain/balances.js';

export interface BalanceCacheOptions {
  /** How long an answer is served again (default 10 000 ms), counted from when its read was asked for. */
  ttlMs?: number;
  /** Accounts whose last answer is kept (default 1000; the oldest goes first). */
  maxAccounts?: number;
  now?: () => number;
}

/** Whose balances: our account, and the version of the key pair that reads them (a new pair reads afresh). */
export interface BalanceKey {
  accountId: string;
  credentialsVersion: string;
}

export interface BalanceCache {
  /** The account's last answer while it is fresh (`cached: true`), else the one `read` gives, shared with callers meanwhile. */
  balances(key: BalanceKey, read: () => Promise<AccountBalancesRead>): Promise<AccountBalancesRead & { cached: boolean }>;
}

interface Entry {
  version: string;
  value?: { read: AccountBalancesRead; askedAt: number };
  pending?: Promise<{ read: AccountBalancesRead; askedAt: number }>;
}

/**
 * @example
 * const cache = createBalanceCache();
 * const { balances, readAt, cached } = await cache.balances({ accountId, credentialsVersion }, () => temporal.workflow.execute(…));
 */
export function createBalanceCache({ ttlMs = 10_000, maxAccounts = 1000, now = Date.now }: BalanceCacheOptions = {}): BalanceCache {
  const entries = new Map<string, Entry>();

  return {
    async balances({ accountId, credentialsVersion }, read) {
      let entry = entries.get(accountId);
      if (entry?.version !== credentialsVersion) {
        entry = { version: credentialsVersion };
        entries.delete(accountId);
        entries.set(accountId, entry);
        if (entries.size > maxAccounts) entries.delete(entries.keys().next().value!);
      }
      // Aged by this process's clock, from before the read was asked for: never served longer than ttlMs.
      if (entry.value && now() - entry.value.askedAt < ttlMs) return { ...entry.value.read, cached: true };
      if (!entry.pending) {
        const askedAt = now();
        const owner = entry;
        const pending = read().then((r) => ({ read: r, askedAt }));
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
      const { read: answer } = await entry.pending!;
      return { ...answer, cached: false };
    },
  };
}
