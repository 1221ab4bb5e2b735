/**
 * What a test file needs to talk to the run's servers: a config pointing at them (with task
 * queues of its own), a postgres.js pool, a Temporal client, and a real worker.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type RuntimeOptions, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../lib/config.js';
import { createSql, type Sql } from '../../lib/db.js';
import { dataConverterFor } from '../../lib/secrets.js';
import { createWorkers, startWorkerUserStreams, workerRequestBudget, type CreateWorkersOptions } from '../../workers/create-workers.js';
import { createLogger } from '../../lib/logger.js';
import type { UserStreams } from '../../workers/user-streams.js';
import type { Tracing } from '../../lib/tracing.js';
import { TEST_CREDENTIALS_KEYS, TEST_JWT_SECRET, TEST_PAYLOAD_KEYS } from './keys.js';

export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATABASE_URL: inject('databaseUrl'),
    TASK_QUEUE_PREFIX: `t${randomUUID().slice(0, 8)}-`,
    LOG_LEVEL: 'warn',
    // Nothing in a test may reach the internet: providers go to a closed local port unless a test
    // points them at a fake.
    BINANCE_BASE_URL: 'http://127.0.0.1:9',
    BINANCE_WS_API_URL: 'ws://127.0.0.1:9/ws-api/v3',
    YAHOO_BASE_URL: 'http://127.0.0.1:9',
    JWT_SECRET: TEST_JWT_SECRET,
    PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
    CREDENTIALS_KEYS: TEST_CREDENTIALS_KEYS,
    // Every test file shares the database, and app.request() has no client IP: limits high enough
    // for any suite. The rate-limit tests set their own.
    LOGIN_RATE_LIMIT: '100000/1m',
    AUTH_IP_RATE_LIMIT: '100000/1m',
    ORDER_RATE_LIMIT: '100000/1m',
    ...env,
  });
}

export function testSql(max = 5): Sql {
  return createSql(inject('databaseUrl'), { max });
}

/** A client with the same payload encryption as the test workers and API (and, with tracing, the same interceptors). */
export async function testClient(config: Pick<Config, 'payloadKeys'> = testConfig(), tracing?: Tracing): Promise<Client> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return new Client({ connection, dataConverter: dataConverterFor(config), interceptors: tracing?.clientInterceptors });
}

/** Every line the Temporal SDK logged in this test process (worker and activity logs included). */
export const sdkLogLines: string[] = [];

/** Faster reconnects and checks of the user data streams, for tests of their faults. */
export type StreamTuning = Parameters<typeof startWorkerUserStreams>[0]['tuning'];

export interface RunningWorkers {
  workers: Worker[];
  /** The Binance user data streams (config.BINANCE_USER_STREAM with a key pair to stream). */
  streams: UserStreams | undefined;
  stop(): Promise<void>;
}

/** Real workers on the config's task queues, running until `stop()`. */
let runtimeInstalled = false;
let runtimeTelemetry: RuntimeOptions['telemetryOptions'];

/**
 * The telemetry of this test process's SDK runtime (e.g. the Core's Prometheus exporter), for a
 * test file that asks before its first worker starts: the runtime is installed once per process.
 * @example useRuntimeTelemetry(coreMetricsTelemetry(port)); const e = await startEngine();
 */
export function useRuntimeTelemetry(telemetryOptions: RuntimeOptions['telemetryOptions']): void {
  if (runtimeInstalled) throw new Error('the SDK runtime of this test process is already installed');
  runtimeTelemetry = telemetryOptions;
}

export async function startWorkers(config: Config, sql: Sql, extra: Partial<CreateWorkersOptions> & { streamTuning?: StreamTuning | undefined } = {}): Promise<RunningWorkers> {
  if (!runtimeInstalled) {
    // Quiet SDK logs: test output shows failures, not worker state changes.
    Runtime.install({
      ...(runtimeTelemetry ? { telemetryOptions: runtimeTelemetry } : {}),
      logger: new DefaultLogger('INFO', (entry) => {
        // One JSON object per line, as the worker's own logger writes them (LOG_FORMAT=json).
        const line = JSON.stringify({ level: entry.level.toLowerCase(), msg: entry.message, ...entry.meta });
        sdkLogLines.push(line);
        if (entry.level === 'WARN' || entry.level === 'ERROR') process.stderr.write(`${line}\n`);
      }),
      shutdownSignals: [],
    });
    runtimeInstalled = true;
  }
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const { streamTuning: _tuning, ...workerExtra } = extra;
  // The run's shared bundle has no tracing interceptors: a tracing worker bundles its own.
  const workflowBundle = extra.tracing ? undefined : { codePath: inject('workflowBundlePath') };
  // As workers/main.ts: one request budget for the process's workers and user streams.
  const requestBudget = workerExtra.requestBudget ?? workerRequestBudget({ config, sql, metrics: workerExtra.metrics });
  const workers = await createWorkers({ config, sql, connection, workflowBundle, ...workerExtra, requestBudget });
  const running = workers.map((w) => w.run());
  const streams = startWorkerUserStreams({ config, sql, connection, log: createLogger('test-worker', { level: config.LOG_LEVEL }), tuning: extra.streamTuning, requestBudget });
  let stopped: Promise<void> | undefined;
  return {
    workers,
    streams,
    stop() {
      stopped ??= (async () => {
        await streams?.stop();
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        await Promise.allSettled(running);
        await connection.close();
      })();
      return stopped;
    },
  };
}
