/**
 * A venue's back-off, shared by every client of that venue in one process. Binance counts and bans
 * per IP, not per key: once any request hears 429 or 418, every account's adapter and the
 * market-data source must stay quiet until its Retry-After has passed, or the 429 turns into a ban
 * and bans grow (2 minutes to 3 days). Create one per worker process and hand it to each client.
 */
import { ExchangeRateLimitError } from '../../domain/venue-errors.js';

export interface VenueGateOptions {
  now?: () => number;
}

export interface VenueGate {
  /** Throws ExchangeRateLimitError (`sent: false`) with the wait left while a back-off runs. */
  assertOpen(): void;
  /** Extends the back-off to `retryAfterMs` from now after a 429/418; never shortens it. */
  backOff(retryAfterMs: number, httpStatus: number, code?: number): void;
  /** What is left of the back-off in ms; 0 when requests may go. */
  remainingMs(): number;
}

/**
 * @example
 * const venueGate = createVenueGate();
 * const prices = createBinancePriceSource({ baseUrl, venueGate });
 * const binance = createBinanceExchange({ baseUrl, apiKey, apiSecret, venueGate });
 */
export function createVenueGate(options: VenueGateOptions = {}): VenueGate {
  const now = options.now ?? Date.now;
  let until = 0;
  let status = 429;
  let code: number | undefined;
  return {
    assertOpen() {
      const wait = until - now();
      if (wait > 0) throw new ExchangeRateLimitError(wait, status, code, false);
    },
    backOff(retryAfterMs, httpStatus, venueCode) {
      const end = now() + retryAfterMs;
      if (end < until) return;
      until = end;
      status = httpStatus;
      code = venueCode;
    },
    remainingMs: () => Math.max(0, until - now()),
  };
}
