-- Orders placed on behalf of a parent (an order list's leg, a TWAP slice, a DCA buy, an alert's
-- conditional order) name it, so parent and children link to each other.
ALTER TABLE orders ADD COLUMN parent_kind text, ADD COLUMN parent_id uuid, ADD COLUMN parent_role text;
CREATE INDEX orders_parent ON orders (parent_id) WHERE parent_id IS NOT NULL;

-- Trailing stops: the trailing delta in basis points (Binance's trailingDelta).
ALTER TABLE orders ADD COLUMN trailing_delta integer;
