-- Which Binance key pair placed an order: the account's stored pair or the environment's
-- single-user pair. Tracking and cancels keep using that pair, so a pair stored later does not
-- silently take over an order it cannot see. NULL for paper orders and orders never submitted.
ALTER TABLE orders ADD COLUMN credentials_source TEXT CHECK (credentials_source IN ('stored', 'environment'));

-- Binance: set right before an order's POST and cleared only when the venue provably refused it
-- (429/418, -1021, a filter rejection, no connection). While set, the order is never POSTed again,
-- whatever runs the submission (a retried or restarted workflow, an older workflow version, a reset).
ALTER TABLE orders ADD COLUMN submit_in_doubt BOOLEAN NOT NULL DEFAULT false;

-- The pre-trade checks' verdicts, decided once per order: a workflow task that runs them again
-- (its worker died before the task completed) gets the same answer, so it cannot take another path.
ALTER TABLE orders ADD COLUMN check_verdicts JSONB NOT NULL DEFAULT '{}'::jsonb;
