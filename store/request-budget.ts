/**
 * The Binance request budget's counts in PostgreSQL (`request_budget`, migration 010): one row per
 * scope and limiter with the count of its current fixed window and the end of a 429/418 back-off.
 * Every worker process already shares the database, so this is the one place all of them see: a
 * reservation is one atomic upsert (about a millisecond), where a Temporal workflow would add a
 * round trip of tens of milliseconds and a hot history per request; and the windows run on one
 * clock, the database's, whichever worker asks.
 */
import { z } from 'zod';
import type { Sql } from '../lib/db.js';
import type { BlockNotice, BudgetClaim, BudgetState, KnownLimit, RequestLedger } from '../domain/request-budget.js';

/** The NOTIFY channel of back-offs: every process using the ledger listens on it. */
const BLOCK_CHANNEL = 'request_budget_block';

export interface PgRequestLedgerOptions {
  /** Tests only: this clock (epoch ms) instead of the database's. */
  now?: () => number;
  /**
   * A connection of its own (`max: 1`) for the 429/418 back-offs. On the shared pool the write,
   * and so every other process's notice, waits behind whatever holds the pool's connections
   * (a full portfolio recalculation holds one for a second), while the other processes keep sending.
   */
  blockSql?: Sql | undefined;
}

interface Row {
  used: number;
  granted: boolean;
  window_start: Date;
  now: Date;
  blocked_until: Date | null;
  blocked_status: number | null;
  blocked_code: number | null;
}

/**
 * @example
 * const budget = createRequestBudget({ ledger: createPgRequestLedger(sql), baseUrl: config.BINANCE_BASE_URL });
 */
export function createPgRequestLedger(sql: Sql, options: PgRequestLedgerOptions = {}): RequestLedger {
  // clock_timestamp(), not now(): the time of the statement even inside a caller's transaction.
  const clock = () => (options.now ? sql`${new Date(options.now())}::timestamptz` : sql`clock_timestamp()`);
  const windowOf = (windowMs: number) => sql`make_interval(secs => ${windowMs}::float8 / 1000)`;
  const blockSql = options.blockSql ?? sql;

  return {
    async reserve(c: BudgetClaim): Promise<BudgetState> {
      // The row's count belongs to the current window only if the row's window is it (or later,
      // when a test clock runs backwards); a refused request leaves the count as it was.
      const base = sql`(CASE WHEN b.window_start >= EXCLUDED.window_start THEN b.used ELSE 0 END)`;
      const fits = sql`(coalesce(b.blocked_until <= EXCLUDED.updated_at, true) AND ${base} + ${c.cost}::int <= ${c.cap}::int)`;
      const [row] = await sql<[Row]>`
        WITH t AS (SELECT ${clock()} AS now)
        INSERT INTO request_budget AS b (scope, limiter, window_ms, window_limit, window_start, used, last_granted, updated_at)
        SELECT ${c.scope}, ${c.limiter}, ${c.windowMs}::int, ${c.limit}::int, date_bin(${windowOf(c.windowMs)}, t.now, timestamptz 'epoch'),
          CASE WHEN ${c.cost}::int <= ${c.cap}::int THEN ${c.cost}::int ELSE 0 END, ${c.cost}::int <= ${c.cap}::int, t.now
        FROM t
        ON CONFLICT (scope, limiter) DO UPDATE SET
          window_ms = EXCLUDED.window_ms,
          window_limit = EXCLUDED.window_limit,
          window_start = greatest(b.window_start, EXCLUDED.window_start),
          used = CASE WHEN ${fits} THEN ${base} + ${c.cost}::int ELSE ${base} END,
          last_granted = ${fits},
          updated_at = EXCLUDED.updated_at
        RETURNING used, last_granted AS granted, window_start, updated_at AS now, blocked_until, blocked_status, blocked_code`;
      return {
        granted: row.granted,
        used: row.used,
        windowStart: row.window_start.getTime(),
        now: row.now.getTime(),
        blockedUntil: row.blocked_until?.getTime() ?? 0,
        blockedStatus: row.blocked_status ?? undefined,
        blockedCode: row.blocked_code ?? undefined,
      };
    },

    async release(c, windowStart) {
      await sql`UPDATE request_budget SET used = greatest(used - ${c.cost}::int, 0)
        WHERE scope = ${c.scope} AND limiter = ${c.limiter} AND window_start = ${new Date(windowStart)}`;
    },

    async observe(c, windowStart, used) {
      await sql`
        WITH t AS (SELECT ${clock()} AS now)
        UPDATE request_budget b SET used = greatest(b.used, ${used}::int), updated_at = t.now
        FROM t
        WHERE b.scope = ${c.scope} AND b.limiter = ${c.limiter} AND b.window_start = ${new Date(windowStart)}
          AND t.now < b.window_start + make_interval(secs => b.window_ms::float8 / 1000)`;
    },

    async block(c, retryAfterMs, status, code) {
      // The notice goes out on commit, to every process listening (onBlock): the ledger's rows
      // stop new reservations, the notice stops requests reserved a moment before.
      await blockSql`
        WITH t AS (SELECT ${clock()} AS now),
        up AS (
          INSERT INTO request_budget AS b (scope, limiter, window_ms, window_limit, window_start, used, last_granted, blocked_until, blocked_status, blocked_code, updated_at)
          SELECT ${c.scope}, ${c.limiter}, ${c.windowMs}::int, ${c.limit}::int, date_bin(${windowOf(c.windowMs)}, t.now, timestamptz 'epoch'), 0, false,
            t.now + make_interval(secs => ${retryAfterMs}::float8 / 1000), ${status}::smallint, ${code ?? null}::int, t.now
          FROM t
          ON CONFLICT (scope, limiter) DO UPDATE SET
            blocked_status = CASE WHEN b.blocked_until IS NULL OR EXCLUDED.blocked_until >= b.blocked_until THEN EXCLUDED.blocked_status ELSE b.blocked_status END,
            blocked_code = CASE WHEN b.blocked_until IS NULL OR EXCLUDED.blocked_until >= b.blocked_until THEN EXCLUDED.blocked_code ELSE b.blocked_code END,
            blocked_until = greatest(b.blocked_until, EXCLUDED.blocked_until),
            updated_at = EXCLUDED.updated_at
          RETURNING scope, limiter, blocked_until, blocked_status, blocked_code, updated_at)
        SELECT pg_notify(${BLOCK_CHANNEL}, json_build_object(
          'scope', scope, 'limiter', limiter, 'status', blocked_status, 'code', blocked_code,
          'until', floor(extract(epoch FROM blocked_until) * 1000))::text)
        FROM up`;
    },

    async onBlock(listener) {
      await sql.listen(BLOCK_CHANNEL, (payload) => {
        const notice = parseNotice(payload);
        if (notice) listener(notice);
      });
    },

    async knownLimits(scope): Promise<KnownLimit[]> {
      const rows = await sql<{ limiter: string; window_ms: number; window_limit: number }[]>`
        SELECT limiter, window_ms, window_limit FROM request_budget WHERE scope = ${scope} ORDER BY limiter`;
      return rows.map((r) => ({ limiter: r.limiter, windowMs: r.window_ms, limit: r.window_limit }));
    },
  };
}

const noticeSchema = z.object({ scope: z.string(), limiter: z.string(), until: z.number(), status: z.number(), code: z.number().nullable() });

function parseNotice(payload: string): BlockNotice | undefined {
  try {
    const n = noticeSchema.parse(JSON.parse(payload));
    return { ...n, code: n.code ?? undefined };
  } catch {
    return undefined;
  }
}
