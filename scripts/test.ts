/**
 * `npm test`, after the type check: vitest in two processes side by side, since vitest runs every
 * project that keeps to one file at a time in a single queue. One process runs `unit`, then the
 * `integration` lane; the other runs `integration-lane-2` (the files that mostly wait; see
 * vitest.config.ts). Each lane has a Temporal dev server and a PostgreSQL of its own. Their JSON
 * reports are merged into test-results/vitest.json, which .ci/run counts.
 *
 *   npm test                                   both processes
 *   npm test -- test/unit/money.test.ts        arguments: one plain `vitest run` with them
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../lib/embedded/temporal-cli.js';

const vitest = path.join(PROJECT_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const results = path.join(PROJECT_ROOT, 'test-results');

/** Runs vitest with `args`; lines of its output get `prefix`. Resolves to its exit code. */
function run(args: string[], prefix = ''): Promise<number> {
  const child = spawn(process.execPath, [vitest, 'run', ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const [from, to] of [[child.stdout, process.stdout], [child.stderr, process.stderr]] as const) {
    createInterface({ input: from }).on('line', (line) => to.write(`${prefix}${line}\n`));
  }
  return new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

/** vitest's JSON report: counts (`numPassedTests`, …), `success`, and the files' results. */
type JsonReport = Record<string, unknown> & { success?: boolean; numFailedTests?: number; testResults?: unknown[] };

/** One report of both: every count added, results joined; a lane without a report fails the whole. */
function merge(files: string[]): JsonReport {
  const reports = files.map((f) => (existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as JsonReport) : undefined));
  const merged: JsonReport = { success: reports.every((r) => r?.success === true), testResults: reports.flatMap((r) => r?.testResults ?? []) };
  for (const r of reports) {
    for (const [key, value] of Object.entries(r ?? {})) if (/^num[A-Z]/.test(key) && typeof value === 'number') merged[key] = ((merged[key] as number | undefined) ?? 0) + value;
  }
  // A lane that wrote no report (it crashed) counts as one failed test, so the total cannot pass.
  merged.numFailedTests = (merged.numFailedTests ?? 0) + reports.filter((r) => !r).length;
  return merged;
}

const args = process.argv.slice(2);
if (args.length) process.exit(await run(args));

mkdirSync(results, { recursive: true });
const lanes = [path.join(results, 'vitest-lane-1.json'), path.join(results, 'vitest-lane-2.json')];
for (const f of lanes) rmSync(f, { force: true });
const codes = await Promise.all([
  run(['--project', 'unit', '--project', 'integration', `--outputFile.json=${lanes[0]}`]),
  run(['--project', 'integration-lane-2', `--outputFile.json=${lanes[1]}`], '[lane 2] '),
]);
const report = merge(lanes);
writeFileSync(path.join(results, 'vitest.json'), JSON.stringify(report));
console.log(`npm test: ${String(report.numPassedTests ?? 0)} passed, ${report.numFailedTests} failed (both processes; test-results/vitest.json)`);
process.exit(codes.every((c) => c === 0) && report.success ? 0 : 1);
