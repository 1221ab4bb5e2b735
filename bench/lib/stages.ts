/**
 * Later stages of an order than FILLED, and the earlier one of reaching the venue, read where the
 * engine leaves them: when the portfolio snapshot that includes a fill was announced (LISTEN on
 * `portfolio_changes`, which the recalculation NOTIFYs in the transaction that writes the snapshot),
 * and when the venue stamped the order (the paper venue's `paper_orders.created_at`; the floor's
 * event row of the same step). Lookups are batched, so a latency run adds one query per batch.
 */
import type { Sql } from '../../lib/db.js';
import { PORTFOLIO_CHANNEL, type PortfolioChange } from '../../store/portfolio-events.js';

/** PostgreSQL's epoch milliseconds on the clock of `performance.now()` (same machine, same clock). */
const toPerformanceTime = (epochMs: number) => epochMs - (Date.now() - performance.now());

/**
 * When each portfolio's snapshots were announced, and which ledger entries each covered (the
 * portfolio's cursor as that recalculation left it). A notification is read back at once; when a
 * later recalculation has already replaced the row, the notification is skipped and the later one
 * settles what it covers, so a stage is never reported earlier than it happened.
 */
export class PortfolioTracker {
  private chain: Promise<void> = Promise.resolve();
  private readonly seen = new Map<string, Array<{ cursor: bigint; at: number }>>();
  private readonly waiters = new Set<{ portfolioId: string; seq: bigint; since: number; resolve: (at: number) => void }>();
  /** Notifications whose row had already moved on (a later recalculation settled their entries). */
  skipped = 0;

  constructor(private readonly sql: Sql) {}

  /** LISTEN on `portfolio_changes` through its own connection of `sql`. */
  async listen(): Promise<void> {
    await this.sql.listen(PORTFOLIO_CHANNEL, (payload) => {
      const at = performance.now();
      const change = JSON.parse(payload) as PortfolioChange;
      this.chain = this.chain.then(() => this.settle(change, at)).catch(() => undefined);
    });
  }

  private async settle(change: PortfolioChange, at: number): Promise<void> {
    const [row] = await this.sql<{ cursor: string; as_of: string | null }[]>`SELECT cursor::text AS cursor, summary->>'asOf' AS as_of FROM portfolios WHERE id = ${change.portfolioId}`;
    if (!row || row.as_of !== change.asOf) {
      this.skipped++;
      return;
    }
    const cursor = BigInt(row.cursor);
    const list = this.seen.get(change.portfolioId) ?? [];
    list.push({ cursor, at });
    if (list.length > 5000) list.splice(0, list.length - 5000);
    this.seen.set(change.portfolioId, list);
    for (const w of this.waiters) {
      if (w.portfolioId === change.portfolioId && w.seq <= cursor && at >= w.since) {
        this.waiters.delete(w);
        w.resolve(at);
      }
    }
  }

  /**
   * When the first snapshot of `portfolioId` covering ledger entry `seq` was announced
   * (performance.now()), or undefined if none within `timeoutMs`; with `since`, the first one
   * announced from then on.
   * @example const at = await tracker.reached(accountId, 1234n, 60_000);
   */
  reached(portfolioId: string, seq: bigint, timeoutMs: number, since = -Infinity): Promise<number | undefined> {
    const hit = this.seen.get(portfolioId)?.find((s) => s.cursor >= seq && s.at >= since);
    if (hit) return Promise.resolve(hit.at);
    return new Promise((resolve) => {
      const waiter = {
        portfolioId,
        seq,
        since,
        resolve: (at: number | undefined) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }
}

/**
 * One query for every id asked for within `everyMs`: `lookup(ids)` answers a map by id.
 * @example const venueAt = batched(50, (ids) => …); await venueAt(orderId);
 */
export function batched<T>(everyMs: number, lookup: (ids: string[]) => Promise<Map<string, T>>): (id: string) => Promise<T | undefined> {
  let pending = new Map<string, Array<(v: T | undefined) => void>>();
  let timer: NodeJS.Timeout | undefined;
  const flush = async () => {
    const batch = pending;
    pending = new Map();
    timer = undefined;
    let found: Map<string, T> | undefined;
    try {
      found = await lookup([...batch.keys()]);
    } catch {
      found = undefined;
    }
    for (const [id, resolvers] of batch) for (const r of resolvers) r(found?.get(id));
  };
  return (id) =>
    new Promise((resolve) => {
      pending.set(id, [...(pending.get(id) ?? []), resolve]);
      timer ??= setTimeout(() => void flush(), everyMs);
    });
}

/** What the bench needs of a filled order: when the venue stamped it, and the ledger entry of its (last) fill. */
export interface OrderFacts {
  /** performance.now() of the venue's stamp: paper_orders.created_at, the venue transaction's `now()`. */
  venueAt: number | undefined;
  portfolioId: string | undefined;
  ledgerSeq: bigint | undefined;
}

/**
 * @example const facts = orderFacts(sql); const { venueAt, ledgerSeq } = (await facts(orderId))!;
 */
export function orderFacts(sql: Sql, everyMs = 100): (orderId: string) => Promise<OrderFacts | undefined> {
  return batched(everyMs, async (ids) => {
    const rows = await sql<{ id: string; venue_ms: number | null; portfolio_id: string | null; seq: string | null }[]>`
      SELECT o.id::text AS id, (extract(epoch FROM p.created_at) * 1000)::float8 AS venue_ms, f.portfolio_id::text AS portfolio_id, f.seq::text AS seq
      FROM orders o
      LEFT JOIN paper_orders p ON p.client_order_id = o.client_order_id
      LEFT JOIN LATERAL (SELECT max(ledger_seq) AS seq, min(portfolio_id::text) AS portfolio_id FROM fills WHERE order_id = o.id) f ON true
      WHERE o.id = ANY(${ids}::uuid[])`;
    return new Map(
      rows.map((r) => [
        r.id,
        {
          venueAt: r.venue_ms === null ? undefined : toPerformanceTime(r.venue_ms),
          portfolioId: r.portfolio_id ?? undefined,
          ledgerSeq: r.seq === null ? undefined : BigInt(r.seq),
        },
      ]),
    );
  });
}

/**
 * When the floor run's step `step` began its transaction (performance.now()): the floor's
 * counterpart of the venue's stamp, taken the same way (the transaction's `now()`).
 * @example const at = await floorStepAt(sql, 5)(runId);
 */
export function floorStepAt(sql: Sql, step: number, everyMs = 100): (runId: string) => Promise<number | undefined> {
  return batched(everyMs, async (ids) => {
    const rows = await sql<{ id: string; ms: number }[]>`SELECT id::text AS id, (extract(epoch FROM at) * 1000)::float8 AS ms
      FROM bench_floor_events WHERE id = ANY(${ids}::uuid[]) AND step = ${step}`;
    return new Map(rows.map((r) => [r.id, toPerformanceTime(r.ms)]));
  });
}
