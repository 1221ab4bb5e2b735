/** `npm run migrate`: applies pending migrations to DATABASE_URL (production runs this before the API and workers). */
import { ConfigError, loadConfig, loadDotEnv } from '../lib/config.js';
import { createSql } from '../lib/db.js';
import { migrate } from '../lib/migrate.js';

loadDotEnv();
let url: string | undefined;
try {
  url = loadConfig().DATABASE_URL;
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
if (!url) {
  console.error('DATABASE_URL is not set: `npm run migrate` works on an existing PostgreSQL (`npm start` migrates the embedded one itself)');
  process.exit(1);
}
const sql = createSql(url, { max: 1 });
try {
  const applied = await migrate(sql);
  console.log(applied.length ? `applied migrations ${applied.join(', ')}` : 'database schema is current');
} finally {
  await sql.end({ timeout: 2 });
}
