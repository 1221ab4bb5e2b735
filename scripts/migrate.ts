/** `npm run migrate`: applies pending migrations to DATABASE_URL (production runs this before the API and workers). */
import { loadConfigOrExit } from '../lib/config.js';
import { createSql } from '../lib/db.js';
import { migrate } from '../store/migrate.js';

const url = loadConfigOrExit({ needsDatabase: 'npm run migrate' }).DATABASE_URL;
const sql = createSql(url, { max: 1 });
try {
  const applied = await migrate(sql);
  console.log(applied.length ? `applied migrations ${applied.join(', ')}` : 'database schema is current');
} finally {
  await sql.end({ timeout: 2 });
}
