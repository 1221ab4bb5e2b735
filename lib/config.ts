/**
 * Every setting of the engine, read once from the environment (and `.env`) and checked by zod.
 * A bad value stops start-up with one line naming the variable, what is wrong and an example.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseRoutes } from '../domain/market-data/routing.js';
import { decodeSecret, MIN_SECRET_BYTES } from './security/jwt.js';
import { parseKeyring } from './security/keys.js';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const port = z.coerce.number().int().min(1).max(65535);
/** A port to listen on where 0 means "any free one" (several processes on one machine). */
const anyPort = z.coerce.number().int().min(0).max(65535);

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h)$/, 'expected a duration like 500ms, 15s, 5m or 1h')
  .transform(parseDurationMs);

const url = z.string().url();

const routes = z
  .string()
  .transform((spec, ctx) => {
    try {
      return parseRoutes(spec);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^MARKET_DATA_ROUTES: /, '') });
      return z.NEVER;
    }
  })
  .prefault('');

/** `10/15m`: at most 10 in any 15 minutes (a burst of 10, then one every 90 s). */
const rate = z
  .string()
  .regex(/^[1-9]\d{0,5}\/\d+(ms|s|m|h)$/, 'expected a count per duration like 10/15m or 60/1m')
  .transform((spec) => {
    const [limit, window] = spec.split('/') as [string, string];
    return { limit: Number(limit), windowMs: parseDurationMs(window) };
  })
  .refine((r) => r.windowMs >= 1000, 'the duration must be at least 1s');

/** A comma-separated list, blanks dropped; `.pipe()` checks the items. */
const list = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''));

const jwtSecret = z.string().superRefine((secret, ctx) => {
  let bytes: Uint8Array;
  try {
    bytes = decodeSecret(secret);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^JWT secret /, '') });
    return;
  }
  if (bytes.byteLength < MIN_SECRET_BYTES) {
    ctx.addIssue({ code: 'custom', message: `is ${bytes.byteLength} bytes after decoding; HS256 needs at least ${MIN_SECRET_BYTES}` });
  }
});

/** `id:base64,id:base64`; parseKeyring's messages name no key bytes. */
const keyring = (variable: string) =>
  z.string().transform((value, ctx) => {
    try {
      return parseKeyring(value, variable);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(new RegExp(`^${variable} `), '') });
      return z.NEVER;
    }
  });

const keyId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'expected 1-32 characters of A-Z a-z 0-9 _ -');

