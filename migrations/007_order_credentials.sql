-- Which Binance key pair placed an order: the account's stored pair or the environment's
-- single-user pair. Tracking and cancels keep using that pair, so a pair stored later does not
-- silently take over an order it cannot see. NULL for paper orders and orders never submitted.
ALTER TABLE orders ADD COLUMN credentials_source TEXT CHECK (credentials_source IN ('stored', 'environment'));
