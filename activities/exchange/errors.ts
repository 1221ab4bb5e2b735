/**
 * What can go wrong talking to a venue, sorted by what the caller must do next.
 * - ExchangeRejectedError: the venue said no (filter failure, balance, bad key). Final.
 * - ExchangeUnknownOutcomeError: no clear answer (timeout, reset, 5xx, -1006/-1007). The order
 *   may exist: query it, never resubmit blindly.
 * - ExchangeRateLimitError: 429/418; wait `retryAfterMs`.
 * - ExchangeUnavailableError: the request surely did not reach the matching engine (connection
 *   refused, DNS); safe to retry as is.
 */
export class ExchangeError extends Error {
  override name = 'ExchangeError';
}

export class ExchangeRejectedError extends ExchangeError {
  override name = 'ExchangeRejectedError';
  constructor(
    readonly code: number,
    readonly venueMessage: string,
    readonly httpStatus?: number,
  ) {
    super(`Exchange rejected the request: ${code} ${venueMessage}`);
  }
}

export class ExchangeUnknownOutcomeError extends ExchangeError {
  override name = 'ExchangeUnknownOutcomeError';
  constructor(
    message: string,
    readonly code?: number,
    readonly httpStatus?: number,
  ) {
    super(message);
  }
}

export class ExchangeRateLimitError extends ExchangeError {
  override name = 'ExchangeRateLimitError';
  constructor(
    readonly retryAfterMs: number,
    readonly httpStatus: number,
    readonly code?: number,
  ) {
    super(`Exchange rate limit (HTTP ${httpStatus}); retry after ${Math.ceil(retryAfterMs / 1000)} s`);
  }
}

export class ExchangeUnavailableError extends ExchangeError {
  override name = 'ExchangeUnavailableError';
}
