-- Orders the reconciler saw open on a venue that the engine never placed (no order of ours has
-- their client order id): the EXTERNAL list of GET /v1/orders/external. Upserted per sighting, so
-- first_seen is the first reconciliation that saw the order and last_seen the latest; closed_at
-- is set by the first reconciliation that no longer finds it among the venue's open orders.
CREATE TABLE external_orders (
  account_id UUID NOT NULL REFERENCES accounts(id),
  venue TEXT NOT NULL CHECK (venue IN ('paper', 'binance')),
  exchange_order_id TEXT NOT NULL,
  client_order_id TEXT NOT NULL,
  symbol TEXT NOT NULL,
  side TEXT NOT NULL,
  type TEXT NOT NULL,
  price NUMERIC,
  quantity NUMERIC NOT NULL,
  executed_qty NUMERIC NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  -- Whole milliseconds, so a page cursor (a JavaScript Date) names a row exactly.
  first_seen TIMESTAMPTZ NOT NULL DEFAULT date_trunc('milliseconds', now()),
  last_seen TIMESTAMPTZ NOT NULL DEFAULT now(),
  closed_at TIMESTAMPTZ,
  PRIMARY KEY (account_id, venue, exchange_order_id)
);
CREATE INDEX external_orders_account_first_seen ON external_orders (account_id, first_seen DESC, venue, exchange_order_id);
