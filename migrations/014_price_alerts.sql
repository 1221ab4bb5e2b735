-- Price alerts: a condition on one symbol's price, evaluated by the price refresh where prices
-- arrive (one SQL pass per batch of moved prices, not one poll per alert). An alert fires once:
-- the refresh moves it from ACTIVE to FIRED with a conditional UPDATE, whoever evaluates it and
-- however often. A conditional order's id is fixed at creation, so starting it is exactly once.
CREATE TABLE price_alerts (
  id UUID PRIMARY KEY,
  account_id UUID NOT NULL REFERENCES accounts(id),
  symbol TEXT NOT NULL,
  condition TEXT NOT NULL CHECK (condition IN ('ABOVE', 'BELOW', 'CROSS', 'MOVE_PCT')),
  -- ABOVE, BELOW, CROSS: the price to reach or cross.
  threshold NUMERIC CHECK (threshold > 0),
  -- MOVE_PCT: a move of at least pct percent within window_seconds, UP, DOWN or ANY.
  pct NUMERIC CHECK (pct > 0),
  window_seconds INTEGER CHECK (window_seconds > 0),
  direction TEXT CHECK (direction IN ('UP', 'DOWN', 'ANY')),
  -- The latest price when the alert was made: the side a CROSS starts from, and the first price of a MOVE_PCT window.
  reference_price NUMERIC NOT NULL CHECK (reference_price > 0),
  note TEXT,
  status TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'FIRED', 'CANCELED')),
  fired_at TIMESTAMPTZ,
  fired_price NUMERIC,
  -- The refresh run (workflow id) that fired it: the conditional order's parent in the Temporal UI.
  fired_by TEXT,
  canceled_at TIMESTAMPTZ,
  -- The conditional order's terms (POST /v1/orders' body, venue decided) and its id, fixed at creation.
  order_terms JSONB,
  order_id UUID UNIQUE,
  -- When its workflow was started; a FIRED alert with an order_id and none here still owes its order.
  order_started_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK ((condition = 'MOVE_PCT') = (pct IS NOT NULL AND window_seconds IS NOT NULL AND direction IS NOT NULL)),
  CHECK ((condition = 'MOVE_PCT') = (threshold IS NULL)),
  CHECK ((order_terms IS NULL) = (order_id IS NULL)),
  CHECK ((status = 'FIRED') = (fired_at IS NOT NULL AND fired_price IS NOT NULL))
);
-- The refresh reads the active alerts of the symbols that moved.
CREATE INDEX price_alerts_active_symbol ON price_alerts (symbol) WHERE status = 'ACTIVE';
CREATE INDEX price_alerts_account_created ON price_alerts (account_id, created_at DESC, id DESC);
-- Fired alerts whose conditional order is not started yet (retried by the next evaluation).
CREATE INDEX price_alerts_order_owed ON price_alerts (fired_at) WHERE status = 'FIRED' AND order_id IS NOT NULL AND order_started_at IS NULL;
