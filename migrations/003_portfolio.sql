-- Portfolio: trades recorded by hand, one ledger over them and the order fills, the incremental
-- state each account's portfolio workflow keeps, and its value over time.

-- Every fill and manual trade of an account gets the next number of the account's ledger. The
-- trigger takes the account's head row lock until the inserting transaction ends, so numbers are
-- handed out in commit order: once a reader sees number n, every smaller number has committed
-- (or was rolled back with its row). That is what makes "everything after the cursor" exact.
CREATE TABLE ledger_heads (
  account_id UUID PRIMARY KEY REFERENCES accounts(id),
  last_seq BIGINT NOT NULL
);

CREATE FUNCTION assign_ledger_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ledger_heads AS h (account_id, last_seq) VALUES (NEW.account_id, 1)
    ON CONFLICT (account_id) DO UPDATE SET last_seq = h.last_seq + 1
    RETURNING last_seq INTO NEW.ledger_seq;
  RETURN NEW;
END
$$;

ALTER TABLE fills ADD COLUMN ledger_seq BIGINT;
WITH numbered AS (
  SELECT venue, trade_id, row_number() OVER (PARTITION BY account_id ORDER BY executed_at, venue, trade_id) AS n FROM fills
)
UPDATE fills f SET ledger_seq = numbered.n FROM numbered WHERE f.venue = numbered.venue AND f.trade_id = numbered.trade_id;
INSERT INTO ledger_heads (account_id, last_seq) SELECT account_id, max(ledger_seq) FROM fills GROUP BY account_id;
ALTER TABLE fills ALTER COLUMN ledger_seq SET NOT NULL;
CREATE UNIQUE INDEX fills_account_ledger ON fills (account_id, ledger_seq);
-- A duplicate fill (ON CONFLICT DO NOTHING) burns a number; gaps are harmless, reordering is not.
CREATE TRIGGER fills_ledger_seq BEFORE INSERT ON fills FOR EACH ROW EXECUTE FUNCTION assign_ledger_seq();

-- Trades made elsewhere, typed in through POST /v1/trades (venue "manual" in the accounting).
CREATE TABLE trades (
  id UUID PRIMARY KEY,
  account_id UUID NOT NULL REFERENCES accounts(id),
  ledger_seq BIGINT NOT NULL,
  symbol TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
  quantity NUMERIC NOT NULL CHECK (quantity > 0),
  price NUMERIC NOT NULL CHECK (price > 0),
  fee NUMERIC NOT NULL DEFAULT 0 CHECK (fee >= 0),
  fee_asset TEXT,
  executed_at TIMESTAMPTZ NOT NULL,
  idempotency_key TEXT,
  request_hash TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (account_id, ledger_seq),
  UNIQUE (account_id, idempotency_key)
);
CREATE INDEX trades_account_symbol ON trades (account_id, symbol, executed_at);
CREATE INDEX trades_account_executed ON trades (account_id, executed_at);
CREATE TRIGGER trades_ledger_seq BEFORE INSERT ON trades FOR EACH ROW EXECUTE FUNCTION assign_ledger_seq();

-- What the accounting reads: both sources in one shape. Predicates on account_id and ledger_seq
-- reach both branches' indexes.
CREATE VIEW ledger AS
  SELECT account_id, ledger_seq, venue, trade_id, symbol, side, quantity, price,
         commission AS fee, commission_asset AS fee_asset, executed_at, order_id
    FROM fills
  UNION ALL
  SELECT account_id, ledger_seq, 'manual', id::text, symbol, side, quantity, price,
         fee, fee_asset, executed_at, NULL::uuid
    FROM trades;

-- One row per account, written only by the recalculation activity of its portfolio workflow.
-- state is serializeState's JSON; cursor is the last ledger_seq folded into it.
CREATE TABLE portfolios (
  account_id UUID PRIMARY KEY REFERENCES accounts(id),
  workflow_id TEXT NOT NULL,
  method TEXT NOT NULL DEFAULT 'average' CHECK (method IN ('average', 'fifo')),
  state JSONB NOT NULL,
  cursor BIGINT NOT NULL DEFAULT 0,
  -- The latest recalculation's result (what GET /v1/portfolio and /v1/positions show).
  summary JSONB,
  -- Symbols whose price moves this portfolio's value (open positions, USDTUSD), for the price refresh.
  symbols TEXT[] NOT NULL DEFAULT '{}',
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX portfolios_symbols ON portfolios USING GIN (symbols);

-- Each recalculation's totals: the value-over-time series. id comes from the workflow, so a
-- retried activity rewrites its own row instead of adding one.
CREATE TABLE portfolio_snapshots (
  id UUID PRIMARY KEY,
  account_id UUID NOT NULL REFERENCES accounts(id),
  at TIMESTAMPTZ NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('incremental', 'full')),
  applied INTEGER NOT NULL,
  total_value NUMERIC NOT NULL,
  total_cost NUMERIC NOT NULL,
  realized_pnl NUMERIC NOT NULL,
  unrealized_pnl NUMERIC NOT NULL,
  fees_paid NUMERIC NOT NULL,
  roi_pct NUMERIC NOT NULL,
  trades INTEGER NOT NULL
);
CREATE INDEX portfolio_snapshots_account_at ON portfolio_snapshots (account_id, at, id);
