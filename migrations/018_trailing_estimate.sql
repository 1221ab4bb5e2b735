-- Binance does not publish a trailing stop's trigger: the engine follows the best price since
-- activation by its own price feed, to show where the trigger stands.
ALTER TABLE orders ADD COLUMN trail_best numeric;