/** One entry per variable: its schema, an example shown on error, and what it is for (README lists these). */
export const variables = {
  PORT: { schema: port.default(3000), example: '3000', doc: 'HTTP port of the API' },
  HOST: { schema: z.string().min(1).default('127.0.0.1'), example: '0.0.0.0', doc: 'Interface the API listens on' },
  LOG_LEVEL: {
    schema: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    example: 'info',
    doc: 'debug | info | warn | error',
  },
  LOG_FORMAT: {
    schema: z.enum(['json', 'text']).optional(),
    example: 'json',
    doc: 'json | text: one JSON object per line, or readable text (default: text when stdout is a terminal, JSON otherwise)',
  },
  DATA_DIR: { schema: z.string().min(1).default('.data'), example: '.data', doc: 'Where embedded Temporal and PostgreSQL keep their files' },
  OFFLINE: { schema: bool.default(false), example: '1', doc: 'Run with local stand-ins for Binance and Yahoo (no internet needed)' },

  TEMPORAL_ADDRESS: {
    schema: z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port').optional(),
    example: 'my-ns.a1b2c.tmprl.cloud:7233',
    doc: 'Temporal frontend; unset = start the embedded dev server',
  },
  TEMPORAL_NAMESPACE: { schema: z.string().min(1).default('default'), example: 'default', doc: 'Temporal namespace' },
  TEMPORAL_API_KEY: { schema: z.string().min(1).optional(), example: '<Temporal Cloud API key>', doc: 'API key for Temporal Cloud (implies TLS)' },
  TEMPORAL_TLS: { schema: bool.default(false), example: '1', doc: 'Use TLS to reach Temporal' },
  TEMPORAL_TLS_CERT_PATH: { schema: z.string().min(1).optional(), example: './certs/client.pem', doc: 'mTLS client certificate (PEM)' },
  TEMPORAL_TLS_KEY_PATH: { schema: z.string().min(1).optional(), example: './certs/client.key', doc: 'mTLS client key (PEM)' },
  TEMPORAL_PORT: { schema: port.default(7233), example: '7233', doc: 'gRPC port of the embedded dev server' },
  TEMPORAL_UI_PORT: { schema: port.default(8233), example: '8233', doc: 'Web UI port of the embedded dev server' },
  TEMPORAL_UI_URL: { schema: url.optional(), example: 'https://cloud.temporal.io', doc: 'Base URL of the Temporal Web UI used in links (default: the embedded UI)' },
  TEMPORAL_CLI_PATH: { schema: z.string().min(1).optional(), example: '/usr/local/bin/temporal', doc: 'Temporal CLI binary to run the dev server with' },
  WORKFLOW_BUNDLE_PATH: {
    schema: z.string().min(1).optional(),
    example: '/app/workflow-bundle.js',
    doc: "The workers' workflow bundle, loaded at start when built from the same sources, else built and written there for the next start (default: DATA_DIR/workflow-bundle.js)",
  },
  TASK_QUEUE_PREFIX: { schema: z.string().regex(/^[A-Za-z0-9._-]*$/).default(''), example: 'staging-', doc: 'Prefix for every task queue (to share a namespace)' },

  WORKER_METRICS_PORT: { schema: anyPort.default(9464), example: '9464', doc: "Port of the worker's `/metrics` (its own metrics and the Temporal SDK's) and `/ready` (200 while it polls its task queues); 0 = any free port (logged)" },
  WORKER_METRICS_HOST: { schema: z.string().min(1).default('127.0.0.1'), example: '0.0.0.0', doc: "Interface the worker's metrics server listens on" },
  TEMPORAL_METRICS_PORT: { schema: anyPort.default(9465), example: '9465', doc: "Loopback port of the Temporal SDK Core's Prometheus exporter in the worker; the worker's `/metrics` includes it; 0 = any free port" },

  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: url.optional(),
    example: 'http://localhost:4318',
    doc: 'OTLP/HTTP collector: set, the API and the worker export traces (one per order) to its `/v1/traces`; unset, tracing is off',
  },
  OTEL_SERVICE_NAME: { schema: z.string().min(1).optional(), example: 'durable-trader', doc: 'service.name of the spans (default: durable-trader-api, durable-trader-worker)' },

  DATABASE_URL: { schema: url.optional(), example: 'postgres://trader:secret@db:5432/trader', doc: 'PostgreSQL; unset = start the embedded one' },
  EMBEDDED_PG_PORT: { schema: port.default(5433), example: '5433', doc: 'Port of the embedded PostgreSQL' },
  PG_POOL_MAX: { schema: z.coerce.number().int().min(1).max(100).default(10), example: '10', doc: 'Connections per process in the postgres.js pool' },

  BINANCE_BASE_URL: { schema: url.default('https://testnet.binance.vision'), example: 'https://testnet.binance.vision', doc: 'Binance Spot REST base URL' },
  BINANCE_API_KEY: { schema: z.string().min(1).optional(), example: '<testnet key>', doc: 'Binance API key (single-user fallback)' },
  BINANCE_API_SECRET: { schema: z.string().min(1).optional(), example: '<testnet secret>', doc: 'Binance API secret (single-user fallback)' },
  BINANCE_RECV_WINDOW_MS: { schema: z.coerce.number().int().min(1).max(60000).default(5000), example: '5000', doc: 'recvWindow sent with signed requests' },
  BINANCE_TIMEOUT: { schema: duration.prefault('10s'), example: '10s', doc: 'Binance request timeout; a timed-out order placement counts as "outcome unknown"' },
  BINANCE_BUDGET_MAX_WAIT: { schema: duration.prefault('2s'), example: '2s', doc: 'How long a Binance request may wait for room in the request budget all workers share; past it nothing is sent and the activity retries when the window turns (ExchangeBusy)' },
  BINANCE_WS_API_URL: { schema: url.default('wss://ws-api.testnet.binance.vision/ws-api/v3'), example: 'wss://ws-api.testnet.binance.vision/ws-api/v3', doc: 'Binance WebSocket API; the worker subscribes to each key\'s user data stream here (userDataStream.subscribe.signature)' },
  BINANCE_USER_STREAM: { schema: bool.default(true), example: '1', doc: 'Track Binance orders by the user data stream (fills arrive at once; polls slow to ORDER_SAFETY_POLL_INTERVAL). Off: poll only' },
  ORDER_SAFETY_POLL_INTERVAL: { schema: duration.prefault('10m'), example: '10m', doc: 'With the user data stream, the slowest status poll of an open order: it covers events a stream lost' },
  YAHOO_BASE_URL: { schema: url.optional(), example: 'http://127.0.0.1:9100', doc: 'Send yahoo-finance2 requests to this host instead of Yahoo (offline mode sets it)' },

  PAPER_STARTING_CASH: { schema: z.string().regex(/^\d+(\.\d+)?$/).default('100000'), example: '100000', doc: 'USD(T) each paper account starts with' },
  PAPER_FEE_BPS: { schema: z.string().regex(/^\d+(\.\d+)?$/).default('10'), example: '10', doc: 'Paper venue fee in basis points' },
  PAPER_SLIPPAGE_BPS: { schema: z.string().regex(/^\d+(\.\d+)?$/).default('5'), example: '5', doc: 'Paper venue MARKET slippage in basis points' },
  RISK_MAX_ORDER_NOTIONAL: { schema: z.string().regex(/^\d+(\.\d+)?$/).default('50000'), example: '50000', doc: 'Largest notional of one order (quote currency)' },
  RISK_MAX_DAILY_NOTIONAL: { schema: z.string().regex(/^\d+(\.\d+)?$/).default('250000'), example: '250000', doc: 'Largest notional an account may submit per UTC day' },
  ORDER_POLL_MAX_INTERVAL: { schema: duration.prefault('30s'), example: '30s', doc: 'Cap of the backoff between order status polls' },
  ORDER_POLLS_PER_RUN: { schema: z.coerce.number().int().min(1).max(10_000).default(500), example: '500', doc: 'Status polls of an open order per workflow run before it continues as new (keeps histories short)' },
  ORDER_CANCEL_WAIT: { schema: duration.prefault('5s'), example: '5s', doc: 'How long DELETE /v1/orders/{id} waits for the venue to confirm a cancel before answering 202 (the cancel goes on)' },
  ORDER_NOT_FOUND_WINDOW: { schema: duration.prefault('30s'), example: '30s', doc: 'How long an order whose submission had no clear answer is looked for quickly before it shows UNKNOWN (it is never sent twice)' },
  PRICE_REFRESH_INTERVAL: { schema: duration.prefault('15s'), example: '15s', doc: 'How often the price-refresh schedule runs' },
  RECONCILE_INTERVAL: { schema: duration.prefault('60s'), example: '60s', doc: 'How often the reconcile-orders schedule compares every account\'s open venue orders with ours (restarts lost order workflows, records EXTERNAL orders)' },
  PRICE_STALE_AFTER: { schema: duration.prefault('2m'), example: '2m', doc: 'Age after which a price is reported stale' },
  MARKET_DATA_ROUTES: { schema: routes, example: 'XYZ=yahoo,FOOUSDT=binance', doc: 'Per-symbol provider overrides; other symbols route by shape (crypto pairs to Binance, the rest to Yahoo)' },
  MARKET_DATA_TIMEOUT: { schema: duration.prefault('10s'), example: '10s', doc: 'Timeout of each market-data request to Binance or Yahoo' },
  WS_HEARTBEAT_INTERVAL: { schema: duration.prefault('30s'), example: '30s', doc: 'Ping interval of the /v1/stream WebSocket; a client that misses a pong by the next ping is dropped' },
  PORTFOLIO_DEBOUNCE: { schema: duration.prefault('250ms').pipe(z.number().max(86_400_000, 'at most a day (24h)')), example: '250ms', doc: 'Quiet time the portfolio workflow waits within a burst of fill or price notifications before recalculating, so a burst costs few recalculations; the first notification after this long without another or a recalculation is recalculated at once' },
  // A run's whole history is replayed whenever its worker has to rebuild it (a restart, a cache
  // eviction, a continue-as-new that a signal raced): about 0.6 ms per event, some 10 events per
  // recalculation. At 25 that is ~0.17 s; at 200 it was ~1.2 s, and about 2 s under load.
  PORTFOLIO_RECALCS_PER_RUN: { schema: z.coerce.number().int().min(1).max(10_000).default(25), example: '25', doc: 'Recalculations per portfolio workflow run before it continues as new (keeps histories short, so a replay is quick)' },

  JWT_SECRET: {
    schema: jwtSecret.optional(),
    example: '$(openssl rand -base64 32)',
    doc: 'HS256 secret of the API\'s access tokens, at least 32 bytes after decoding (hex:, base64: or raw: prefix, or guessed); `npm start` generates one',
    secret: true,
  },
  JWT_PRIVATE_KEY_PATH: { schema: z.string().min(1).optional(), example: './keys/jwt.pem', doc: 'Instead of JWT_SECRET: PKCS#8 PEM private key (RSA ≥ 2048 bits → RS256, Ed25519 → EdDSA)' },
  JWT_PUBLIC_KEY_PATH: { schema: z.string().min(1).optional(), example: './keys/jwt.pub.pem', doc: 'SPKI PEM public key; alone, an API instance verifies tokens but cannot issue them' },
  JWT_TTL: {
    schema: duration.prefault('15m').refine((ms) => ms >= 60_000 && ms <= 86_400_000, 'must be between 1m and 24h'),
    example: '15m',
    doc: 'Lifetime of an access token',
  },
  PAYLOAD_KEYS: {
    schema: keyring('PAYLOAD_KEYS').optional(),
    example: 'k1:$(openssl rand -base64 32)',
    doc: 'AES-256 keys that encrypt every Temporal payload (id:base64 of 32 bytes, comma-separated; keep old ids to read old histories); `npm start` generates one',
    secret: true,
  },
  PAYLOAD_KEY_ID: { schema: keyId.optional(), example: 'k1', doc: 'Key of PAYLOAD_KEYS new payloads are encrypted with (default: the only one)' },
  CREDENTIALS_KEYS: {
    schema: keyring('CREDENTIALS_KEYS').optional(),
    example: 'k1:$(openssl rand -base64 32)',
    doc: 'AES-256 keys that encrypt stored exchange credentials (same format as PAYLOAD_KEYS); `npm start` generates one',
    secret: true,
  },
  CREDENTIALS_KEY_ID: { schema: keyId.optional(), example: 'k1', doc: 'Key of CREDENTIALS_KEYS new credentials are sealed with (default: the only one)' },
  OPERATOR_EMAILS: {
    schema: list.pipe(z.array(z.email('expected comma-separated email addresses'))).prefault(''),
    example: 'ops@example.com,alice@example.com',
    doc: 'Accounts allowed to decode payloads through /codec and to pause or resume schedules',
  },
  CODEC_CORS_ORIGINS: {
    schema: list.pipe(z.array(z.url().refine((u) => new URL(u).origin === u, 'expected an origin such as http://localhost:8233 (no path)'))).optional(),
    example: 'http://localhost:8233',
    doc: 'Origins (the Temporal Web UI) allowed to call /codec from a browser (default: the origin of the UI URL)',
  },
  CODEC_TRUST_LOCAL_UI: {
    schema: bool.default(false),
    example: '1',
    doc: 'The local Web UI may decode without signing in: only while the API listens on loopback (HOST=127.0.0.1) with no proxy, and only for loopback requests from its origin. `npm start` sets it',
  },
  LOGIN_RATE_LIMIT: { schema: rate.prefault('10/15m'), example: '10/15m', doc: 'Login attempts per email address (count per duration); more answer 429 with Retry-After' },
  AUTH_IP_RATE_LIMIT: { schema: rate.prefault('50/15m'), example: '50/15m', doc: 'Login and sign-up attempts per client IP address' },
  ORDER_RATE_LIMIT: { schema: rate.prefault('60/1m'), example: '60/1m', doc: 'Order submissions per account' },
  TRUST_PROXY_HOPS: {
    schema: z.coerce.number().int().min(0).max(10).default(0),
    example: '1',
    doc: 'Reverse proxies in front of the API: the client IP is taken that many entries from the right of X-Forwarded-For (0: the socket address)',
  },
} as const;

