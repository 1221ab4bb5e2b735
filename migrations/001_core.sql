-- Accounts own everything; until sign-up exists every order belongs to the default account.
CREATE TABLE accounts (
  id UUID PRIMARY KEY,
  email TEXT UNIQUE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO accounts (id, email) VALUES ('00000000-0000-0000-0000-000000000001', NULL);

-- Current state of each order; the workflow is the writer, the API reads.
CREATE TABLE orders (
  id UUID PRIMARY KEY,
  account_id UUID NOT NULL REFERENCES accounts(id),
  venue TEXT NOT NULL CHECK (venue IN ('paper', 'binance')),
  symbol TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
  type TEXT NOT NULL,
  time_in_force TEXT,
  quantity NUMERIC NOT NULL CHECK (quantity > 0),
  price NUMERIC,
  stop_price NUMERIC,
  notional NUMERIC,
  status TEXT NOT NULL,
  status_rank SMALLINT NOT NULL DEFAULT 0,
  client_order_id TEXT NOT NULL UNIQUE,
  exchange_order_id TEXT,
  executed_qty NUMERIC NOT NULL DEFAULT 0,
  cumulative_quote_qty NUMERIC NOT NULL DEFAULT 0,
  reject_code TEXT,
  reject_reason TEXT,
  workflow_id TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX orders_account_created ON orders (account_id, created_at DESC, id DESC);
CREATE INDEX orders_account_status ON orders (account_id, status);

-- Append-only story of each order. seq is the workflow's own counter, so a retried write is a no-op.
CREATE TABLE order_events (
  order_id UUID NOT NULL REFERENCES orders(id),
  seq INTEGER NOT NULL,
  account_id UUID NOT NULL REFERENCES accounts(id),
  status TEXT NOT NULL,
  cause TEXT NOT NULL,
  detail JSONB NOT NULL DEFAULT '{}',
  at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, seq)
);

CREATE TABLE fills (
  venue TEXT NOT NULL,
  trade_id TEXT NOT NULL,
  order_id UUID NOT NULL REFERENCES orders(id),
  account_id UUID NOT NULL REFERENCES accounts(id),
  symbol TEXT NOT NULL,
  side TEXT NOT NULL,
  price NUMERIC NOT NULL,
  quantity NUMERIC NOT NULL,
  commission NUMERIC NOT NULL DEFAULT 0,
  commission_asset TEXT,
  executed_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (venue, trade_id)
);
CREATE INDEX fills_order ON fills (order_id);
CREATE INDEX fills_account ON fills (account_id, executed_at);

-- Idempotency-Key of POST /v1/orders: same key + same body = same order.
CREATE TABLE idempotency_keys (
  account_id UUID NOT NULL REFERENCES accounts(id),
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  order_id UUID NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, key)
);

-- Exchange trading rules (Binance exchangeInfo filters), refreshed by an activity.
CREATE TABLE symbol_rules (
  venue TEXT NOT NULL,
  symbol TEXT NOT NULL,
  base_asset TEXT NOT NULL,
  quote_asset TEXT NOT NULL,
  status TEXT NOT NULL,
  rules JSONB NOT NULL,
  fetched_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (venue, symbol)
);

-- Latest price per symbol, and its history.
CREATE TABLE prices (
  symbol TEXT PRIMARY KEY,
  price NUMERIC NOT NULL CHECK (price > 0),
  source TEXT NOT NULL,
  as_of TIMESTAMPTZ NOT NULL
);
CREATE TABLE price_history (
  symbol TEXT NOT NULL,
  at TIMESTAMPTZ NOT NULL,
  price NUMERIC NOT NULL,
  source TEXT NOT NULL,
  PRIMARY KEY (symbol, at)
);

-- Paper venue: balances per account and asset, and the venue's own order book.
CREATE TABLE paper_balances (
  account_id UUID NOT NULL REFERENCES accounts(id),
  asset TEXT NOT NULL,
  free NUMERIC NOT NULL DEFAULT 0,
  locked NUMERIC NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, asset)
);
CREATE TABLE paper_orders (
  client_order_id TEXT PRIMARY KEY,
  exchange_order_id BIGSERIAL UNIQUE,
  account_id UUID NOT NULL REFERENCES accounts(id),
  symbol TEXT NOT NULL,
  base_asset TEXT NOT NULL,
  quote_asset TEXT NOT NULL,
  side TEXT NOT NULL,
  type TEXT NOT NULL,
  time_in_force TEXT,
  quantity NUMERIC NOT NULL,
  price NUMERIC,
  stop_price NUMERIC,
  status TEXT NOT NULL,
  triggered BOOLEAN NOT NULL DEFAULT false,
  executed_qty NUMERIC NOT NULL DEFAULT 0,
  cumulative_quote_qty NUMERIC NOT NULL DEFAULT 0,
  reject_reason TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE paper_trades (
  trade_id BIGSERIAL PRIMARY KEY,
  client_order_id TEXT NOT NULL REFERENCES paper_orders(client_order_id),
  price NUMERIC NOT NULL,
  quantity NUMERIC NOT NULL,
  commission NUMERIC NOT NULL,
  commission_asset TEXT NOT NULL,
  executed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
