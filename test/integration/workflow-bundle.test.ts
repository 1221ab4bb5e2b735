/**
 * The workers' workflow bundle kept in a file (WORKFLOW_BUNDLE_PATH): built once, loaded by every
 * later start while it matches the sources and options it was built from, and never run once it
 * does not. Every other integration test's workers run from such a file (test/setup/global.ts).
 */
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { failureConverterPath } from '../../lib/security/payload-codec.js';
import { WORKFLOW_TRACING_INTERCEPTORS } from '../../lib/tracing.js';
import { workerBundleInputs, workflowBundleAt, workflowBundleFile, workflowBundleStaleness } from '../../workers/workflow-bundle.js';
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
type Stamp = { options: { node: string }; project: string; installed: string; files: Record<string, string>; missing: string[]; code: string };
const stampOf = (text: string) => JSON.parse(STAMP.exec(text)![1]!) as Stamp;
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('base64url');
/** A copy of the built bundle with its stamp (or its text) changed, for one test alone. */
function tampered(change: { stamp?: (stamp: Stamp) => void; text?: (text: string) => string }): string {
  const text = readFileSync(file, 'utf8');
  const stamp = stampOf(text);
  change.stamp?.(stamp);
  const copy = path.join(dir, `${randomUUID()}.js`);
  writeFileSync(copy, (change.text ?? ((t) => t))(text.replace(STAMP, `/* durable-trader workflow bundle ${JSON.stringify(stamp)} */\n`)));
  return copy;
}

beforeAll(async () => {
  const built = await workflowBundleAt(file, inputs);
  expect(built).toMatchObject({ loaded: false, why: 'there is none yet' });
  expect(built).not.toHaveProperty('writeError');
}, 60_000);

