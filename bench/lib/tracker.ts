/**
 * Knows when each order (or floor run) is done, from the NOTIFY the engine sends in the same
 * transaction that records the change. A notification may arrive before the POST that started
 * the order has answered, so early ones are kept until someone asks.
 */
import type { Sql } from '../../lib/db.js';
import type { Outcome } from './load.js';

export type ParseNotification = (payload: string) => { id: string; ok: boolean; error?: string } | undefined;

export class CompletionTracker {
  private readonly early = new Map<string, Outcome>();
  private readonly waiters = new Map<string, (o: Outcome) => void>();
  /** Every completion seen, for the live event-rate and sanity checks. */
  completions = 0;

  constructor(private readonly parse: ParseNotification) {}

  /** LISTEN on `channel` through its own connection of `sql`. */
  async listen(sql: Sql, channel: string): Promise<void> {
    await sql.listen(channel, (payload) => this.notified(payload));
  }

  notified(payload: string): void {
    const at = performance.now();
    const r = this.parse(payload);
    if (!r) return;
    this.completions++;
    const outcome: Outcome = { ok: r.ok, doneAt: at, ...(r.error ? { error: r.error } : {}) };
    const waiter = this.waiters.get(r.id);
    if (waiter) {
      this.waiters.delete(r.id);
      waiter(outcome);
    } else {
      this.early.set(r.id, outcome);
    }
  }

  /** Resolves with the completion of `id` (or a timeout outcome after `timeoutMs`). */
  wait(id: string, timeoutMs: number): Promise<Outcome> {
    const seen = this.early.get(id);
    if (seen) {
      this.early.delete(id);
      return Promise.resolve(seen);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve({ ok: false, doneAt: Infinity, error: `not done within ${timeoutMs} ms` });
      }, timeoutMs);
      this.waiters.set(id, (o) => {
        clearTimeout(timer);
        resolve(o);
      });
    });
  }

  /** Orders still awaited (a drained system has none). */
  get pending(): number {
    return this.waiters.size;
  }
}

/** `order_changes` payloads: done at a terminal status, good only when FILLED. */
export const parseOrderChange: ParseNotification = (payload) => {
  const change = JSON.parse(payload) as { orderId?: string; status?: string };
  if (!change.orderId || !change.status) return undefined;
  if (change.status === 'FILLED') return { id: change.orderId, ok: true };
  if (['REJECTED', 'CANCELED', 'EXPIRED'].includes(change.status)) return { id: change.orderId, ok: false, error: `order ended ${change.status}` };
  return undefined;
};

/** The floor's payload is its id. */
export const parseFloorChange: ParseNotification = (payload) => ({ id: payload, ok: true });
