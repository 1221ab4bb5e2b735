-- Each account's notional per UTC day, reserved by the risk check with one conditional UPDATE, so
-- orders checked at the same moment cannot pass the daily limit together (the old check summed
-- the day's orders and two concurrent checks both saw room). An order that ends REJECTED gives
-- its reservation back, as the sum left rejected orders out.
CREATE TABLE risk_daily_notional (
  account_id UUID NOT NULL REFERENCES accounts(id),
  day DATE NOT NULL,
  notional NUMERIC NOT NULL DEFAULT 0 CHECK (notional >= 0),
  PRIMARY KEY (account_id, day)
);

-- The day whose total holds this order's notional; NULL when it holds none (not checked yet,
-- refused, or given back).
ALTER TABLE orders ADD COLUMN risk_day DATE;

-- Orders checked today before this migration keep counting, as the old sum counted them.
WITH counted AS (
  UPDATE orders SET risk_day = (created_at AT TIME ZONE 'UTC')::date
  WHERE notional IS NOT NULL AND status <> 'REJECTED'
    AND created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
  RETURNING account_id, risk_day, notional
)
INSERT INTO risk_daily_notional (account_id, day, notional)
SELECT account_id, risk_day, sum(notional) FROM counted GROUP BY account_id, risk_day;
