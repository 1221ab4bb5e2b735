/** Why a price could not be had: the provider, its error, and what an operator can do about it. */

export interface PriceFailure {
  provider: string;
  error: string;
}

/**
 * No price for a symbol because its provider failed (not because the symbol is unknown). The
 * message names the provider, its error and the remedy, so a rejection says what really happened.
 */
export class PriceUnavailableError extends Error {
  override name = 'PriceUnavailableError';
  constructor(
    readonly symbol: string,
    readonly failures: PriceFailure[],
    hint = 'check that this machine reaches the provider (BINANCE_BASE_URL, YAHOO_BASE_URL), or run with OFFLINE=1 to use local stand-ins',
  ) {
    super(`No price for ${symbol}: ${failures.map((f) => `${f.provider} failed (${f.error})`).join('; ')}; ${hint}`);
  }
}
