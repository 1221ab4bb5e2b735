/**
 * The workers' workflow bundle kept in a file (WORKFLOW_BUNDLE_PATH): built once, loaded by every
 * later start while it matches the sources and options it was built from, and never run once it
 * does not. Every other integration test's workers run from such a file (test/setup/global.ts).
 */
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { failureConverterPath } from '../../lib/security/payload-codec.js';
import { WORKFLOW_TRACING_INTERCEPTORS } from '../../lib/tracing.js';
import { workerBundleInputs, workflowBundleAt, workflowBundleStaleness } from '../../workers/workflow-bundle.js';
import { priceRefreshScheduleId, reconcileScheduleId } from '../../workflows/schedules.js';
import { testClient, testConfig } from '../helpers/env.js';
import { TEST_CREDENTIALS_KEYS, TEST_JWT_SECRET, TEST_PAYLOAD_KEYS } from '../helpers/keys.js';

const dir = mkdtempSync(path.join(tmpdir(), 'workflow-bundle-'));
const file = path.join(dir, 'workflow-bundle.js');
const inputs = workerBundleInputs({ OTEL_EXPORTER_OTLP_ENDPOINT: undefined });
const prefix = `t${randomUUID().slice(0, 8)}-`;
const config = testConfig({ TASK_QUEUE_PREFIX: prefix });

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const client = await testClient(config);
  for (const id of [priceRefreshScheduleId(config), reconcileScheduleId(config)]) await client.schedule.getHandle(id).delete().catch(() => {});
  await client.connection.close();
});

const STAMP = /^\/\* durable-trader workflow bundle (.*) \*\/\n/;
type Stamp = { options: unknown; files: Record<string, string>; missing: string[] };
const stampOf = (text: string) => JSON.parse(STAMP.exec(text)![1]!) as Stamp;
/** Rewrites the file's stamp, leaving its code as it was. */
function restamp(change: (stamp: Stamp) => void): void {
  const text = readFileSync(file, 'utf8');
  const stamp = stampOf(text);
  change(stamp);
  writeFileSync(file, text.replace(STAMP, `/* durable-trader workflow bundle ${JSON.stringify(stamp)} */\n`));
}
const sha256 = (relative: string) => createHash('sha256').update(readFileSync(relative)).digest('base64url');

