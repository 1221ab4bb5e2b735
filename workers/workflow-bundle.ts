/**
 * The engine's workflow code as one bundle, kept in a file (WORKFLOW_BUNDLE_PATH) so that a worker
 * that starts or restarts (a supervisor's restart after a crash, a rolling deploy, failover) loads
 * it instead of bundling again, about 1.7 s of CPU. The file's first line stamps what it was built
 * from: every source file webpack read, with its hash, and the options. A bundle whose sources or
 * options no longer match is never run; the worker bundles afresh and replaces the file.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, type BundleOptions } from '@temporalio/worker';
import type { Config } from '../lib/config.js';
import { failureConverterPath } from '../lib/security/payload-codec.js';
import { WORKFLOW_TRACING_INTERCEPTORS } from '../lib/tracing.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** This file: how the bundle is built is part of what it was built from. */
const RECIPE = fileURLToPath(import.meta.url);
const STAMP_PREFIX = '/* durable-trader workflow bundle ';
const STAMP_SUFFIX = ' */\n';

export interface BundleInputs {
  /** The data converter's failure converter (`dataConverter.failureConverterPath`), when payloads are encrypted. */
  failureConverterPath?: string | undefined;
  /** Workflow interceptor modules, e.g. the tracing interceptors (`Tracing.workflowInterceptorModules`). */
  workflowInterceptorModules?: readonly string[] | undefined;
}

interface Stamp {
  options: { failureConverterPath: string | null; workflowInterceptorModules: string[] };
  /** Project-relative path → sha256 (base64url) of every file webpack read, and of this recipe. */
  files: Record<string, string>;
  /** Paths webpack looked for and did not find: one appearing would change what an import resolves to. */
  missing: string[];
}

const rel = (file: string) => path.relative(ROOT, file);
const hashOf = (file: string) => createHash('sha256').update(readFileSync(file)).digest('base64url');

function optionsOf(inputs: BundleInputs): Stamp['options'] {
  return {
    failureConverterPath: inputs.failureConverterPath ? rel(inputs.failureConverterPath) : null,
    workflowInterceptorModules: (inputs.workflowInterceptorModules ?? []).map(rel),
  };
}

/**
 * Bundles the workflows, recording which files went in.
 * @example const { code } = await bundleWorkflows({ failureConverterPath: dataConverterFor(config)?.failureConverterPath });
 */
export async function bundleWorkflows(inputs: BundleInputs = {}): Promise<{ code: string; stamp: Stamp; changedWhileBundling: string[] }> {
  const started = Date.now();
  let read: { files: string[]; missing: string[] } = { files: [], missing: [] };
  type Plugin = { apply(compiler: { hooks: { done: { tap(name: string, fn: (stats: { compilation: { fileDependencies: Iterable<string>; missingDependencies: Iterable<string> } }) => void): void } } }): void };
  const recordInputs: Plugin = {
    apply(compiler) {
      compiler.hooks.done.tap('durable-trader-bundle-inputs', ({ compilation }) => {
        read = { files: [...compilation.fileDependencies], missing: [...compilation.missingDependencies] };
      });
    },
  };
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    ...(inputs.failureConverterPath ? { failureConverterPath: inputs.failureConverterPath } : {}),
    // The tracing interceptors live in the sandbox; without tracing they are not in the bundle at all.
    ...(inputs.workflowInterceptorModules?.length ? { workflowInterceptorModules: [...inputs.workflowInterceptorModules] } : {}),
    logger: new DefaultLogger('WARN'),
    webpackConfigHook: ((config) => ({ ...config, plugins: [...(config.plugins ?? []), recordInputs] })) as NonNullable<BundleOptions['webpackConfigHook']>,
  });
  if (read.files.length === 0) throw new Error('bundling the workflows recorded no source files; the bundle cannot be checked for staleness');
  const files: Record<string, string> = {};
  // Hashed after bundling: a file written meanwhile may differ from what went into the bundle.
  const changedWhileBundling: string[] = [];
  for (const file of [...read.files, RECIPE].sort()) {
    // The generated entry point exists only in the bundler's memory (it follows from the options);
    // webpack also lists the directories it read, whose files are listed one by one.
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile()) continue;
    files[rel(file)] = hashOf(file);
    if (stat.mtimeMs >= started) changedWhileBundling.push(rel(file));
  }
  return { code, stamp: { options: optionsOf(inputs), files, missing: read.missing.map(rel).sort() }, changedWhileBundling };
}

