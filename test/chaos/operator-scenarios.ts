/**
 * Issue #11's operator actions on resting orders of both venues: `temporal workflow cancel` and
 * `terminate` from the CLI (then the reconciler), and DELETE /v1/orders/:id racing a fill. The
 * market holds still during submissions, so the orders rest until the scenario moves it.
 */
import { sleep } from '../../lib/embedded/process.js';
import { endStatuses, restingOrders, shuffled } from './moments.js';
import { between } from './plan.js';
import type { ScenarioDefinition, Stack } from './scenario.js';
import { currentRuns, workflowCli } from './temporal-ops.js';

/** What a scenario did, from its chaos to its counts (one entry per run of the scenario). */
function memo<T>(fresh: () => T): (s: Stack) => T {
  const byStack = new WeakMap<Stack, T>();
  return (s) => {
    if (!byStack.has(s)) byStack.set(s, fresh());
    return byStack.get(s)!;
  };
}

/** Orders the workflow-cancel-terminate scenario acted on, for its closing note. */
const operated = memo(() => ({ cancelled: [] as string[], terminated: [] as string[] }));

/**
 * An operator at the CLI: `temporal workflow cancel` on a third of the resting orders (each must
 * end CANCELED, or FILLED if the fill won, as the venue has it) and `temporal workflow terminate`
 * on another third (nobody tracks them until the reconciler starts their workflows again, which
 * must happen before the drain moves the market through them).
 */
export const workflowCancelTerminate: ScenarioDefinition = {
  name: 'workflow-cancel-terminate',
  orders: 40,
  binanceShare: 0.5,
  concurrency: 4,
  pacingMs: [50, 200],
  mix: { 'resting-limit': 2, market: 1 },
  marketCycle: false,
  async chaos(s, rng) {
    const resting = shuffled(await restingOrders(s), rng);
    const third = Math.floor(resting.length / 3);
    const toCancel = resting.slice(0, third);
    const toTerminate = resting.slice(third, 2 * third);
    operated(s).cancelled = toCancel.map((o) => o.id);
    operated(s).terminated = toTerminate.map((o) => o.id);
    if (toCancel.length === 0) throw new Error('chaos: no resting order to cancel or terminate');
    for (const { id } of toCancel) {
      await workflowCli(s.temporalBinary, s.temporal.address, 'cancel', id);
      s.expect(id, ['CANCELED', 'FILLED'], 'its workflow was cancelled with `temporal workflow cancel`, so');
    }
    s.note(`temporal workflow cancel on ${toCancel.length} resting orders (${toCancel.filter((o) => o.planned.body.venue === 'binance').length} Binance)`);
    const before = await currentRuns(s.temporal.address, toTerminate.map((o) => o.id));
    for (const { id } of toTerminate) await workflowCli(s.temporalBinary, s.temporal.address, 'terminate', id);
    s.note(`temporal workflow terminate on ${toTerminate.length} resting orders (${toTerminate.filter((o) => o.planned.body.venue === 'binance').length} Binance)`);
    // The reconciler must start tracking them again before the drain moves the market through them.
    const started = Date.now();
    const restarted = async () => {
      const now = await currentRuns(s.temporal.address, toTerminate.map((o) => o.id));
      return toTerminate.filter(({ id }) => now.get(id)?.status === 'RUNNING' && now.get(id)?.runId !== before.get(id)?.runId).length;
    };
    let n = 0;
    while ((n = await restarted()) < toTerminate.length && Date.now() - started < 60_000) await sleep(1000);
    s.note(`the reconciler restarted ${n}/${toTerminate.length} terminated workflows within ${((Date.now() - started) / 1000).toFixed(1)} s`);
  },
  async counts(s) {
    const { cancelled, terminated } = operated(s);
    s.note(`after the drain: cancelled ${await endStatuses(s, cancelled)}; terminated ${await endStatuses(s, terminated)}`);
    return {};
  },
};

/** The API answers a DELETE within ORDER_CANCEL_WAIT (5 s by default) with 200 or 202; this leaves it twice that. */
const DELETE_DEADLINE_MS = 10_000;

/** The orders a DELETE raced, and the DELETEs that got no answer, a 5xx or anything but 200/202/409. */
const race = memo(() => ({ raced: [] as string[], failures: 0 }));

/**
 * DELETE /v1/orders/:id racing a fill: for each symbol and side, half of the resting orders get a
 * DELETE while the market moves through all of them a few hundred milliseconds later or earlier.
 * Every raced order must end CANCELED or FILLED as the venue has it, and every DELETE must be
 * answered (200, 202, or 409 when the fill won) within DELETE_DEADLINE_MS (`deleteFailures`).
 */
export const deleteRace: ScenarioDefinition = {
  name: 'delete-race',
  orders: 48,
  binanceShare: 0.5,
  concurrency: 4,
  pacingMs: [50, 200],
  mix: { 'resting-limit': 3, market: 1 },
  marketCycle: false,
  async chaos(s, rng) {
    const { raced } = race(s);
    const resting = await restingOrders(s);
    const groups = new Map<string, typeof resting>();
    for (const r of resting) {
      const key = `${r.planned.body.symbol} ${r.planned.body.side}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const answers: Record<string, number> = {};
    let slowest = 0;
    for (const [group, orders] of groups) {
      const [symbol, side] = group.split(' ') as [string, string];
      const chosen = shuffled(orders, rng).slice(0, Math.max(1, Math.floor(orders.length / 2)));
      raced.push(...chosen.map((o) => o.id));
      const moveAfter = between(rng, 0, 600);
      const deletes = chosen.map(async ({ id }) => {
        s.expect(id, ['CANCELED', 'FILLED'], 'a DELETE raced its fill, so');
        await sleep(between(rng, 0, 300));
        const out = await s.client.cancel(id, DELETE_DEADLINE_MS);
        slowest = Math.max(slowest, out.ms);
        const key = out.kind === 'answered' ? String(out.status) : 'no answer';
        answers[key] = (answers[key] ?? 0) + 1;
        if (out.kind !== 'answered' || ![200, 202, 409].includes(out.status)) {
          race(s).failures++;
          s.note(`DELETE /v1/orders/${id}: ${out.kind === 'answered' ? `HTTP ${out.status}` : out.lastError} after ${out.ms} ms`);
        }
      });
      const move = (async () => {
        await sleep(moveAfter);
        await s.market.moveSymbol(symbol, side === 'BUY' ? 'down' : 'up');
      })();
      await Promise.all([...deletes, move]);
      // Paper orders fill on their next poll: hold the price there a little, then back to rest.
      await sleep(2500);
      await s.market.moveSymbol(symbol, 'rest');
    }
    s.note(`DELETE raced the fills of ${raced.length} of ${resting.length} resting orders: answers ${JSON.stringify(answers)}, slowest ${slowest} ms`);
  },
  async counts(s) {
    s.note(`after the drain the raced orders are ${await endStatuses(s, race(s).raced)}`);
    return { deleteFailures: race(s).failures };
  },
};
