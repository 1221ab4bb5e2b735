/**
 * Every scenario of the suite, in the order it runs: the faults of issue #7 and the process
 * crashes of issue #11 here, issue #11's venue faults in venue-scenarios.ts and its operator
 * actions in operator-scenarios.ts. Each plays while its orders are being submitted and worked;
 * the moments come from the scenario's seeded random source, so a failing run can be replayed
 * with the same `--seed`.
 */
import { sleep } from '../../lib/embedded/process.js';
import { accepted, until } from './moments.js';
import { deleteRace, workflowCancelTerminate } from './operator-scenarios.js';
import { between } from './plan.js';
import type { ScenarioDefinition, Stack } from './scenario.js';
import { apiFailover, workerFailover } from './cluster-scenarios.js';
import { bracketWorkerDown, ocoTemporalRestart } from './list-scenarios.js';
import { hiddenFilled, hiddenResting, rateLimitBan, streamOutage, unknownOutcomes } from './venue-scenarios.js';
import { twapWorkerKill } from './twap-scenarios.js';

/** kill -9 of the worker at random moments; a fresh worker right after each kill. */
export const workerKill: ScenarioDefinition = {
  name: 'worker-kill',
  orders: 200,
  binanceShare: 0.5,
  // About a minute of submissions, so every kill lands while orders arrive and are worked.
  concurrency: 6,
  pacingMs: [800, 2000],
  async chaos(s, rng) {
    for (let kill = 1; kill <= 4; kill++) {
      await sleep(between(rng, 2000, 8000));
      await s.worker.kill9();
      s.note(`kill -9 worker #${kill} (accepted ${s.progress.accepted}/${s.progress.total})`);
      await sleep(between(rng, 0, 1500));
      await s.worker.start();
    }
  },
};

/**
 * A server of the stack stopped once 30 % of the orders were accepted, kept down for `downMs`,
 * then started again on the same data and port.
 */
function outage(name: string, label: string, part: (s: Stack) => { stop(): Promise<void>; start(): Promise<void> }, downMs: number): ScenarioDefinition {
  return {
    name,
    orders: 80,
    binanceShare: 0.5,
    concurrency: 4,
    pacingMs: [100, 400],
    async chaos(s, rng) {
      await until(accepted(s, 0.3));
      await sleep(between(rng, 0, 2000));
      await part(s).stop();
      s.note(`${label} stopped (accepted ${s.progress.accepted}/${s.progress.total})`);
      await sleep(downMs);
      await part(s).start();
      s.note(`${label} started again`);
    },
  };
}

/** The Temporal dev server stopped and started again (same SQLite file, same ports). */
export const temporalRestart = outage('temporal-restart', 'Temporal', (s) => s.temporal, 5000);

/** PostgreSQL stopped for ten seconds, then started again (same data directory, same port). */
export const postgresOutage = outage('postgres-outage', 'PostgreSQL', (s) => s.pg, 10_000);

/**
 * One Binance call in five fails. Queries: 429 with Retry-After or -1021, before the fake acts.
 * Order placements: those two, or accept-then-500 / accept-then-timeout after the fake placed the
 * order. Faults stay armed until the audit, so the settling queries meet them too.
 */
export const exchangeFaults: ScenarioDefinition = {
  name: 'exchange-faults',
  orders: 80,
  binanceShare: 0.8,
  concurrency: 4,
  pacingMs: [100, 400],
  async chaos(s, rng) {
    const seed = () => Math.floor(rng() * 2 ** 31);
    // 1 - (1 - p)^2 = 0.2 for the two kinds a query can meet; 1 - (1 - q)^4 = 0.2 for a placement.
    const p = 1 - Math.sqrt(0.8);
    const q = 1 - Math.pow(0.8, 1 / 4);
    for (const method of ['GET', 'DELETE'] as const) {
      s.fake.injectFault({ kind: 'rate-limit-429', method, probability: p, retryAfterSeconds: 1, seed: seed() });
      s.fake.injectFault({ kind: 'timestamp-1021', method, probability: p, seed: seed() });
    }
    const placement = { method: 'POST', path: '/api/v3/order', probability: q } as const;
    s.fake.injectFault({ kind: 'rate-limit-429', ...placement, retryAfterSeconds: 1, seed: seed() });
    s.fake.injectFault({ kind: 'timestamp-1021', ...placement, seed: seed() });
    s.fake.injectFault({ kind: 'accept-then-500', ...placement, seed: seed() });
    s.fake.injectFault({ kind: 'accept-then-timeout', ...placement, seed: seed() });
    s.note(`faults armed: ${(p * 100).toFixed(1)} % each of 429 / -1021 on queries, ${(q * 100).toFixed(1)} % each of 429 / -1021 / accept-then-500 / accept-then-timeout on placements`);
  },
};