type Vars = typeof variables;
export type RawConfig = { [K in keyof Vars]: z.output<Vars[K]['schema']> };

/** A validated keyring and the id new values are encrypted with. */
export interface KeyringConfig {
  keys: Record<string, Buffer>;
  currentKeyId: string;
}

export interface Config extends RawConfig {
  /** True when TEMPORAL_ADDRESS is unset and the supervisor runs the dev server. */
  embeddedTemporal: boolean;
  /** True when DATABASE_URL is unset and the supervisor runs PostgreSQL. */
  embeddedPostgres: boolean;
  temporalAddress: string;
  temporalUiUrl: string;
  dataDir: string;
  /** WORKFLOW_BUNDLE_PATH, resolved; DATA_DIR/workflow-bundle.js when unset. */
  workflowBundlePath: string;
  taskQueues: { orders: string; marketData: string; portfolio: string };
  /** PAYLOAD_KEYS with its current key id, when set. */
  payloadKeys: KeyringConfig | undefined;
  /** CREDENTIALS_KEYS with its current key id, when set. */
  credentialKeys: KeyringConfig | undefined;
  /** Browser origins allowed to call /codec. */
  codecOrigins: string[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Interfaces only this machine can reach. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1'];

/**
 * Parse the environment into a typed config, or throw a ConfigError whose message is one line.
 * @example const config = loadConfig(process.env);
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(variables)) {
    const value = env[name];
    const parsed = spec.schema.safeParse(value === '' ? undefined : value);
    if (!parsed.success) {
      const problem = parsed.error.issues[0]?.message ?? 'invalid value';
      // A secret's value never reaches a terminal or a log, not even a wrong one.
      const shown = 'secret' in spec && spec.secret ? `<hidden, ${value?.length ?? 0} characters>` : JSON.stringify(value);
      throw new ConfigError(`Invalid ${name}=${shown}: ${problem} (example: ${name}=${spec.example})`);
    }
    raw[name] = parsed.data;
  }
  const r = raw as RawConfig;
  if ((r.TEMPORAL_TLS_CERT_PATH === undefined) !== (r.TEMPORAL_TLS_KEY_PATH === undefined)) {
    throw new ConfigError('Invalid TEMPORAL_TLS_CERT_PATH/TEMPORAL_TLS_KEY_PATH: set both or neither (example: TEMPORAL_TLS_CERT_PATH=./client.pem TEMPORAL_TLS_KEY_PATH=./client.key)');
  }
  if ((r.BINANCE_API_KEY === undefined) !== (r.BINANCE_API_SECRET === undefined)) {
    throw new ConfigError('Invalid BINANCE_API_KEY/BINANCE_API_SECRET: set both or neither (example: BINANCE_API_KEY=abc BINANCE_API_SECRET=def)');
  }
  if (r.JWT_SECRET !== undefined && (r.JWT_PRIVATE_KEY_PATH !== undefined || r.JWT_PUBLIC_KEY_PATH !== undefined)) {
    throw new ConfigError('Invalid JWT_SECRET/JWT_PRIVATE_KEY_PATH: set a secret or a key pair, not both (example: JWT_SECRET=$(openssl rand -base64 32))');
  }
  if (r.CODEC_TRUST_LOCAL_UI && r.TRUST_PROXY_HOPS > 0) {
    throw new ConfigError(`Invalid CODEC_TRUST_LOCAL_UI=1 with TRUST_PROXY_HOPS=${r.TRUST_PROXY_HOPS}: behind a proxy a request is not known to come from this machine; sign in at /codec/login instead (example: CODEC_TRUST_LOCAL_UI=0)`);
  }
  if (r.CODEC_TRUST_LOCAL_UI && !LOOPBACK_HOSTS.includes(r.HOST)) {
    throw new ConfigError(`Invalid CODEC_TRUST_LOCAL_UI=1 with HOST=${JSON.stringify(r.HOST)}: the codec server trusts the local UI only while the API listens on loopback (example: HOST=127.0.0.1)`);
  }
  const embeddedTemporal = r.TEMPORAL_ADDRESS === undefined;
  const prefix = r.TASK_QUEUE_PREFIX;
  const temporalUiUrl = (r.TEMPORAL_UI_URL ?? `http://localhost:${r.TEMPORAL_UI_PORT}`).replace(/\/$/, '');
  return {
    ...r,
    OPERATOR_EMAILS: r.OPERATOR_EMAILS.map((e) => e.toLowerCase()),
    embeddedTemporal,
    embeddedPostgres: r.DATABASE_URL === undefined,
    temporalAddress: r.TEMPORAL_ADDRESS ?? `127.0.0.1:${r.TEMPORAL_PORT}`,
    temporalUiUrl,
    dataDir: path.resolve(r.DATA_DIR),
    workflowBundlePath: path.resolve(r.WORKFLOW_BUNDLE_PATH ?? path.join(r.DATA_DIR, 'workflow-bundle.js')),
    taskQueues: { orders: `${prefix}orders`, marketData: `${prefix}market-data`, portfolio: `${prefix}portfolio` },
    payloadKeys: keyringOf('PAYLOAD_KEYS', r.PAYLOAD_KEYS, 'PAYLOAD_KEY_ID', r.PAYLOAD_KEY_ID),
    credentialKeys: keyringOf('CREDENTIALS_KEYS', r.CREDENTIALS_KEYS, 'CREDENTIALS_KEY_ID', r.CREDENTIALS_KEY_ID),
    codecOrigins: r.CODEC_CORS_ORIGINS ?? [new URL(temporalUiUrl).origin],
  };
}

/** The keyring and its current id; the id may be left out when the ring has one key. */
function keyringOf(keysVar: string, keys: Record<string, Buffer> | undefined, idVar: string, id: string | undefined): KeyringConfig | undefined {
  if (keys === undefined) {
    if (id !== undefined) throw new ConfigError(`Invalid ${idVar}=${JSON.stringify(id)}: ${keysVar} is not set (example: ${keysVar}=k1:$(openssl rand -base64 32))`);
    return undefined;
  }
  const ids = Object.keys(keys);
  const currentKeyId = id ?? (ids.length === 1 ? ids[0] : undefined);
  if (currentKeyId === undefined) {
    throw new ConfigError(`Invalid ${idVar}=undefined: ${keysVar} has several keys (${ids.join(', ')}); name the one to encrypt with (example: ${idVar}=${ids.at(-1)})`);
  }
  if (!ids.includes(currentKeyId)) {
    throw new ConfigError(`Invalid ${idVar}=${JSON.stringify(currentKeyId)}: not a key id of ${keysVar} (have: ${ids.join(', ')}) (example: ${idVar}=${ids[0]})`);
  }
  return { keys, currentKeyId };
}

/**
 * What `npm run api` and `npm run worker` need beyond loadConfig: the keys that protect data. The
 * supervisor of `npm start` generates them; a process run alone refuses to start without them.
 * @example requireSecrets(config, 'api'); // throws a one-line ConfigError
 */
export function requireSecrets(config: Config, part: 'api' | 'worker'): void {
  const hint = '(`npm start` generates one under DATA_DIR)';
  if (part === 'api' && config.JWT_SECRET === undefined && config.JWT_PRIVATE_KEY_PATH === undefined && config.JWT_PUBLIC_KEY_PATH === undefined) {
    throw new ConfigError(`JWT_SECRET is not set: \`npm run api\` signs access tokens with it (or with JWT_PRIVATE_KEY_PATH); generate one with \`openssl rand -base64 32\` ${hint}`);
  }
  if (!config.payloadKeys) {
    throw new ConfigError(`PAYLOAD_KEYS is not set: every Temporal payload is encrypted with it; e.g. PAYLOAD_KEYS=k1:$(openssl rand -base64 32) ${hint}`);
  }
  if (!config.credentialKeys) {
    throw new ConfigError(`CREDENTIALS_KEYS is not set: stored exchange credentials are encrypted with it; e.g. CREDENTIALS_KEYS=k1:$(openssl rand -base64 32) ${hint}`);
  }
}

/** Load `.env` from the working directory into process.env (variables already set win). */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

export function parseDurationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  const n = Number(m[1]);
  const unit = m[2] as 'ms' | 's' | 'm' | 'h';
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit];
}

/** `postgres://user:***@host:port/db`: for banners and logs. */
export function maskDatabaseUrl(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable DATABASE_URL>';
  }
}

/**
 * For entry points: load `.env` and the config, run `check`, and on a ConfigError print its one
 * line and exit 1. With `needsDatabase` (the command's name), DATABASE_URL must be set.
 * @example const config = loadConfigOrExit({ needsDatabase: 'npm run api', check: (c) => requireSecrets(c, 'api') });
 */
export function loadConfigOrExit(options: { needsDatabase?: string; check?: (config: Config) => void } = {}): Config & { DATABASE_URL: string } {
  loadDotEnv();
  try {
    const config = loadConfig();
    options.check?.(config);
    if (options.needsDatabase && !config.DATABASE_URL) {
      throw new ConfigError(`DATABASE_URL is not set: \`${options.needsDatabase}\` talks to an existing PostgreSQL (use \`npm start\` for the embedded one)`);
    }
    return config as Config & { DATABASE_URL: string };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
