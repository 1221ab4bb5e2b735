/**
 * The production shape that `npm run cluster` runs on one machine and docker-compose.yml runs in
 * containers (test/unit/deployment-files.test.ts holds the two to the same shape).
 */
import { TEMPORAL_SERVER_MAX_CONNECTIONS, TEMPORAL_SERVER_VERSION } from './temporal-server.js';
import { WEB_UI_VERSION } from './temporal-web-ui.js';

export const CLUSTER_SHAPE = {
  workers: 2,
  apis: 2,
  /** Fixed for the life of Temporal's database: Temporal cannot change it later. */
  historyShards: 4,
  temporalServerVersion: TEMPORAL_SERVER_VERSION,
  webUiVersion: WEB_UI_VERSION,
  /**
   * The variables the launcher sets differently on each process of a kind (two processes on one
   * host need two ports); every other variable reaches all of them unchanged.
   */
  perProcessVariables: ['PORT', 'WORKER_METRICS_PORT', 'TEMPORAL_METRICS_PORT'],
} as const;

type PortSettings = { PORT: number; WORKER_METRICS_PORT: number; TEMPORAL_METRICS_PORT: number };

/**
 * What the n-th process of a kind (index 0 first) gets on top of the shared environment: the n-th
 * port from each configured one (0 stays "any free port"). Workers step by 2, so the metrics and
 * the SDK's exporter ports of neighbours never meet.
 * @example perProcessEnv('api', 1, config) // { PORT: '3001' }
 */
export function perProcessEnv(kind: 'api' | 'worker', index: number, ports: PortSettings): Partial<Record<(typeof CLUSTER_SHAPE.perProcessVariables)[number], string>> {
  const nth = (base: number, step: number) => String(base === 0 ? 0 : base + index * step);
  return kind === 'api'
    ? { PORT: nth(ports.PORT, 1) }
    : { WORKER_METRICS_PORT: nth(ports.WORKER_METRICS_PORT, 2), TEMPORAL_METRICS_PORT: nth(ports.TEMPORAL_METRICS_PORT, 2) };
}

export interface ConnectionBudget {
  /** Temporal servers whose history lives on this PostgreSQL at the same moment. */
  temporalServers: number;
  workers: number;
  apis: number;
  /** PG_POOL_MAX of the workers and APIs. */
  poolMax: number;
}

/** A worker's connections outside its pool: the user-stream lock, its LISTEN, and the request budget's back-off writes. */
const WORKER_EXTRA_CONNECTIONS = 3;
/** An API's: its LISTEN (live streams, the budget's notices) and the request budget's back-off writes. */
const API_EXTRA_CONNECTIONS = 2;

/** Connections the shape may hold open at once under load: each Temporal server's pools and each process's. */
function connectionCeiling(b: ConnectionBudget): number {
  return b.temporalServers * TEMPORAL_SERVER_MAX_CONNECTIONS + b.workers * (b.poolMax + WORKER_EXTRA_CONNECTIONS) + b.apis * (b.poolMax + API_EXTRA_CONNECTIONS);
}

/** Room kept for migrations, Temporal's schema tool and a psql. */
const TOOL_CONNECTIONS = 20;

/**
 * max_connections for an embedded PostgreSQL that carries Temporal servers and the engine's
 * processes at once: each server's pools, each process's pool plus its connections outside it,
 * and 20 for migrations, schema tools and a psql. PostgreSQL's default of 100 is below a loaded
 * cluster's 96 + 50 + 20 and refused connections with "too many clients".
 * @example postgresMaxConnections({ temporalServers: 1, workers: 2, apis: 2, poolMax: 10 }) // 166
 */
export function postgresMaxConnections(b: ConnectionBudget): number {
  return Math.max(100, connectionCeiling(b) + TOOL_CONNECTIONS);
}

/**
 * For a PostgreSQL the engine does not start (DATABASE_URL): what to tell the operator when its
 * max_connections is below what this shape opens under load, or undefined when it has room.
 * @example connectionBudgetWarning(100, { temporalServers: 1, workers: 2, apis: 2, poolMax: 10 }) // "PostgreSQL allows 100 connections; …"
 */
export function connectionBudgetWarning(maxConnections: number, b: ConnectionBudget): string | undefined {
  const ceiling = connectionCeiling(b);
  if (maxConnections >= ceiling + TOOL_CONNECTIONS) return undefined;
  const parts = [
    b.temporalServers ? `${b.temporalServers} Temporal server${b.temporalServers > 1 ? 's' : ''} × ${TEMPORAL_SERVER_MAX_CONNECTIONS}` : '',
    `${b.workers} worker${b.workers > 1 ? 's' : ''} × ${b.poolMax + WORKER_EXTRA_CONNECTIONS}`,
    `${b.apis} API${b.apis > 1 ? 's' : ''} × ${b.poolMax + API_EXTRA_CONNECTIONS}`,
  ].filter(Boolean);
  return (
    `PostgreSQL allows ${maxConnections} connections (max_connections), but under load this shape opens up to ${ceiling} (${parts.join(' + ')}, with PG_POOL_MAX=${b.poolMax}), ` +
    `plus ${TOOL_CONNECTIONS} for migrations and tools. Past the limit PostgreSQL refuses with "too many clients". ` +
    `Set max_connections to at least ${ceiling + TOOL_CONNECTIONS} on that server, or lower PG_POOL_MAX.`
  );
}
