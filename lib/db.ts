/** The one way the engine opens PostgreSQL: postgres.js, NUMERIC kept as strings. */
import postgres from 'postgres';
import { driverRoot, unpatchedDriverFiles } from './postgres-driver-patch.js';

export type Sql = postgres.Sql;
/** Either the pool or a transaction: for helpers that only run queries. */
export type Queryable = postgres.ISql;

export interface SqlOptions {
  max?: number;
  /** Seconds to wait for a connection before a query fails (keeps /health quick when the DB is down). */
  connectTimeout?: number;
  applicationName?: string;
  /** Seconds an idle connection is kept; 0 keeps it for good (a session that holds a lock). Default 30. */
  idleTimeout?: number;
}

/**
 * @example const sql = createSql(config.DATABASE_URL, { max: config.PG_POOL_MAX });
 */
export function createSql(url: string, options: SqlOptions = {}): Sql {
  assertDriverPatched();
  return postgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeout ?? 5,
    idle_timeout: options.idleTimeout ?? 30,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'durable-trader' },
  });
}

let driverChecked = false;
/** An unpatched driver can kill the process when PostgreSQL drops a connection: refuse to run on one. */
function assertDriverPatched(): void {
  if (driverChecked) return;
  const root = driverRoot();
  const missing = unpatchedDriverFiles(root);
  if (missing.length) {
    throw new Error(`postgres.js at ${root} lacks the repair in lib/postgres-driver-patch.ts (${missing.join(', ')}); was it installed with --ignore-scripts? Install with npm ci (rebuild a Docker image), or run node --import tsx scripts/patch-postgres-driver.ts as the owner of node_modules`);
  }
  driverChecked = true;
}

/**
 * Whether a write failed on a unique index (SQLSTATE 23505), e.g. a name or key already taken.
 * @example catch (err) { if (isUniqueViolation(err)) throw new ApiError(409, 'name_taken', '…'); }
 */
export const isUniqueViolation = (err: unknown): boolean => typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
