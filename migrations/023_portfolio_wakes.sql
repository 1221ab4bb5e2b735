-- Who wakes a portfolio's workflow after fills: the first notification since the last
-- recalculation sets its token here and signals; later ones see the token and ride on that
-- signal, because the recalculation it brings clears the token before it reads the ledger. A
-- claim left standing (its holder or the workflow gone) is taken over by the workers' sweeper.
CREATE TABLE IF NOT EXISTS portfolio_wakes (
  portfolio_id UUID PRIMARY KEY,
  account_id UUID NOT NULL,
  token TEXT NOT NULL,
  at TIMESTAMPTZ NOT NULL DEFAULT now(),
  -- Sweeps in a row without a recalculation clearing it: each doubles the wait before the next.
  sweeps INT NOT NULL DEFAULT 0
);
