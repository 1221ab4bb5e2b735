-- DCA plans: a recurring MARKET buy of a quote amount, fired by one Temporal Schedule per plan.
-- A deleted plan keeps its row (status DELETED) so its buys stay readable.
CREATE TABLE dca_plans (
  id UUID PRIMARY KEY,
  account_id UUID NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  venue TEXT NOT NULL CHECK (venue IN ('paper', 'binance')),
  symbol TEXT NOT NULL,
  quote_amount NUMERIC NOT NULL CHECK (quote_amount > 0),
  -- As the user wrote it ('1h', '1d', '1w'); the schedule runs every interval_ms.
  interval TEXT NOT NULL,
  interval_ms BIGINT NOT NULL CHECK (interval_ms > 0),
  status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'PAUSED', 'DELETED')),
  schedule_id TEXT NOT NULL UNIQUE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX dca_plans_account ON dca_plans (account_id, created_at DESC);

-- One row per firing of a plan's schedule, keyed by the firing's workflow id: a firing run again
-- (retry, reset) finds its row and its order id instead of buying twice.
CREATE TABLE dca_buys (
  plan_id UUID NOT NULL REFERENCES dca_plans(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  firing_id TEXT NOT NULL,
  order_id UUID NOT NULL UNIQUE,
  quote_amount NUMERIC NOT NULL,
  -- PENDING while the firing decides, then PLACED (the order carries the outcome) or SKIPPED.
  status TEXT NOT NULL CHECK (status IN ('PENDING', 'PLACED', 'SKIPPED')),
  price NUMERIC,
  quantity NUMERIC,
  reason TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_id, seq),
  UNIQUE (plan_id, firing_id)
);