/**
 * The API killed while requests are in flight, at three seeded points of the run (by share of
 * orders accepted, so the kills spread over the submissions however fast the machine is); the
 * clients retry the same keys against the new API.
 */
export const apiKill: ScenarioDefinition = {
  name: 'api-kill',
  orders: 80,
  binanceShare: 0.5,
  concurrency: 8,
  pacingMs: [50, 250],
  onCluster: { orders: 240, pacingMs: [600, 1500] },
  async chaos(s, rng) {
    const points = [between(rng, 0.1, 0.25), between(rng, 0.35, 0.5), between(rng, 0.6, 0.75)];
    for (const [i, share] of points.entries()) {
      await until(() => (accepted(s, share)() && s.client.inFlight >= 1) || s.progress.finished === s.progress.total);
      if (s.progress.finished === s.progress.total) throw new Error(`chaos: every order was answered before API kill #${i + 1} was due`);
      const inFlight = s.client.inFlight;
      await s.api.kill9();
      s.note(`kill -9 API #${i + 1} with ${inFlight} requests in flight (accepted ${s.progress.accepted}/${s.progress.total})`);
      await sleep(between(rng, 500, 2000));
      await s.api.start();
    }
  },
};

// Issue #11: crashes rather than stops.

/**
 * A server of the stack killed with SIGKILL (no graceful stop) at two seeded points of the run,
 * kept down for `downMs`, then started again on the same data and port.
 */
function crash(name: string, label: string, kill: (s: Stack) => Promise<string>, start: (s: Stack) => Promise<void>, downMs: number): ScenarioDefinition {
  return {
    name,
    orders: 60,
    binanceShare: 0.5,
    concurrency: 4,
    pacingMs: [100, 400],
    async chaos(s, rng) {
      for (const [i, share] of [between(rng, 0.2, 0.35), between(rng, 0.55, 0.7)].entries()) {
        await until(accepted(s, share));
        const what = await kill(s);
        s.note(`kill -9 ${label} #${i + 1}: ${what} (accepted ${s.progress.accepted}/${s.progress.total})`);
        await sleep(downMs);
        await start(s);
        s.note(`${label} started again on the same data and port`);
      }
    },
  };
}

/**
 * SIGKILL of Temporal: the dev server restarts on the same SQLite file (WAL as the crash left it),
 * the cluster's Temporal server on the same PostgreSQL databases; both on the same ports.
 */
export const temporalKill9 = crash(
  'temporal-kill9',
  'Temporal',
  async (s) => {
    await s.temporal.kill9();
    return s.target === 'cluster' ? 'Temporal server killed' : 'dev server killed';
  },
  (s) => s.temporal.start(),
  3000,
);

/** SIGKILL of the postmaster and every backend; the restart runs crash recovery on the same data directory. */
export const postgresKill9 = crash(
  'postgres-kill9',
  'PostgreSQL',
  async (s) => {
    const { processes, clusterState } = await s.pg.kill9();
    return `${processes} processes of the cluster killed, pg_control says "${clusterState}" (crash recovery is due)`;
  },
  (s) => s.pg.start(),
  3000,
);

export const SCENARIOS: readonly ScenarioDefinition[] = [
  workerKill,
  temporalRestart,
  postgresOutage,
  exchangeFaults,
  apiKill,
  temporalKill9,
  postgresKill9,
  hiddenFilled,
  hiddenResting,
  unknownOutcomes,
  rateLimitBan,
  streamOutage,
  workflowCancelTerminate,
  deleteRace,
  twapWorkerKill,
  bracketWorkerDown,
  ocoTemporalRestart,
  workerFailover,
  apiFailover,
];
