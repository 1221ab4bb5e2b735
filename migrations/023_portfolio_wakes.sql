-- Who wakes a portfolio's workflow after fills: the first notification since the last
-- recalculation sets its token here and signals; later ones see the token and ride on that
-- signal, because the recalculation it brings clears the token before it reads the ledger.
CREATE TABLE IF NOT EXISTS portfolio_wakes (
  portfolio_id UUID PRIMARY KEY,
  token TEXT NOT NULL,
  at TIMESTAMPTZ NOT NULL DEFAULT now()
);
