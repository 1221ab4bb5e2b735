import { afterAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../store/migrate.js';
import { testSql } from '../helpers/env.js';

const sql = testSql();
afterAll(() => sql.end());

describe('migrations', () => {
  it('apply nothing the second time, because the global setup already ran them', async () => {
    expect(await migrate(sql)).toEqual([]);
    expect(await migrate(sql)).toEqual([]);
  });

  it('record every migration file in schema_migrations', async () => {
    const files = await readMigrations();
    const rows = await sql<{ version: number }[]>`SELECT version FROM schema_migrations ORDER BY version`;
    expect(rows.map((r) => r.version)).toEqual(files.map((f) => f.version));
  });

  it('run concurrently from several processes without applying a file twice', async () => {
    const results = await Promise.all([migrate(sql), migrate(sql), migrate(sql)]);
    expect(results.flat()).toEqual([]);
  });

  it('store every money and quantity column as NUMERIC', async () => {
    const rows = await sql<{ table_name: string; column_name: string; data_type: string }[]>`
      SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = 'public'
        -- Whole words of the name only: request_budget.blocked_until is not a balance's "locked".
        AND column_name ~ '(^|_)(price|qty|quantity|notional|commission|free|locked|amount|cost|pnl|value)(_|$)'
        AND column_name NOT LIKE '%asset%'`;
    expect(rows.length).toBeGreaterThan(10);
    const notNumeric = rows.filter((r) => r.data_type !== 'numeric');
    expect(notNumeric).toEqual([]);
  });
});