describe('the workflow bundle file', () => {
  it('is built and stamped with every file that went in, then loaded as it is', { timeout: 60_000 }, async () => {
    const built = await workflowBundleAt(file, inputs);
    expect(built).toMatchObject({ loaded: false, why: 'there is none yet' });
    expect(built).not.toHaveProperty('writeError');
    const stamp = stampOf(readFileSync(file, 'utf8'));
    // Our workflow code, what it imports, the SDK's workflow runtime, and how the bundle is built.
    for (const source of ['workflows/order-lifecycle.ts', 'workflows/portfolio.ts', 'domain/orders.ts', 'lib/security/failure-converter.ts', 'workers/workflow-bundle.ts']) {
      expect(stamp.files[source], source).toBe(sha256(source));
    }
    expect(Object.keys(stamp.files).some((f) => f.startsWith('node_modules/@temporalio/workflow/'))).toBe(true);

    const loaded = await workflowBundleAt(file, inputs);
    expect(loaded).toEqual({ loaded: true, code: built.code });
    expect(loaded.code).toBe(readFileSync(file, 'utf8'));
  });

  it('is stale when a source changed, vanished or would resolve elsewhere, or the options differ', () => {
    expect(workflowBundleStaleness(file, inputs)).toBeUndefined();
    expect(workflowBundleStaleness(file, { ...inputs, workflowInterceptorModules: [WORKFLOW_TRACING_INTERCEPTORS] })).toMatch(/other options/);
    expect(workflowBundleStaleness(file, { workflowInterceptorModules: [] })).toMatch(/other options/);
    expect(workflowBundleStaleness(path.join(dir, 'none.js'), inputs)).toBe('there is none yet');

    const original = readFileSync(file, 'utf8');
    try {
      restamp((s) => (s.files['workflows/order-lifecycle.ts'] = sha256('package.json')));
      expect(workflowBundleStaleness(file, inputs)).toBe('workflows/order-lifecycle.ts changed');
      writeFileSync(file, original);
      restamp((s) => (s.files['workflows/retired-step.ts'] = 'x'));
      expect(workflowBundleStaleness(file, inputs)).toBe('workflows/retired-step.ts is gone');
      writeFileSync(file, original);
      restamp((s) => s.missing.push('domain/orders.ts'));
      expect(workflowBundleStaleness(file, inputs)).toBe('domain/orders.ts now exists');
      writeFileSync(file, original);
      restamp((s) => delete s.files['workers/workflow-bundle.ts']);
      expect(workflowBundleStaleness(file, inputs)).toBe('it was built by another recipe');
      writeFileSync(file, original.replace(STAMP, ''));
      expect(workflowBundleStaleness(file, inputs)).toBe('it has no stamp');
    } finally {
      writeFileSync(file, original);
    }
  });

  it('is rebuilt and replaced when stale, never run', { timeout: 60_000 }, async () => {
    const before = readFileSync(file, 'utf8');
    restamp((s) => (s.files['workflows/order-lifecycle.ts'] = sha256('package.json')));
    const rebuilt = await workflowBundleAt(file, inputs);
    expect(rebuilt).toMatchObject({ loaded: false, why: 'workflows/order-lifecycle.ts changed' });
    expect(readFileSync(file, 'utf8')).toBe(rebuilt.code);
    expect(stampOf(rebuilt.code).files['workflows/order-lifecycle.ts']).toBe(sha256('workflows/order-lifecycle.ts'));
    expect(stampOf(rebuilt.code)).toEqual(stampOf(before));
  });

  it('keeps to the inputs a worker of that configuration uses', () => {
    expect(workerBundleInputs({ OTEL_EXPORTER_OTLP_ENDPOINT: undefined })).toEqual({ failureConverterPath, workflowInterceptorModules: [] });
    expect(workerBundleInputs({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).workflowInterceptorModules).toEqual([WORKFLOW_TRACING_INTERCEPTORS]);
  });
});

/** Starts workers/main.ts, resolves with its log once it is ready, and stops it. */
async function workerStart(bundlePath: string): Promise<string> {
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATABASE_URL: inject('databaseUrl'),
    TASK_QUEUE_PREFIX: prefix,
    RECONCILE_INTERVAL: '24h',
    PRICE_REFRESH_INTERVAL: '1h',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    WORKER_METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
    BINANCE_BASE_URL: 'http://127.0.0.1:9',
    YAHOO_BASE_URL: 'http://127.0.0.1:9',
    BINANCE_USER_STREAM: '0',
    JWT_SECRET: TEST_JWT_SECRET,
    PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
    CREDENTIALS_KEYS: TEST_CREDENTIALS_KEYS,
    WORKFLOW_BUNDLE_PATH: bundlePath,
  };
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  try {
    await new Promise<void>((resolve, reject) => {
      child.on('message', (m: { type?: string }) => m.type === 'ready' && resolve());
      child.once('exit', (code) => reject(new Error(`workers/main.ts exited with ${code}: ${output}`)));
    });
    return output;
  } finally {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
}

const messages = (log: string) =>
  log
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; level: string; file?: string; why?: string; error?: string });

describe('workers/main.ts', () => {
  it('loads the bundle file when it is current, and polls with it', { timeout: 120_000 }, async () => {
    const log = messages(await workerStart(file));
    expect(log.find((m) => m.msg.startsWith('workflow bundle'))).toMatchObject({ msg: 'workflow bundle loaded', level: 'info', file });
  });

  it('bundles for itself, says so and still starts when the file cannot be written', { timeout: 120_000 }, async () => {
    // A path under a regular file: no directory can be made there.
    const unwritable = path.join(file, 'workflow-bundle.js');
    const log = messages(await workerStart(unwritable));
    expect(log.find((m) => m.msg.startsWith('workflow bundle'))).toMatchObject({ msg: 'workflow bundle built, but not saved: the next start bundles again', level: 'warn', file: unwritable, why: expect.stringMatching(/could not be read/) });
  });
});
