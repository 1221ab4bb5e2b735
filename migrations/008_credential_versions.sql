-- Each stored key pair gets a version; an order records the version that placed it, and a pair
-- replaced while such orders are open is kept (sealed) until they end, so their tracking and
-- cancels keep using the pair that can see them. Forgetting the pair (DELETE) removes every version.
ALTER TABLE exchange_credentials ADD COLUMN version UUID NOT NULL DEFAULT gen_random_uuid();

CREATE TABLE exchange_credentials_retired (
  version UUID PRIMARY KEY,
  account_id UUID NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  venue TEXT NOT NULL CHECK (venue IN ('binance')),
  api_key_sealed TEXT NOT NULL,
  api_secret_sealed TEXT NOT NULL,
  api_key_last4 TEXT NOT NULL,
  retired_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE orders ADD COLUMN credentials_version UUID;
