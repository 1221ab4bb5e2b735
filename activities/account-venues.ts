/**
 * The Binance venue of one account: built from the account's own stored credentials (opened
 * here, inside the activity, right before use), else from the single-user pair in the
 * environment. A built venue is kept for a few minutes per account and replaced as soon as the
 * stored pair changes, so a rotated or deleted key is never used again.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Sql } from '../lib/db.js';
import type { SecretBox } from '../lib/security/secret-box.js';
import { findCredentials, findCredentialsVersion } from '../store/exchange-credentials.js';
import { CredentialsUnreadableError, openCredentials, type ExchangeCredentials } from '../store/sealed-credentials.js';
import type { Exchange } from '../domain/exchange.js';

export interface AccountBinanceOptions {
  sql: Sql;
  /** Opens stored credentials; without it only the environment pair can be used. */
  box: SecretBox | undefined;
  /** Builds the venue for a key pair (the Binance adapter with the configured URL and timeouts). */
  create: (credentials: ExchangeCredentials) => Exchange;
  /** The BINANCE_API_KEY/BINANCE_API_SECRET venue, for accounts that stored no pair. */
  fallback: Exchange | undefined;
  /** How long a built venue is reused (default 5 minutes). */
  ttlMs?: number;
  /** Accounts kept at most (default 1000; the oldest goes first). */
  maxAccounts?: number;
  now?: () => number;
}

/** Which pair placed an order: the account's stored one, or the environment's single-user one. */
export type CredentialSource = 'stored' | 'environment';

/** The pair an order is tied to: the environment's, or a version of the account's stored pair. */
export interface CredentialPin {
  source: CredentialSource;
  /** The stored pair's version (orders placed before versions existed have none: the current pair). */
  version?: string | undefined;
}

/** A non-retryable rejection whose message and details name no secret. */
function rejected(code: string, reason: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'OrderRejected', nonRetryable: true, message: reason, details: [{ code, reason }] });
}

/**
 * @example
 * const binanceFor = createAccountBinance({ sql, box, create: (c) => createBinanceExchange({ baseUrl, ...c }), fallback });
 * const exchange = await binanceFor(order.accountId);
 */
export function createAccountBinance(o: AccountBinanceOptions): (accountId: string, pinned?: CredentialPin) => Promise<Exchange> {
  const ttlMs = o.ttlMs ?? 300_000;
  const maxAccounts = o.maxAccounts ?? 1000;
  const now = o.now ?? Date.now;
  const cache = new Map<string, { version: string; exchange: Exchange; builtAt: number }>();

  return async function binanceFor(accountId: string, pinned?: CredentialPin): Promise<Exchange> {
    // An order keeps the pair that placed it: a pair stored later does not take over its tracking.
    if (pinned?.source === 'environment') {
      if (o.fallback) return o.fallback;
      throw rejected('CREDENTIALS_REMOVED', 'This order was placed with the environment\'s Binance key (BINANCE_API_KEY), which this worker no longer has; configure it again to keep tracking the order');
    }
    const current = await findCredentials(o.sql, accountId, 'binance');
    const row = pinned?.version && current?.version !== pinned.version ? await findCredentialsVersion(o.sql, accountId, 'binance', pinned.version) : current;
    if (!row && pinned?.source === 'stored') {
      throw rejected('CREDENTIALS_REMOVED', 'The stored Binance key that placed this order was removed; store it again (PUT /v1/exchange-credentials/binance) to keep tracking the order');
    }
    if (!row) {
      cache.delete(accountId);
      if (o.fallback) return o.fallback;
      throw rejected('NO_CREDENTIALS', 'No Binance credentials are configured for this account; PUT /v1/exchange-credentials/binance or use venue "paper"');
    }
    // Every seal uses a fresh nonce, so the sealed text changes whenever the pair is saved again.
    const version = `${row.api_key_sealed}|${row.api_secret_sealed}`;
    const cacheKey = row === current ? accountId : `${accountId}/${row.version}`;
    const cached = cache.get(cacheKey);
    if (cached && cached.version === version && now() - cached.builtAt < ttlMs) return cached.exchange;
    if (!o.box) throw rejected('CREDENTIALS_UNREADABLE', 'Stored Binance credentials cannot be opened: this worker has no CREDENTIALS_KEYS');
    let credentials: ExchangeCredentials;
    try {
      credentials = openCredentials(o.box, accountId, 'binance', row);
    } catch (err) {
      if (err instanceof CredentialsUnreadableError) throw rejected('CREDENTIALS_UNREADABLE', `Stored Binance credentials cannot be opened (${err.message}); store them again`);
      throw err;
    }
    const exchange = o.create(credentials);
    cache.delete(cacheKey);
    cache.set(cacheKey, { version, exchange, builtAt: now() });
    if (cache.size > maxAccounts) cache.delete(cache.keys().next().value!);
    return exchange;
  };
}
