/**
 * `npm run test:chaos`: proves on one machine that orders survive faults. Starts one embedded
 * PostgreSQL for the run, then plays each scenario (scenarios.ts) against real processes and
 * prints one line per scenario (`scenario=… orders=… terminal=… duplicates=0 lost=0
 * ledgerMismatches=0 moneyCreated=0`, plus any count of the scenario's own, which must be 0 too)
 * and a summary; exits non-zero when any scenario fails.
 *
 *   npm run test:chaos                            every scenario
 *   npm run test:chaos -- --only api-kill,worker-kill
 *   npm run test:chaos -- --seed 7 --keep         another seed; keep .data/chaos-* even on success
 *   npm run test:chaos -- --target=cluster        on the production shape: the Temporal server on
 *                                                 PostgreSQL, two workers, two APIs (plus the
 *                                                 scenarios that need two of each)
 *
 * The next scenario's stack (Temporal, database, fake, worker and API processes) starts while the
 * current one drains (its fault is over), except after a scenario marked `quietDrain`.
 *
 * Everything lives under .data/chaos-<time>-<pid>/ (Temporal SQLite files, PostgreSQL, process
 * logs, report.json); the directory is removed after a passing run unless --keep is given.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { commandLineOf, isAlive, killStale } from '../../lib/embedded/process.js';
import { findTemporalCli, PROJECT_ROOT } from '../../lib/embedded/temporal-cli.js';
import { createLogger } from '../../lib/logger.js';
import { startChaosPostgres, type ChaosPostgres } from './infra.js';
import { ensureTemporalServer } from '../../lib/embedded/temporal-server.js';
import { prepareScenario, runScenario, stopRunningScenario, type ChaosTarget, type Prepared, type ScenarioDefinition, type ScenarioResult } from './scenario.js';
import { SCENARIOS } from './scenarios.js';
import { workerBundleInputs, workflowBundleAt } from '../../workers/workflow-bundle.js';

const { values } = parseArgs({
  options: { only: { type: 'string' }, seed: { type: 'string' }, keep: { type: 'boolean', default: false }, target: { type: 'string', default: 'dev' } },
});
if (values.target !== 'dev' && values.target !== 'cluster') throw new Error(`--target must be dev or cluster, got ${values.target}`);
const target: ChaosTarget = values.target;
const available = SCENARIOS.filter((s) => !s.targets || s.targets.includes(target));
const seed = Number(values.seed ?? process.env.CHAOS_SEED ?? 1);
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${values.seed}`);
const wanted = values.only?.split(',').map((s) => s.trim()) ?? available.map((s) => s.name);
const unknown = wanted.filter((name) => !available.some((s) => s.name === name));
if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')} on target ${target}; known: ${available.map((s) => s.name).join(', ')}`);

/**
 * A run killed with SIGKILL leaves its Temporal and PostgreSQL running (its worker and API exit
 * with it): stop those of every earlier run whose harness process is gone. The files stay.
 */
async function reapStaleRuns(dataDir: string): Promise<void> {
  const entries = existsSync(dataDir) ? readdirSync(dataDir) : [];
  for (const name of entries) {
    const owner = Number(/^chaos-.+-(\d+)$/.exec(name)?.[1]);
    if (!owner || (isAlive(owner) && commandLineOf(owner).includes('test/chaos/run.ts'))) continue;
    const dir = path.join(dataDir, name);
    const pidIn = (file: string) => (existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : 0);
    for (const scenario of readdirSync(dir)) {
      const pid = pidIn(path.join(dir, scenario, 'temporal.pid'));
      if (pid) await killStale(pid, 'start-dev');
      const server = pidIn(path.join(dir, scenario, 'temporal-server', 'server.pid'));
      if (server) await killStale(server, 'temporal-server');
    }
    const pg = pidIn(path.join(dir, 'postgres', 'pgdata', 'postmaster.pid'));
    if (pg) await killStale(pg, 'postgres');
  }
}