/** Why a stamped bundle may not run with these inputs, or undefined when it may. */
function staleness(stamp: Stamp, inputs: BundleInputs): string | undefined {
  if (JSON.stringify(stamp.options) !== JSON.stringify(optionsOf(inputs))) return 'it was built with other options (payload encryption or tracing)';
  if (!stamp.files[rel(RECIPE)]) return 'it was built by another recipe';
  for (const [file, hash] of Object.entries(stamp.files)) {
    const abs = path.resolve(ROOT, file);
    if (!existsSync(abs)) return `${file} is gone`;
    if (hashOf(abs) !== hash) return `${file} changed`;
  }
  for (const file of stamp.missing) if (existsSync(path.resolve(ROOT, file))) return `${file} now exists`;
  return undefined;
}

function readStamped(file: string): { code: string; stamp: Stamp } | string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is none yet' : `it could not be read (${(err as Error).message})`;
  }
  const end = text.indexOf(STAMP_SUFFIX);
  if (!text.startsWith(STAMP_PREFIX) || end < 0) return 'it has no stamp';
  try {
    return { code: text, stamp: JSON.parse(text.slice(STAMP_PREFIX.length, end)) as Stamp };
  } catch {
    return 'its stamp is not readable';
  }
}

export type BundleOutcome = { code: string; loaded: true } | { code: string; loaded: false; why: string; writeError?: string };

/**
 * Why the bundle at `file` may not run with these inputs (missing, built from other sources or
 * options), or undefined when it may.
 * @example const why = workflowBundleStaleness(config.workflowBundlePath, workerBundleInputs(config));
 */
export function workflowBundleStaleness(file: string, inputs: BundleInputs = {}): string | undefined {
  const found = readStamped(file);
  return typeof found === 'string' ? found : staleness(found.stamp, inputs);
}

/**
 * The workflow bundle at `file` when it was built from today's sources with these inputs;
 * otherwise a fresh bundle, written to `file` (atomically: workers starting together may race)
 * for the next start. A file that cannot be written leaves the fresh bundle in memory.
 * @example const bundle = await workflowBundleAt(config.workflowBundlePath, workerBundleInputs(config));
 */
export async function workflowBundleAt(file: string, inputs: BundleInputs = {}): Promise<BundleOutcome> {
  const found = readStamped(file);
  const why = typeof found === 'string' ? found : staleness(found.stamp, inputs);
  if (why === undefined && typeof found !== 'string') return { code: found.code, loaded: true };
  const built = await bundleWorkflows(inputs);
  // A comment line in front: the SDK runs the file as a script, and the stamp is plain to read.
  const code = `${STAMP_PREFIX}${JSON.stringify(built.stamp).replaceAll('*/', '*\\/')}${STAMP_SUFFIX}${built.code}`;
  if (built.changedWhileBundling.length) return { code, loaded: false, why: why!, writeError: `${built.changedWhileBundling.join(', ')} changed while bundling` };
  const temp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(temp, code);
    renameSync(temp, file);
  } catch (err) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // Nothing was written where nothing can be.
    }
    return { code, loaded: false, why: why!, writeError: (err as Error).message };
  }
  return { code, loaded: false, why: why! };
}

/**
 * What a worker process of this configuration bundles (workers/main.ts): failures encrypted as
 * PAYLOAD_KEYS requires, and the tracing interceptors when traces are exported. Launchers build the
 * file with it before they start workers, so that none of them has to.
 * @example await workflowBundleAt(config.workflowBundlePath, workerBundleInputs(config));
 */
export function workerBundleInputs(config: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT'>): BundleInputs {
  return { failureConverterPath, workflowInterceptorModules: config.OTEL_EXPORTER_OTLP_ENDPOINT ? [WORKFLOW_TRACING_INTERCEPTORS] : [] };
}
