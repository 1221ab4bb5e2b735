-- Binance's rate limits, spent by every worker process together (venues/binance/request-budget.ts,
-- store/request-budget.ts). One row per scope and limiter: `ip:<venue host>` for request weight
-- (Binance counts per IP; the workers share one egress address) and `key:<fingerprint>` for new
-- orders (counted per account). A fingerprint is the first 16 hex digits of the API key's SHA-256:
-- the key itself is never stored. Windows are fixed, aligned on multiples of window_ms since the
-- Unix epoch as Binance's are, on the database's clock.
CREATE TABLE request_budget (
  scope TEXT NOT NULL,
  -- REQUEST_WEIGHT:1M, ORDERS:10S, ORDERS:1D: the limiter and its interval as the headers name them.
  limiter TEXT NOT NULL,
  window_ms INTEGER NOT NULL CHECK (window_ms > 0),
  -- The venue's limit per window, from exchangeInfo (or Binance's documented defaults).
  window_limit INTEGER NOT NULL CHECK (window_limit > 0),
  window_start TIMESTAMPTZ NOT NULL,
  -- Reserved before sending, raised to the venue's own count (X-MBX-USED-WEIGHT-*, X-MBX-ORDER-COUNT-*).
  used INTEGER NOT NULL CHECK (used >= 0),
  -- Whether the latest reservation fitted.
  last_granted BOOLEAN NOT NULL,
  -- After a 429/418: nothing of this limiter is sent before blocked_until, by any worker.
  blocked_until TIMESTAMPTZ,
  blocked_status SMALLINT,
  blocked_code INTEGER,
  updated_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (scope, limiter)
);