const dataDir = path.join(PROJECT_ROOT, '.data');
await reapStaleRuns(dataDir);
const root = path.join(dataDir, `chaos-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
mkdirSync(root, { recursive: true });
let pg: ChaosPostgres | undefined;
let stopping = false;

async function shutdown(): Promise<void> {
  await stopRunningScenario();
  const p = pg;
  pg = undefined;
  await p?.stop().catch(() => {});
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.error(`chaos: ${signal}, stopping (files in ${root})`);
    // Worker and API stop with us (their IPC channel closes); the servers are stopped here.
    void shutdown().finally(() => process.exit(130));
  });
}

/** An uncaught exception stops everything and fails the run. */
process.on('uncaughtException', (err) => {
  console.error(`chaos: uncaught ${err.stack ?? err.message}`);
  void shutdown().finally(() => process.exit(1));
});

const started = Date.now();
const results: ScenarioResult[] = [];
try {
  const binary = await findTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, log: createLogger('chaos', { level: 'warn' }) });
  if (!binary) throw new Error('No Temporal CLI found and no Go toolchain to build one: set TEMPORAL_CLI_PATH');
  const serverBinaries = target === 'cluster' ? await ensureTemporalServer(createLogger('chaos', { level: 'info' })) : undefined;
  // Every worker of every scenario loads one workflow bundle instead of bundling at each start.
  const workflowBundlePath = path.join(root, 'workflow-bundle.js');
  const bundling = workflowBundleAt(workflowBundlePath, workerBundleInputs({ OTEL_EXPORTER_OTLP_ENDPOINT: undefined }));
  bundling.catch(() => {});
  pg = await startChaosPostgres(path.join(root, 'postgres'));
  await bundling;
  console.error(`chaos: target ${target}${target === 'cluster' ? ' (Temporal server on PostgreSQL, two workers, two APIs)' : ' (Temporal dev server, one worker, one API)'}`);
  const ctx = { root, target, serverBinaries, temporalBinary: binary, pg, seed, workflowBundlePath };
  const definition = (name: string): ScenarioDefinition => {
    const found = available.find((s) => s.name === name)!;
    return target === 'cluster' && found.onCluster ? { ...found, ...found.onCluster } : found;
  };
  let next: Promise<Prepared> | undefined;
  for (const [i, name] of wanted.entries()) {
    const def = definition(name);
    const prepared = next;
    next = undefined;
    // The next scenario's stack starts while this one drains (its fault is over by then), unless
    // this one's check is about timing between processes.
    const following = wanted[i + 1];
    const onDraining = following && !def.quietDrain ? () => void (next ??= prepareScenario(definition(following), ctx)) : undefined;
    const result = await runScenario(def, { ...ctx, prepared, onDraining });
    results.push(result);
    console.log(result.line);
    for (const n of result.notes) console.error(`  note ${n}`);
    if (!result.passed) for (const d of result.details) console.error(d.replace(/^/gm, '  '));
  }
} catch (err) {
  console.error(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  results.push({ name: 'setup', passed: false, line: '', verdict: undefined, notes: [], details: [], dir: root, seconds: 0 });
} finally {
  await shutdown();
}

const passed = results.filter((r) => r.passed).length;
const failed = wanted.length - passed;
writeFileSync(
  path.join(root, 'report.json'),
  JSON.stringify({ target, seed, seconds: Math.round((Date.now() - started) / 1000), results: results.map(({ details: _d, ...r }) => r) }, null, 2),
);
// CI keeps only the tail of the output, where the log tails of a failure would bury its cause.
for (const r of results.filter((x) => !x.passed)) {
  const why = [...r.notes.filter((n) => /not terminal|failed/.test(n)), ...r.details.filter((d) => !d.startsWith('---') && !d.startsWith('files:'))];
  console.error(`chaos: FAILED ${r.name} (${r.seconds} s): ${why.slice(0, 4).map((w) => w.split('\n')[0]!.slice(0, 300)).join(' | ') || 'see above'}`);
}
console.error(`chaos: ${Math.round((Date.now() - started) / 1000)} s, seed ${seed}`);
console.log(`chaos: ${passed} passed, ${failed} failed`);
if (failed === 0 && !values.keep) rmSync(root, { recursive: true, force: true });
else console.error(`chaos: files kept in ${root}`);
process.exit(failed === 0 ? 0 : 1);
