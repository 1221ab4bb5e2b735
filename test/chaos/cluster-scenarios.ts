/**
 * Faults only the cluster target can play, because it runs two workers and two APIs on one
 * Temporal server: one of each killed while the other carries the load. (The Temporal server's
 * own restart and kill are the suite's temporal-restart and temporal-kill9, which the cluster
 * target plays on the real server.)
 */
import { sleep } from '../../lib/embedded/process.js';
import { accepted, until } from './moments.js';
import { between } from './plan.js';
import type { ScenarioDefinition } from './scenario.js';

/**
 * kill -9 of one of the two workers, three times, alternating which; each stays down for 5–10 s,
 * so the survivor alone runs every order, activity and timer meanwhile.
 */
export const workerFailover: ScenarioDefinition = {
  name: 'worker-failover',
  targets: ['cluster'],
  orders: 120,
  binanceShare: 0.5,
  concurrency: 6,
  pacingMs: [500, 1500],
  async chaos(s, rng) {
    for (let kill = 0; kill < 3; kill++) {
      await sleep(between(rng, 3000, 8000));
      const victim = s.workers[kill % s.workers.length]!;
      await victim.kill9();
      const downMs = Math.round(between(rng, 5000, 10_000));
      s.note(`kill -9 ${victim.name}, down for ${downMs} ms while the other worker carries on (accepted ${s.progress.accepted}/${s.progress.total})`);
      await sleep(downMs);
      await victim.start();
    }
  },
};

/** Requests each API answered during each outage of the other, for the scenario's own count. */
const failoverEvidence = new WeakMap<object, number>();

/**
 * kill -9 of one of the two APIs while requests to it are in flight, three times, alternating
 * which; it stays down for 5 s while the clients retry against the other. The other must answer
 * meanwhile (`failoverUnanswered` counts outages during which it answered nothing).
 */
export const apiFailover: ScenarioDefinition = {
  name: 'api-failover',
  targets: ['cluster'],
  // About 2.5 orders/s for 60 s, the kills early in it: each kill, its 5 s alone and the victim's
  // restart (5–10 s on a loaded machine) take up to 15 s, so the third still finds orders to send.
  orders: 150,
  binanceShare: 0.5,
  concurrency: 4,
  pacingMs: [1000, 2200],
  async chaos(s, rng) {
    let unanswered = 0;
    failoverEvidence.set(s, 0);
    for (const [i, share] of [between(rng, 0.05, 0.15), between(rng, 0.3, 0.4), between(rng, 0.5, 0.6)].entries()) {
      const victim = i % s.apis.length;
      await until(() => (accepted(s, share)() && s.client.inFlightAt[victim]! >= 1) || s.progress.finished === s.progress.total);
      if (s.progress.finished === s.progress.total) throw new Error(`chaos: every order was answered before API kill #${i + 1} was due`);
      const inFlight = s.client.inFlightAt[victim]!;
      const survivor = (victim + 1) % s.apis.length;
      await s.apis[victim]!.kill9();
      const before = s.client.answeredBy[survivor]!;
      await sleep(5000);
      const answered = s.client.answeredBy[survivor]! - before;
      if (answered === 0) unanswered++;
      s.note(`kill -9 ${s.apis[victim]!.name} with ${inFlight} requests in flight; ${s.apis[survivor]!.name} answered ${answered} requests in the 5 s it was alone (accepted ${s.progress.accepted}/${s.progress.total})`);
      await s.apis[victim]!.start();
    }
    failoverEvidence.set(s, unanswered);
  },
  counts: (s) => ({ failoverUnanswered: failoverEvidence.get(s) ?? 1 }),
};
