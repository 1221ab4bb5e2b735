/**
 * When a fault is due and what it acts on: waits for a point of the run, the resting orders open on
 * the venue, their end statuses, and seeded choices, shared by the scenario files.
 */
import { sleep } from '../../lib/embedded/process.js';
import type { PlannedOrder } from './plan.js';
import type { Stack } from './scenario.js';

/** Polls until `ready()` holds; the faults wait for the run to reach a given point this way. */
export async function until(ready: () => boolean, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('chaos: the run never reached the point where the fault was due');
    await sleep(100);
  }
}

/** A `ready` check for `until`: a share of the planned orders has been accepted. */
export const accepted = (s: Stack, share: number) => () => s.progress.accepted >= Math.ceil(s.progress.total * share);

/** A seed for a fault's own random source, drawn from the scenario's. */
export const seedOf = (rng: () => number) => Math.floor(rng() * 2 ** 31);

/**
 * The accepted resting LIMITs once every submission is answered and none of them is still on its
 * way to the venue: the orders open on the venue that a cancel or terminate can reach.
 */
export async function restingOrders(s: Stack): Promise<Array<{ id: string; planned: PlannedOrder }>> {
  await until(() => s.progress.finished === s.progress.total, 300_000);
  const resting = s.accepted.filter((a) => a.planned.intent === 'resting-limit');
  if (resting.length === 0) return [];
  const ids = resting.map((r) => r.id);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows = await s.sql<{ id: string; status: string }[]>`SELECT id::text, status FROM orders WHERE id IN ${s.sql(ids)}`;
    const open = new Set(rows.filter((r) => r.status === 'NEW').map((r) => r.id));
    const pending = rows.filter((r) => ['RECEIVED', 'PENDING_NEW', 'UNKNOWN'].includes(r.status));
    if ((pending.length === 0 && rows.length === ids.length) || Date.now() > deadline) return resting.filter((r) => open.has(r.id));
    await sleep(500);
  }
}

/** `CANCELED×5 FILLED×3`: the end statuses of `ids`, as the API reports them. */
export async function endStatuses(s: Stack, ids: readonly string[]): Promise<string> {
  if (ids.length === 0) return 'none';
  const rows = await s.sql<{ status: string; n: number }[]>`SELECT status, count(*)::int AS n FROM orders WHERE id IN ${s.sql(ids)} GROUP BY status ORDER BY status`;
  return rows.map((r) => `${r.status}×${r.n}`).join(' ');
}

/** A seeded shuffle (Fisher–Yates). */
export function shuffled<T>(items: readonly T[], rng: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
