/** Tables of the floor workflow and the direct-insert baseline; they live only in the bench's own database. */
import type { Sql } from '../../lib/db.js';

export async function ensureFloorSchema(sql: Sql): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS bench_floor_orders (
    id UUID PRIMARY KEY,
    step INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`;
  await sql`CREATE TABLE IF NOT EXISTS bench_floor_events (
    id UUID NOT NULL,
    step INTEGER NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (id, step)
  )`;
}
