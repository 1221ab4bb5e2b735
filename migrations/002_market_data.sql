-- Market data: watchlists, candles fetched to fill history, and the push of every price change.

-- Symbols an account follows; the price refresh keeps them current. position keeps the user's order.
CREATE TABLE watchlists (
  account_id UUID NOT NULL REFERENCES accounts(id),
  symbol TEXT NOT NULL,
  position INTEGER NOT NULL,
  added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, symbol)
);
CREATE INDEX watchlists_symbol ON watchlists (symbol);

-- Candles a provider returned for a range we held no prices for (klines / chart). Our own
-- samples in price_history win over these wherever both cover a candle.
CREATE TABLE price_candles (
  symbol TEXT NOT NULL,
  interval TEXT NOT NULL CHECK (interval IN ('1m', '1h', '1d')),
  t TIMESTAMPTZ NOT NULL,
  open NUMERIC NOT NULL,
  high NUMERIC NOT NULL,
  low NUMERIC NOT NULL,
  close NUMERIC NOT NULL,
  source TEXT NOT NULL,
  fetched_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (symbol, interval, t)
);

-- The refresh asks for the open orders of a symbol on every run.
CREATE INDEX orders_open_symbol ON orders (symbol) WHERE status_rank < 9;

-- Every change of a latest price is announced on `price_changes`, whoever writes it, so the
-- WebSocket push of every API instance sees it. asOf is UTC ISO-8601 whatever the session zone.
CREATE FUNCTION notify_price_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('price_changes', json_build_object(
    'symbol', NEW.symbol,
    'price', NEW.price::text,
    'source', NEW.source,
    'asOf', to_char(NEW.as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  )::text);
  RETURN NULL;
END
$$;
CREATE TRIGGER prices_notify_insert AFTER INSERT ON prices
  FOR EACH ROW EXECUTE FUNCTION notify_price_change();
-- A repeated upsert of the same quote (a retried activity) announces nothing.
CREATE TRIGGER prices_notify_update AFTER UPDATE ON prices
  FOR EACH ROW WHEN (OLD.price IS DISTINCT FROM NEW.price OR OLD.as_of IS DISTINCT FROM NEW.as_of OR OLD.source IS DISTINCT FROM NEW.source)
  EXECUTE FUNCTION notify_price_change();
