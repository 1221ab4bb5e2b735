/** A database of a bench phase's own, on the run's PostgreSQL: dropped, created and migrated, then seeded. */
import { createSql, type Sql } from '../../lib/db.js';
import { migrate } from '../../store/migrate.js';

/**
 * @example const url = await freshDatabase(ctx.databaseUrl, 'bench_twap');
 */
export async function freshDatabase(databaseUrl: string, name: string, seed?: (db: Sql) => Promise<void>): Promise<string> {
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const sql = createSql(admin.toString(), { max: 1, applicationName: 'bench' });
  try {
    await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end({ timeout: 2 });
  }
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  const db = createSql(url.toString(), { max: 1, applicationName: 'bench' });
  try {
    await migrate(db);
    await seed?.(db);
  } finally {
    await db.end({ timeout: 2 });
  }
  return url.toString();
}
