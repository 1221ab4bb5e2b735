/**
 * What can go wrong talking to a venue, sorted by what the caller must do next.
 * - ExchangeRejectedError: the venue said no (filter failure, balance, bad key). Final.
 * - ExchangeUnknownOutcomeError: no clear answer (timeout, reset, 5xx, -1006/-1007). The order
 *   may exist: query it, never resubmit blindly.
 * - ExchangeRateLimitError: 429/418, or a request held back while one's Retry-After runs; wait
 *   `retryAfterMs`.
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
    /** 429 (back off) or 418 (IP banned): of this answer, or of the one that started the wait. */
    readonly httpStatus: number,
    readonly code?: number,
    /** False when the process-wide back-off (the shared request budget) held the request back: nothing was sent. */
    readonly sent: boolean = true,
  ) {
    const wait = `retry after ${Math.ceil(retryAfterMs / 1000)} s`;
    super(sent ? `Exchange rate limit (HTTP ${httpStatus}); ${wait}` : `Exchange rate limit (HTTP ${httpStatus} earlier); not sent, ${wait}`);
  }
}

export class ExchangeUnavailableError extends ExchangeError {
  override name = 'ExchangeUnavailableError';
}