describe('the workflow bundle file', () => {
  it('is stamped with the project, the installed packages, the package files that went in (not the project\'s, already fingerprinted) and its code, then loaded as it is', async () => {
    const text = readFileSync(file, 'utf8');
    const stamp = stampOf(text);
    expect(stamp.installed).toBe(sha256(readFileSync('node_modules/.package-lock.json')));
    expect(stamp.code).toBe(sha256(text.replace(STAMP, '')));
    const runtime = Object.keys(stamp.files).filter((f) => f.startsWith('node_modules/@temporalio/workflow/'));
    expect(runtime.length).toBeGreaterThan(0);
    for (const f of runtime) expect(stamp.files[f], f).toBe(sha256(readFileSync(f)));
    // The project's own sources are in the project fingerprint, so a start does not hash them twice.
    for (const f of ['workflows/order-lifecycle.ts', 'domain/orders.ts', 'lib/security/failure-converter.ts']) expect(stamp.files, f).not.toHaveProperty([f]);
    expect(Object.keys(stamp.files).every((f) => f.startsWith('node_modules/') || f.startsWith('..')), Object.keys(stamp.files).join()).toBe(true);
    expect(stamp.options.node).toBe(process.version);
    expect(await workflowBundleAt(file, inputs)).toEqual({ file, loaded: true, code: text });
  });

  it('is stale when the options, its code, the installed packages or a package file differ, or a missing module appears', () => {
    expect(workflowBundleStaleness(file, inputs)).toBeUndefined();
    expect(workflowBundleStaleness(file, { ...inputs, workflowInterceptorModules: [WORKFLOW_TRACING_INTERCEPTORS] })).toMatch(/other options/);
    expect(workflowBundleStaleness(file, { workflowInterceptorModules: [] })).toMatch(/other options/);
    expect(workflowBundleStaleness(tampered({ stamp: (s) => (s.options.node = 'v18.0.0') }), inputs)).toMatch(/other options/);
    expect(workflowBundleStaleness(tampered({ text: (t) => t.slice(0, -1000) }), inputs)).toMatch(/code is not what was written/);
    expect(workflowBundleStaleness(tampered({ stamp: (s) => (s.installed = sha256('another install')) }), inputs)).toMatch(/installed packages changed/);
    expect(workflowBundleStaleness(tampered({ stamp: (s) => (s.project = sha256('another project')) }), inputs)).toMatch(/project file changed/);
    const runtimeFile = Object.keys(stampOf(readFileSync(file, 'utf8')).files).find((f) => f.startsWith('node_modules/@temporalio/workflow/'))!;
    expect(workflowBundleStaleness(tampered({ stamp: (s) => (s.files[runtimeFile] = sha256('edited')) }), inputs)).toBe(`${runtimeFile} changed`);
    expect(workflowBundleStaleness(tampered({ stamp: (s) => (s.files['workflows/retired-step.ts'] = 'x') }), inputs)).toBe('workflows/retired-step.ts is gone');
    expect(workflowBundleStaleness(tampered({ stamp: (s) => s.missing.push('node_modules/@temporalio/workflow/package.json') }), inputs)).toBe('node_modules/@temporalio/workflow/package.json now exists');
    expect(workflowBundleStaleness(tampered({ stamp: (s) => delete (s as Partial<Stamp>).files }), inputs)).toBe('its stamp is not readable');
    expect(workflowBundleStaleness(tampered({ text: (t) => t.replace(STAMP, '') }), inputs)).toBe('it has no stamp');
    expect(workflowBundleStaleness(path.join(dir, 'none.js'), inputs)).toBe('there is none yet');
  });

  it('is stale once any project file is added, edited or removed, and then rebuilt, never run', { timeout: 60_000 }, async () => {
    // A source file of the project that no workflow imports: the fingerprint is the whole project.
    const probe = path.resolve('test', `.bundle-probe-${randomUUID()}.json`);
    const own = path.join(dir, 'probed.js');
    try {
      writeFileSync(probe, 'one');
      expect(workflowBundleStaleness(file, inputs)).toMatch(/project file changed, appeared or was removed/);
      const rebuilt = await workflowBundleAt(own, inputs);
      expect(rebuilt).toMatchObject({ loaded: false, why: 'there is none yet' });
      expect(workflowBundleStaleness(own, inputs)).toBeUndefined();
      writeFileSync(probe, 'two');
      expect(workflowBundleStaleness(own, inputs)).toMatch(/project file changed/);
      const again = await workflowBundleAt(own, inputs);
      expect(again).toMatchObject({ loaded: false, why: 'a project file changed, appeared or was removed' });
      expect(readFileSync(own, 'utf8')).toBe(again.code);
    } finally {
      rmSync(probe, { force: true });
    }
    expect(workflowBundleStaleness(own, inputs)).toMatch(/project file changed/);
    expect(workflowBundleStaleness(file, inputs)).toBeUndefined();
  });

  it('may be kept inside the project, where writing it changes no fingerprint', { timeout: 60_000 }, async () => {
    // As the Docker image keeps it (/app/workflow-bundle.js): the bundle is no source of itself.
    const inside = path.resolve('test', `.bundle-inside-${randomUUID()}.js`);
    try {
      const built = await workflowBundleAt(inside, inputs);
      expect(built).not.toHaveProperty('writeError');
      expect(workflowBundleStaleness(inside, inputs)).toBeUndefined();
      expect(workflowBundleStaleness(file, inputs)).toBeUndefined();
    } finally {
      rmSync(inside, { force: true });
    }
  });

  it('is not kept when a project source changes while it is built', { timeout: 60_000 }, async () => {
    const probe = path.resolve('test', `.bundle-probe-${randomUUID()}.json`);
    const own = path.join(dir, 'moving.js');
    try {
      // The fingerprint is taken when bundling begins; the probe lands while webpack works.
      const building = workflowBundleAt(own, inputs);
      writeFileSync(probe, '{}');
      const result = await building;
      expect(result).toMatchObject({ loaded: false, writeError: 'project files changed while bundling, so this bundle was not saved' });
      expect(workflowBundleStaleness(own, inputs)).toBe('there is none yet');
    } finally {
      rmSync(probe, { force: true });
    }
  });

  it('is written whole by two worker processes bundling at once', { timeout: 90_000 }, async () => {
    const shared = path.join(dir, 'shared.js');
    const script = `import { workflowBundleAt, workerBundleInputs } from './workers/workflow-bundle.ts';
      const r = await workflowBundleAt(${JSON.stringify(shared)}, workerBundleInputs({}));
      process.stdout.write(JSON.stringify({ loaded: r.loaded, writeError: r.writeError ?? null }));`;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`bundling process exited with ${code}`))));
      });
    const results = (await Promise.all([run(), run()])).map((o) => JSON.parse(o) as { loaded: boolean; writeError: string | null });
    expect(results).toEqual([{ loaded: false, writeError: null }, { loaded: false, writeError: null }]);
    expect(workflowBundleStaleness(shared, inputs)).toBeUndefined();
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('is built by `npm run bundle` without and with tracing, side by side, and each loaded by the workers it is for', { timeout: 120_000 }, async () => {
    const image = path.join(dir, 'image', 'workflow-bundle.js');
    const traced = workerBundleInputs({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
    expect(workflowBundleFile(image, traced)).toBe(path.join(dir, 'image', 'workflow-bundle.traced.js'));
    expect(workflowBundleFile(image, inputs)).toBe(image);
    const bundle = () =>
      new Promise<string>((resolve, reject) => {
        const env = { ...process.env, WORKFLOW_BUNDLE_PATH: image, JWT_SECRET: TEST_JWT_SECRET, PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, CREDENTIALS_KEYS: TEST_CREDENTIALS_KEYS };
        const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bundle-workflows.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`npm run bundle exited with ${code}: ${out}`))));
      });
    const first = await bundle();
    expect(first).toContain(`built ${image} in`);
    expect(first).toContain(`built ${workflowBundleFile(image, traced)} in`);
    expect(workflowBundleStaleness(image, inputs)).toBeUndefined();
    expect(workflowBundleStaleness(workflowBundleFile(image, traced), traced)).toBeUndefined();
    expect(stampOf(readFileSync(workflowBundleFile(image, traced), 'utf8')).options).toMatchObject({ workflowInterceptorModules: [path.relative('.', WORKFLOW_TRACING_INTERCEPTORS)] });
    // A worker of either kind finds its own bundle current; neither replaces the other's.
    expect(await workflowBundleAt(image, traced)).toMatchObject({ file: workflowBundleFile(image, traced), loaded: true });
    expect(await workflowBundleAt(image, inputs)).toMatchObject({ file: image, loaded: true });
    const again = await bundle();
    expect(again.match(/is current/g)).toHaveLength(2);
  });

  it('keeps to the inputs a worker of that configuration uses', () => {
    expect(workerBundleInputs({ OTEL_EXPORTER_OTLP_ENDPOINT: undefined })).toEqual({ failureConverterPath, workflowInterceptorModules: [] });
    expect(workerBundleInputs({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).workflowInterceptorModules).toEqual([WORKFLOW_TRACING_INTERCEPTORS]);
  });
});

/** Starts workers/main.ts, resolves with its log once it is ready, and stops it. */
async function workerStart(bundlePath: string): Promise<string> {
  const env: NodeJS.ProcessEnv = {
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
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
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
    expect(log.find((m) => m.msg.startsWith('workflow bundle'))).toMatchObject({ msg: 'workflow bundle built, but not saved: the next start bundles again', level: 'warn', file: unwritable, why: expect.stringMatching(/could not be read/), error: expect.stringMatching(/EEXIST|ENOTDIR/) });
  });
});
