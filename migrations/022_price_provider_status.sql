-- The last outcome of each market-data provider, written by the price refresh: readiness reports
-- "degraded" when every provider that has been asked is failing.
CREATE TABLE IF NOT EXISTS price_provider_status (
  provider TEXT PRIMARY KEY,
  ok_at TIMESTAMPTZ,
  failed_at TIMESTAMPTZ,
  last_error TEXT
);
