-- Candles in 5m, 15m, 4h and 1w too, and the day's change and volume beside each latest price.
-- (Balances need no table: paper balances are paper_balances, Binance's are read from the venue.)

ALTER TABLE price_candles DROP CONSTRAINT price_candles_interval_check;
ALTER TABLE price_candles ADD CONSTRAINT price_candles_interval_check
  CHECK (interval IN ('1m', '5m', '15m', '1h', '4h', '1d', '1w'));

-- As the provider reported them with the price: Binance over the rolling 24 hours, Yahoo over the
-- regular session against the previous close. NULL when the provider (or a simulated price) gives
-- none; a later quote without them clears them, so they never outlive the price they came with.
ALTER TABLE prices
  ADD COLUMN day_change NUMERIC,
  ADD COLUMN day_change_percent NUMERIC,
  ADD COLUMN day_volume NUMERIC CHECK (day_volume >= 0);

-- The push of every price change carries them too (null when unknown).
CREATE OR REPLACE FUNCTION notify_price_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('price_changes', json_build_object(
    'symbol', NEW.symbol,
    'price', NEW.price::text,
    'source', NEW.source,
    'asOf', to_char(NEW.as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'change', NEW.day_change::text,
    'changePercent', NEW.day_change_percent::text,
    'volume', NEW.day_volume::text
  )::text);
  RETURN NULL;
END
$$;
