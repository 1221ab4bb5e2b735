/**
 * Applies `migrations/NNN_name.sql` in order and records each in `schema_migrations`.
 * All pending files run in one transaction, each in its own savepoint: a failing file leaves the
 * schema exactly as it was. Safe to run twice and from several processes at once (advisory lock).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from '../lib/db.js';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'migrations');
const LOCK_ID = 7_233_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const file of files) {
    const m = /^(\d+)_([\w-]+)\.sql$/.exec(file);
    if (!m) throw new MigrationError(`Migration file ${file} must be named NNN_name.sql`);
    const text = await readFile(path.join(dir, file), 'utf8');
    out.push({ version: Number(m[1]), name: m[2]!, sql: text, checksum: createHash('sha256').update(text).digest('hex') });
  }
  const seen = new Set<number>();
  for (const mig of out) {
    if (seen.has(mig.version)) throw new MigrationError(`Two migrations share version ${mig.version}`);
    seen.add(mig.version);
  }
  return out;
}

/**
 * @returns the versions applied by this call (empty when the schema was already current).
 * @example const applied = await migrate(sql);
 */
export async function migrate(sql: Sql, dir = MIGRATIONS_DIR): Promise<number[]> {
  const migrations = await readMigrations(dir);
  return sql.begin(async (tx) => {
    // The lock lives as long as this transaction, so concurrent starts apply each file once.
    await tx`SELECT pg_advisory_xact_lock(${LOCK_ID})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      checksum TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`;
    const done = new Map((await tx<{ version: number; checksum: string }[]>`SELECT version, checksum FROM schema_migrations`).map((r) => [r.version, r.checksum]));
    const applied: number[] = [];
    for (const mig of migrations) {
      const known = done.get(mig.version);
      if (known !== undefined) {
        if (known !== mig.checksum) {
          throw new MigrationError(`Migration ${mig.version}_${mig.name} was edited after it was applied; add a new migration instead`);
        }
        continue;
      }
      await tx.savepoint(async (sp) => {
        await sp.unsafe(mig.sql);
        await sp`INSERT INTO schema_migrations (version, name, checksum) VALUES (${mig.version}, ${mig.name}, ${mig.checksum})`;
      });
      applied.push(mig.version);
    }
    return applied;
  });
}
