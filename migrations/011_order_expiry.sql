-- Good-till-date: the time at which the order workflow cancels a still-working order (a durable
-- timer; Binance Spot has no GTD of its own). NULL: good till cancelled.
ALTER TABLE orders ADD COLUMN expire_at TIMESTAMPTZ;
