/**
 * The environment of the worker and API processes under test: everything lib/config.ts reads is
 * set here or removed, so the caller's shell cannot change the engine being tested. Keys the
 * engine needs for authentication and payload encryption are generated per run and passed only
 * when lib/config.ts declares them.
 */
import { randomBytes } from 'node:crypto';
import type { PayloadCodec } from '@temporalio/common';
import { loadConfig, variables } from '../../lib/config.js';
import { payloadCodecFor } from '../../lib/secrets.js';

export const FAKE_KEY = 'chaos-key';
export const FAKE_SECRET = randomBytes(24).toString('hex');
export const PAPER_CASH = '1000000';
/** How long "not found" after an ambiguous submit is re-checked; the hidden-order faults outlast it. */
export const ORDER_NOT_FOUND_WINDOW_MS = 5000;
/** Interval of the reconciliation schedule: short, so a terminated order is tracked again within the run. */
export const RECONCILE_INTERVAL_MS = 5000;

const DECLARED_ONLY: Record<string, string> = {
  JWT_SECRET: randomBytes(32).toString('hex'),
  CREDENTIALS_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  CREDENTIALS_KEY_ID: 'k1',
  PAYLOAD_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  PAYLOAD_KEY_ID: 'k1',
  // The harness is one client sending hundreds of orders a minute on purpose.
  ORDER_RATE_LIMIT: '100000/1m',
  RECONCILE_INTERVAL: `${RECONCILE_INTERVAL_MS}ms`,
};

const declared = (name: string) => name in variables;

/**
 * @example const env = engineEnv({ temporal: '127.0.0.1:7233', databaseUrl, fakeUrl: fake.url, wsApiUrl: fake.wsApiUrl, port: 3000, dir });
 */
export function engineEnv(o: { temporal: string; databaseUrl: string; fakeUrl: string; wsApiUrl: string; port: number; dir: string; workflowBundlePath?: string | undefined; overrides?: Record<string, string> | undefined }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [...Object.keys(variables), ...Object.keys(DECLARED_ONLY)]) delete env[name];
  for (const [name, value] of Object.entries(DECLARED_ONLY)) if (declared(name)) env[name] = value;
  return Object.assign(env, {
    TEMPORAL_ADDRESS: o.temporal,
    DATABASE_URL: o.databaseUrl,
    BINANCE_BASE_URL: o.fakeUrl,
    BINANCE_WS_API_URL: o.wsApiUrl,
    BINANCE_API_KEY: FAKE_KEY,
    BINANCE_API_SECRET: FAKE_SECRET,
    HOST: '127.0.0.1',
    PORT: String(o.port),
    LOG_LEVEL: 'info',
    DATA_DIR: o.dir,
    // One bundle for the whole run, built before the first scenario (test/chaos/run.ts).
    ...(o.workflowBundlePath ? { WORKFLOW_BUNDLE_PATH: o.workflowBundlePath } : {}),
    // Several workers run side by side: each takes free ports for its metrics.
    WORKER_METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
    OFFLINE: '0',
    // No market-data provider may reach the internet; the harness writes every price itself.
    YAHOO_BASE_URL: 'http://127.0.0.1:9',
    MARKET_DATA_TIMEOUT: '2s',
    // The schedule would overwrite the harness's prices with the fake's.
    PRICE_REFRESH_INTERVAL: '1h',
    ORDER_POLL_MAX_INTERVAL: '1s',
    // The harness writes prices straight into the database, without the refresh that matches the
    // paper orders they move: those learn of their fills from their safety poll.
    ORDER_SAFETY_POLL_INTERVAL: '2s',
    ORDER_NOT_FOUND_WINDOW: `${ORDER_NOT_FOUND_WINDOW_MS}ms`,
    BINANCE_TIMEOUT: '1s',
    PAPER_STARTING_CASH: PAPER_CASH,
    RISK_MAX_ORDER_NOTIONAL: '1000000',
    RISK_MAX_DAILY_NOTIONAL: '1000000000',
    ...o.overrides,
  });
}

/** The payload codec the engine under test encrypts with, for reading its histories. */
export function engineCodec(): PayloadCodec | undefined {
  return declared('PAYLOAD_KEYS') ? payloadCodecFor(loadConfig({ PAYLOAD_KEYS: DECLARED_ONLY.PAYLOAD_KEYS, PAYLOAD_KEY_ID: DECLARED_ONLY.PAYLOAD_KEY_ID })) : undefined;
}
