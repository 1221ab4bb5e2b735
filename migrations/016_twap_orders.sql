-- TWAP parents: the read model of each `twapOrder` workflow (the API lists and reads these; the
-- workflow writes its status and progress). Its slices are the orders with parent_kind = 'twap'.
CREATE TABLE twap_orders (
  id UUID PRIMARY KEY,
  account_id UUID NOT NULL REFERENCES accounts(id),
  venue TEXT NOT NULL CHECK (venue IN ('paper', 'binance')),
  symbol TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
  quantity NUMERIC NOT NULL CHECK (quantity > 0),
  target_qty NUMERIC NOT NULL,
  slices INTEGER NOT NULL CHECK (slices >= 2),
  slice_type TEXT NOT NULL CHECK (slice_type IN ('MARKET', 'LIMIT')),
  limit_price NUMERIC,
  start_at TIMESTAMPTZ NOT NULL,
  end_at TIMESTAMPTZ NOT NULL,
  status TEXT NOT NULL,
  slices_started INTEGER NOT NULL DEFAULT 0,
  filled_qty NUMERIC NOT NULL DEFAULT 0,
  cumulative_quote_qty NUMERIC NOT NULL DEFAULT 0,
  reason TEXT,
  -- The workflow numbers its writes: a repeated or late one changes nothing.
  rev INTEGER NOT NULL DEFAULT 0,
  workflow_id TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX twap_orders_account_created ON twap_orders (account_id, created_at DESC, id DESC);
