-- Several portfolios per account, cash and income entries beside BUY/SELL, and corrections by
-- reversing entries.
--
-- Every account keeps one default portfolio whose id is the account id, so the rows, workflow ids
-- (`portfolio-<accountId>`) and ledger entries that existed before this migration belong to it
-- unchanged. A new portfolio gets a random id and its own workflow `portfolio-<portfolioId>`.

ALTER TABLE portfolios DROP CONSTRAINT portfolios_pkey;
ALTER TABLE portfolios ADD COLUMN id UUID;
UPDATE portfolios SET id = account_id;
ALTER TABLE portfolios ALTER COLUMN id SET NOT NULL;
ALTER TABLE portfolios ADD PRIMARY KEY (id);
ALTER TABLE portfolios ADD COLUMN name TEXT NOT NULL DEFAULT 'Main' CHECK (length(name) BETWEEN 1 AND 80);
ALTER TABLE portfolios ADD COLUMN is_default BOOLEAN NOT NULL DEFAULT false;
UPDATE portfolios SET is_default = (id = account_id);
ALTER TABLE portfolios ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT now();
-- USD sum of the external cash flows (deposits, implicit funding, minus withdrawals) folded so
-- far, each converted when its recalculation first saw it; the performance series reads it.
ALTER TABLE portfolios ADD COLUMN net_flows NUMERIC NOT NULL DEFAULT 0;
ALTER TABLE portfolios ADD CONSTRAINT portfolios_default_is_account CHECK (NOT is_default OR id = account_id);
CREATE UNIQUE INDEX portfolios_account_name ON portfolios (account_id, lower(name));
CREATE INDEX portfolios_account ON portfolios (account_id, created_at, id);

-- Which portfolio an order books into; NULL is the account's default.
ALTER TABLE orders ADD COLUMN portfolio_id UUID;

-- Fills land in the portfolio of their order.
ALTER TABLE fills ADD COLUMN portfolio_id UUID;
UPDATE fills SET portfolio_id = account_id;
CREATE FUNCTION fill_portfolio() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.portfolio_id IS NULL THEN
    SELECT o.portfolio_id INTO NEW.portfolio_id FROM orders o WHERE o.id = NEW.order_id;
    NEW.portfolio_id := coalesce(NEW.portfolio_id, NEW.account_id);
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER fills_portfolio BEFORE INSERT ON fills FOR EACH ROW EXECUTE FUNCTION fill_portfolio();
ALTER TABLE fills ALTER COLUMN portfolio_id SET NOT NULL;
CREATE INDEX fills_portfolio_ledger ON fills (portfolio_id, ledger_seq);

-- Manual entries: BUY/SELL as before, and cash and income kinds. `side` keeps its name (it is the
-- kind); amount/currency are the cash of DIVIDEND, DEPOSIT, WITHDRAWAL and FEE; ratio is a
-- SPLIT's new units per old unit. A correction is a new row whose `voids` names the entry it
-- reverses; nothing is updated or deleted.
ALTER TABLE trades ADD COLUMN portfolio_id UUID;
UPDATE trades SET portfolio_id = account_id;
ALTER TABLE trades ALTER COLUMN portfolio_id SET NOT NULL;
-- An insert that names no portfolio books into the default one.
CREATE FUNCTION trade_portfolio() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.portfolio_id := coalesce(NEW.portfolio_id, NEW.account_id);
  RETURN NEW;
END
$$;
CREATE TRIGGER trades_portfolio BEFORE INSERT ON trades FOR EACH ROW EXECUTE FUNCTION trade_portfolio();
ALTER TABLE trades DROP CONSTRAINT trades_side_check;
ALTER TABLE trades ADD CONSTRAINT trades_kind_check
  CHECK (side IN ('BUY', 'SELL', 'DIVIDEND', 'DEPOSIT', 'WITHDRAWAL', 'FEE', 'SPLIT', 'VOID'));
ALTER TABLE trades ALTER COLUMN symbol DROP NOT NULL;
ALTER TABLE trades ALTER COLUMN quantity DROP NOT NULL;
ALTER TABLE trades ALTER COLUMN price DROP NOT NULL;
ALTER TABLE trades ADD COLUMN amount NUMERIC CHECK (amount > 0);
ALTER TABLE trades ADD COLUMN currency TEXT;
ALTER TABLE trades ADD COLUMN ratio NUMERIC CHECK (ratio > 0);
ALTER TABLE trades ADD COLUMN voids UUID REFERENCES trades(id);
ALTER TABLE trades ADD COLUMN note TEXT;
CREATE UNIQUE INDEX trades_voids_once ON trades (voids) WHERE voids IS NOT NULL;
ALTER TABLE trades ADD CONSTRAINT trades_kind_fields CHECK (
  CASE side
    WHEN 'BUY' THEN symbol IS NOT NULL AND quantity IS NOT NULL AND price IS NOT NULL
    WHEN 'SELL' THEN symbol IS NOT NULL AND quantity IS NOT NULL AND price IS NOT NULL
    WHEN 'DIVIDEND' THEN symbol IS NOT NULL AND amount IS NOT NULL AND currency IS NOT NULL
    WHEN 'DEPOSIT' THEN amount IS NOT NULL AND currency IS NOT NULL
    WHEN 'WITHDRAWAL' THEN amount IS NOT NULL AND currency IS NOT NULL
    WHEN 'FEE' THEN amount IS NOT NULL AND currency IS NOT NULL
    WHEN 'SPLIT' THEN symbol IS NOT NULL AND ratio IS NOT NULL
    WHEN 'VOID' THEN voids IS NOT NULL
  END);
CREATE INDEX trades_portfolio_ledger ON trades (portfolio_id, ledger_seq);

DROP VIEW ledger;
CREATE VIEW ledger AS
  SELECT account_id, portfolio_id, ledger_seq, venue, trade_id, symbol, side, quantity, price,
         commission AS fee, commission_asset AS fee_asset, executed_at, order_id,
         NULL::numeric AS amount, NULL::text AS currency, NULL::numeric AS ratio, NULL::uuid AS voids
    FROM fills
  UNION ALL
  SELECT account_id, portfolio_id, ledger_seq, 'manual', id::text, symbol, side, quantity, price,
         fee, fee_asset, executed_at, NULL::uuid, amount, currency, ratio, voids
    FROM trades;

-- The series performance is computed from: net worth (positions plus cash) and the cumulative
-- external flows at each recalculation. Points written before this migration have neither.
ALTER TABLE portfolio_snapshots ADD COLUMN portfolio_id UUID;
UPDATE portfolio_snapshots SET portfolio_id = account_id;
ALTER TABLE portfolio_snapshots ALTER COLUMN portfolio_id SET NOT NULL;
ALTER TABLE portfolio_snapshots ADD COLUMN net_worth NUMERIC;
ALTER TABLE portfolio_snapshots ADD COLUMN net_flows NUMERIC;
CREATE INDEX portfolio_snapshots_portfolio_at ON portfolio_snapshots (portfolio_id, at, id);
