import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { createSql } from '../../lib/db.js';
import { migrate, MigrationError, readMigrations } from '../../store/migrate.js';
import { mkdtempSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';

// Each test works in a brand-new database on the run's server.
const admin = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} });
const created: string[] = [];
async function freshDb() {
  const name = `mig_${created.length}_${process.pid}`;
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name}`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  created.push(name);
  const u = new URL(inject('databaseUrl'));
  u.pathname = `/${name}`;
  return createSql(u.toString(), { max: 2 });
}
afterAll(async () => {
  for (const name of created) await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

describe('migrate on an empty database', () => {
  it('applies every file in order the first time and nothing the second time', async () => {
    const sql = await freshDb();
    const files = await readMigrations();
    expect(await migrate(sql)).toEqual(files.map((f) => f.version));
    expect(await migrate(sql)).toEqual([]);
    await sql.end();
  });

  it('refuses to continue when an applied file was edited afterwards', async () => {
    const sql = await freshDb();
    const dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
    for (const f of readdirSync(path.resolve('migrations'))) copyFileSync(path.resolve('migrations', f), path.join(dir, f));
    await migrate(sql, dir);
    const first = readdirSync(dir).sort()[0]!;
    writeFileSync(path.join(dir, first), '-- edited\nSELECT 1;');
    await expect(migrate(sql, dir)).rejects.toThrow(MigrationError);
    await sql.end();
  });

  it('leaves the schema untouched when a new file fails', async () => {
    const sql = await freshDb();
    const dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
    for (const f of readdirSync(path.resolve('migrations'))) copyFileSync(path.resolve('migrations', f), path.join(dir, f));
    writeFileSync(path.join(dir, '900_ok.sql'), 'CREATE TABLE should_not_survive (id int);');
    writeFileSync(path.join(dir, '901_broken.sql'), 'CREATE TABLE broken (;');
    await expect(migrate(sql, dir)).rejects.toThrow();
    const [row] = await sql<{ exists: boolean }[]>`SELECT to_regclass('public.should_not_survive') IS NOT NULL AS exists`;
    expect(row?.exists).toBe(false);
    await sql.end();
  });
});
