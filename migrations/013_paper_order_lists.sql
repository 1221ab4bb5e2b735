-- The paper venue learns Binance's OCO order lists, LIMIT_MAKER and trailing stops.

-- An OCO pair; its legs are paper_orders rows naming it. Both legs sell the same base (or buy
-- with the same quote), so the list, not its legs, holds the balance: once, the larger need of the
-- two, released when a leg fills or the last leg ends. A refused placement is kept (status REJECT)
-- so that a late repeat of the same listClientOrderId is refused the same way and places nothing.
CREATE TABLE paper_order_lists (
  order_list_id BIGSERIAL PRIMARY KEY,
  list_client_order_id TEXT NOT NULL,
  account_id UUID NOT NULL REFERENCES accounts(id),
  symbol TEXT NOT NULL,
  contingency_type TEXT NOT NULL CHECK (contingency_type = 'OCO'),
  side TEXT NOT NULL,
  quantity NUMERIC NOT NULL,
  -- Binance's listOrderStatus: EXECUTING while a leg works, ALL_DONE once every leg is final.
  status TEXT NOT NULL CHECK (status IN ('EXECUTING', 'ALL_DONE', 'REJECT')),
  reserve_asset TEXT NOT NULL,
  reserved_amount NUMERIC NOT NULL DEFAULT 0,
  reject_code INTEGER,
  reject_reason TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (account_id, list_client_order_id)
);

ALTER TABLE paper_orders
  ADD COLUMN order_list_id BIGINT REFERENCES paper_order_lists(order_list_id),
  -- What a resting order holds back now (base for a sell, quote for a buy); 0 for a list's legs
  -- and for finished orders. NULL on orders placed before this migration: recomputed from the row.
  ADD COLUMN reserved_amount NUMERIC,
  -- Trailing stops: the delta in BIPS, when the trailing started (NULL: waiting for its stopPrice),
  -- and the best price since then (highest for a sell, lowest for a buy).
  ADD COLUMN trailing_delta INTEGER,
  ADD COLUMN trailing_activated_at TIMESTAMPTZ,
  ADD COLUMN trailing_best_price NUMERIC;

CREATE INDEX paper_orders_list ON paper_orders (order_list_id) WHERE order_list_id IS NOT NULL;
