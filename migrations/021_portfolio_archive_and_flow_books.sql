-- DELETE /v1/portfolios/{id} archives an empty portfolio: the row stays, so an order placed while
-- it was being deleted still has somewhere to book its fills, and its name is free again.
ALTER TABLE portfolios ADD COLUMN archived_at TIMESTAMPTZ;
DROP INDEX portfolios_account_name;
CREATE UNIQUE INDEX portfolios_account_name ON portfolios (account_id, lower(name)) WHERE archived_at IS NULL;

-- The external flows behind portfolios.net_flows, per currency: {"EUR": {"native": "1000", "usd": "1080"}}.
-- A flow is converted to USD once, when first seen; a later reduction (a voided deposit) is
-- reversed at the average rate it was booked at, so undoing everything returns net_flows to 0.
ALTER TABLE portfolios ADD COLUMN flow_books JSONB NOT NULL DEFAULT '{}';
