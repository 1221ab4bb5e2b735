-- Accounts that sign in, their exchange credentials (sealed), and the rate-limit state that every
-- API instance shares.

-- Emails are stored lower-cased by the API; the index holds that even for a writer that forgets.
-- Rows without a password hash (the default account of 001, accounts made by tests or scripts)
-- cannot sign in: login treats them like an unknown email.
ALTER TABLE accounts ADD COLUMN password_hash TEXT;
ALTER TABLE accounts ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE UNIQUE INDEX accounts_email_lower ON accounts (lower(email));

-- One key pair per account and venue, each part sealed with CREDENTIALS_KEYS (AES-256-GCM, the
-- account id and the field name as associated data, so a value copied onto another row or column
-- does not open). Only the last four characters of the key are kept in clear, for display.
-- updated_at tells the workers' cache that the pair changed.
CREATE TABLE exchange_credentials (
  account_id UUID NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  venue TEXT NOT NULL CHECK (venue IN ('binance')),
  api_key_sealed TEXT NOT NULL,
  api_secret_sealed TEXT NOT NULL,
  api_key_last4 TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (account_id, venue)
);

-- Generic cell rate algorithm: one row per limited key (a hash of e.g. "login-email:<email>"),
-- holding the theoretical arrival time of the next request. A row whose tat has passed means
-- the same as no row, so old rows are deleted now and then.
CREATE TABLE rate_limits (
  key TEXT PRIMARY KEY,
  tat TIMESTAMPTZ NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits (tat);

-- Fills were keyed by (venue, trade_id) while one account traded. Binance trade ids are unique per
-- symbol only, and a trade between two accounts of this engine reaches both with the same id: the
-- second account's fill would have been dropped as a duplicate. A fill is its order's trade.
ALTER TABLE fills DROP CONSTRAINT fills_pkey;
ALTER TABLE fills ADD PRIMARY KEY (order_id, trade_id);
