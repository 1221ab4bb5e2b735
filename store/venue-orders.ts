/**
 * Our orders as the venues' event feeds need them: which workflow an execution report belongs to,
 * and which open orders a key pair's stream should be able to account for after a reconnect.
 */
import type { Queryable } from '../lib/db.js';
import type { Venue } from '../domain/exchange.js';

export interface EventTarget {
  orderId: string;
  accountId: string;
  workflowId: string;
}

/** The order with this client id on this venue, or undefined (another client's order on the same key). */
export async function findEventTarget(sql: Queryable, venue: Venue, clientOrderId: string): Promise<EventTarget | undefined> {
  const [row] = await sql<{ id: string; account_id: string; workflow_id: string }[]>`
    SELECT id, account_id, workflow_id FROM orders WHERE client_order_id = ${clientOrderId} AND venue = ${venue}`;
  return row ? { orderId: row.id, accountId: row.account_id, workflowId: row.workflow_id } : undefined;
}

/** A Binance key pair as orders record it: the environment's, or a version of an account's stored one. */
export type KeyOwner = { source: 'environment' } | { source: 'stored'; accountId: string; version: string };

export interface OpenVenueOrder {
  workflowId: string;
  clientOrderId: string;
  executedQty: string;
}

/**
 * Our Binance orders the venue has accepted and not finished, placed with this key pair. Orders
 * still being submitted or UNKNOWN are left out: their workflows are looking for them already.
 */
export async function openOrdersOfKey(sql: Queryable, key: KeyOwner): Promise<OpenVenueOrder[]> {
  const rows = await sql<{ workflow_id: string; client_order_id: string; executed_qty: string }[]>`
    SELECT workflow_id, client_order_id, executed_qty::text FROM orders
    WHERE venue = 'binance' AND status IN ('NEW', 'PARTIALLY_FILLED', 'PENDING_CANCEL') AND status_rank < 9
      ${key.source === 'environment'
        ? sql`AND credentials_source = 'environment'`
        : sql`AND credentials_source = 'stored' AND account_id = ${key.accountId} AND (credentials_version = ${key.version} OR credentials_version IS NULL)`}`;
  return rows.map((r) => ({ workflowId: r.workflow_id, clientOrderId: r.client_order_id, executedQty: r.executed_qty }));
}

/** Every account's current stored Binance pair (sealed), to open one stream each. */
export async function storedBinanceKeys(sql: Queryable): Promise<Array<{ accountId: string; version: string; api_key_sealed: string; api_secret_sealed: string; api_key_last4: string }>> {
  const rows = await sql<{ account_id: string; version: string; api_key_sealed: string; api_secret_sealed: string; api_key_last4: string }[]>`
    SELECT account_id, version, api_key_sealed, api_secret_sealed, api_key_last4 FROM exchange_credentials WHERE venue = 'binance' ORDER BY account_id`;
  return rows.map(({ account_id, ...rest }) => ({ accountId: account_id, ...rest }));
}
