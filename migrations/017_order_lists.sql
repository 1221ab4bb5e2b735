-- Order lists (OCO, bracket): the list as a whole; its legs are orders whose parent it is.
CREATE TABLE order_lists (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id),
  venue text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('OCO', 'BRACKET')),
  symbol text NOT NULL,
  side text NOT NULL CHECK (side IN ('BUY', 'SELL')),
  quantity numeric NOT NULL,
  request jsonb NOT NULL,
  list_client_order_id text NOT NULL,
  exchange_list_id text,
  status text NOT NULL DEFAULT 'RECEIVED',
  reject_reason text,
  -- Binance: a placement POST with no clear answer is never sent again, only looked for.
  submit_in_doubt boolean NOT NULL DEFAULT false,
  credentials_source text,
  credentials_version uuid,
  workflow_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_lists_account ON order_lists (account_id, created_at DESC, id DESC);
