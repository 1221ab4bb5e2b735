/**
 * The engine's workflow code as one bundle, kept in a file (WORKFLOW_BUNDLE_PATH) so that a worker
 * that starts or restarts (a supervisor's restart after a crash, a rolling deploy, failover) loads
 * it instead of bundling again, about 2 s of CPU. The file's first line stamps what it was built
 * from, conservatively: every source file of the project (not only those the bundle imports),
 * the installed packages (npm's `node_modules/.package-lock.json`), each file webpack read, Node's
 * version, the options, and the code's own hash. A bundle whose stamp does not match today
 * is never run: the worker bundles afresh and replaces the file.
 */
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, type BundleOptions } from '@temporalio/worker';
import type { Config } from '../lib/config.js';
import { failureConverterPath } from '../lib/security/payload-codec.js';
import { WORKFLOW_TRACING_INTERCEPTORS } from '../lib/tracing.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STAMP_PREFIX = '/* durable-trader workflow bundle ';
const STAMP_SUFFIX = ' */\n';
/** What the project holds that no bundle is built from: installs, run data, results, secrets. */
const NOT_SOURCES = new Set(['node_modules', '.git', '.data', '.tools', 'test-results', 'coverage', '.scratch', '.env', path.join('bench', 'results')]);

export interface BundleInputs {
  /** The data converter's failure converter (`dataConverter.failureConverterPath`), when payloads are encrypted. */
  failureConverterPath?: string | undefined;
  /** Workflow interceptor modules, e.g. the tracing interceptors (`Tracing.workflowInterceptorModules`). */
  workflowInterceptorModules?: readonly string[] | undefined;
}

interface Stamp {
  options: { failureConverterPath: string | null; workflowInterceptorModules: string[]; node: string; browserslist: string | null };
  /** sha256 (base64url) of every project file's path and bytes, and of npm's record of the installed packages. */
  project: string;
  installed: string;
  /** Project-relative path → sha256 of every file webpack read that `project` does not cover (packages, linked sources). */
  files: Record<string, string>;
  /** Paths webpack looked for and did not find: one appearing would change what an import resolves to. */
  missing: string[];
  /** sha256 of the code after the stamp: a torn or truncated file is not run. */
  code: string;
}

const rel = (file: string) => path.relative(ROOT, file);
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('base64url');
const hashOf = (file: string) => sha256(readFileSync(file));

function optionsOf(inputs: BundleInputs): Stamp['options'] {
  return {
    failureConverterPath: inputs.failureConverterPath ? rel(inputs.failureConverterPath) : null,
    workflowInterceptorModules: (inputs.workflowInterceptorModules ?? []).map(rel),
    node: process.version,
    // Read by webpack for its target (what syntax the bundle may use).
    browserslist: process.env.BROWSERSLIST ?? null,
  };
}

/** Files a bundle can be built from: modules, JSON, and the compiler's own settings. */
const SOURCE_FILE = /\.(?:[cm]?[jt]sx?|json)$|^\.swcrc$|^\.browserslistrc$|^browserslist$/;

/**
 * One hash over every source file of the project (SOURCE_FILE) but those in NOT_SOURCES and bundle
 * files themselves (a bundle may be kept inside the project, as the Docker image does), and one
 * over npm's record of what is installed. An edit, a new or a removed source file anywhere in the
 * project counts, whether or not the workflows import it: a needless rebuild costs 2 s, a missed
 * one runs stale code. Logs, databases and editors' files are no sources, so writing them does not
 * keep a bundle from being current. A file that vanishes during the walk is left out, as if it had
 * gone just before; a directory that cannot be read makes the fingerprint unknown.
 */
function projectFingerprint(): { project: string; installed: string } | { error: string } {
  const hash = createHash('sha256');
  const gone = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      const relative = rel(file);
      if (NOT_SOURCES.has(relative)) continue;
      try {
        const stat = lstatSync(file);
        if (stat.isDirectory()) walk(file);
        else if (stat.isSymbolicLink()) hash.update(`${relative}\0link\0${readlinkSync(file)}\0`);
        else if (stat.isFile() && SOURCE_FILE.test(name)) {
          const bytes = readFileSync(file);
          if (bytes.subarray(0, STAMP_PREFIX.length).toString() === STAMP_PREFIX) continue;
          hash.update(`${relative}\0${bytes.length}\0`).update(bytes);
        }
      } catch (err) {
        if (!gone(err)) throw err;
      }
    }
  };
  try {
    walk(ROOT);
    const lock = path.join(ROOT, 'node_modules', '.package-lock.json');
    return { project: hash.digest('base64url'), installed: existsSync(lock) ? hashOf(lock) : 'none' };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const sameFingerprint = (a: ReturnType<typeof projectFingerprint>, b: ReturnType<typeof projectFingerprint>) =>
  'project' in a && 'project' in b && a.project === b.project && a.installed === b.installed;

type BundlePlugin = { apply(compiler: { hooks: { done: { tap(name: string, fn: (stats: { compilation: { fileDependencies: Iterable<string>; missingDependencies: Iterable<string> } }) => void): void } } }): void };

/**
 * The workflows as one bundle, in memory: for uses that never keep it (a test worker with tracing,
 * the bench's replay). Workers that start from a file use workflowBundleAt.
 * @example const { code } = await bundleWorkflows({ failureConverterPath: dataConverter?.failureConverterPath });
 */
export async function bundleWorkflows(inputs: BundleInputs = {}, plugins: BundlePlugin[] = []): Promise<{ code: string }> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    ...(inputs.failureConverterPath ? { failureConverterPath: inputs.failureConverterPath } : {}),
    // The tracing interceptors live in the sandbox; without tracing they are not in the bundle at all.
    ...(inputs.workflowInterceptorModules?.length ? { workflowInterceptorModules: [...inputs.workflowInterceptorModules] } : {}),
    logger: new DefaultLogger('WARN'),
    ...(plugins.length ? { webpackConfigHook: ((config) => ({ ...config, plugins: [...(config.plugins ?? []), ...plugins] })) as NonNullable<BundleOptions['webpackConfigHook']> } : {}),
  });
}

let rootReal: boolean | undefined;
/** Whether the project's own path has no symlink in it (asked once). */
const rootIsReal = () => (rootReal ??= realpathSync(ROOT) === path.resolve(ROOT));

/**
 * Whether the project fingerprint already covers `file`: a source file inside the project, outside
 * NOT_SOURCES, reached without a symlink (the walk hashes a link, not what it leads to). Such files
 * need no hash of their own in the stamp.
 */
function fingerprinted(file: string): boolean {
  if (!rootIsReal() || realpathSync(file) !== file) return false;
  const relative = rel(file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return false;
  const parts = relative.split(path.sep);
  for (let i = 1; i <= parts.length; i++) if (NOT_SOURCES.has(parts.slice(0, i).join(path.sep))) return false;
  return SOURCE_FILE.test(parts[parts.length - 1]!);
}

/**
 * Bundles the workflows and stamps what they were built from. `unsaved` says why the bundle must
 * not be kept for later starts (its sources moved while it was built, or could not be read).
 */
async function stampedBundle(inputs: BundleInputs): Promise<{ code: string; stamp: Omit<Stamp, 'code'>; unsaved?: string }> {
  const before = projectFingerprint();
  let read: { files: string[]; missing: string[] } = { files: [], missing: [] };
  const recordInputs: BundlePlugin = {
    apply(compiler) {
      compiler.hooks.done.tap('durable-trader-bundle-inputs', ({ compilation }) => {
        read = { files: [...compilation.fileDependencies], missing: [...compilation.missingDependencies] };
      });
    },
  };
  const { code } = await bundleWorkflows(inputs, [recordInputs]);
  if (read.files.length === 0) throw new Error('bundling the workflows recorded no source files; the bundle cannot be checked for staleness');
  // Every file webpack read, by its real path, that the project fingerprint does not cover:
  // packages, and sources a symlink leads outside the project to. (It also lists directories,
  // and its entry point, which exists only in memory.)
  const files: Record<string, string> = {};
  let unsaved: string | undefined;
  for (const file of read.files.sort()) {
    try {
      if (!lstatSync(file, { throwIfNoEntry: false })?.isFile()) continue;
      const bytes = readFileSync(file);
      // The fingerprint skips stamped bundles, so one read as a source keeps its own hash.
      if (fingerprinted(file) && bytes.subarray(0, STAMP_PREFIX.length).toString() !== STAMP_PREFIX) continue;
      files[rel(file)] = sha256(bytes);
    } catch (err) {
      unsaved = `${rel(file)} could not be read (${(err as Error).message})`;
    }
  }
  // A path webpack looked for that exists anyway (a linked package) says nothing by appearing.
  const missing = read.missing.filter((file) => !existsSync(file)).map(rel).sort();
  const after = projectFingerprint();
  if ('error' in before || 'error' in after) unsaved = `the project could not be fingerprinted (${'error' in before ? before.error : 'error' in after ? after.error : ''})`;
  else if (!sameFingerprint(before, after)) unsaved = 'project files changed while bundling';
  const fingerprint = 'project' in before ? before : { project: 'unknown', installed: 'unknown' };
  return { code, stamp: { options: optionsOf(inputs), ...fingerprint, files, missing }, ...(unsaved ? { unsaved } : {}) };
}

/** Why a stamped bundle may not run with these inputs, or undefined when it may. */
function staleness(stamp: Stamp, code: string, inputs: BundleInputs): string | undefined {
  if (JSON.stringify(stamp.options) !== JSON.stringify(optionsOf(inputs))) return 'it was built with other options (payload encryption, tracing or Node version)';
  if (sha256(code) !== stamp.code) return 'its code is not what was written (a torn or edited file)';
  const now = projectFingerprint();
  if ('error' in now) return `the project could not be fingerprinted (${now.error})`;
  if (now.installed !== stamp.installed) return 'the installed packages changed (node_modules/.package-lock.json)';
  if (now.project !== stamp.project) return 'a project file changed, appeared or was removed';
  for (const [file, hash] of Object.entries(stamp.files)) {
    const abs = path.resolve(ROOT, file);
    if (!existsSync(abs)) return `${file} is gone`;
    if (hashOf(abs) !== hash) return `${file} changed`;
  }
  for (const file of stamp.missing) if (existsSync(path.resolve(ROOT, file))) return `${file} now exists`;
  return undefined;
}

const isStamp = (s: unknown): s is Stamp => {
  const o = s as Partial<Stamp> | null;
  return typeof o === 'object' && o !== null && typeof o.options === 'object' && typeof o.project === 'string' && typeof o.installed === 'string' && typeof o.files === 'object' && o.files !== null && Array.isArray(o.missing) && typeof o.code === 'string';
};

function readStamped(file: string): { text: string; code: string; stamp: Stamp } | string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is none yet' : `it could not be read (${(err as Error).message})`;
  }
  const end = text.indexOf(STAMP_SUFFIX);
  if (!text.startsWith(STAMP_PREFIX) || end < 0) return 'it has no stamp';
  try {
    const stamp: unknown = JSON.parse(text.slice(STAMP_PREFIX.length, end));
    return isStamp(stamp) ? { text, code: text.slice(end + STAMP_SUFFIX.length), stamp } : 'its stamp is not readable';
  } catch {
    return 'its stamp is not readable';
  }
}

/** The reason, or undefined when the file at `file` may run; never throws. */
function checked(file: string, inputs: BundleInputs): { why: string } | { text: string } {
  const found = readStamped(file);
  if (typeof found === 'string') return { why: found };
  try {
    const why = staleness(found.stamp, found.code, inputs);
    return why === undefined ? { text: found.text } : { why };
  } catch (err) {
    return { why: `it could not be checked (${(err as Error).message})` };
  }
}

/** Where the bundle `file` stands: `file` itself, or beside it (`….traced.js`) for the traced bundle, so that both may be kept. */
export function workflowBundleFile(file: string, inputs: BundleInputs = {}): string {
  if (!inputs.workflowInterceptorModules?.length) return file;
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}.traced${ext || '.js'}`;
}

export type BundleOutcome = { file: string; code: string; loaded: true } | { file: string; code: string; loaded: false; why: string; writeError?: string };

/**
 * Why the bundle at `file` may not run with these inputs (missing, built from other sources or
 * options, torn), or undefined when it may.
 * @example const why = workflowBundleStaleness(config.workflowBundlePath, workerBundleInputs(config));
 */
export function workflowBundleStaleness(file: string, inputs: BundleInputs = {}): string | undefined {
  const result = checked(file, inputs);
  return 'why' in result ? result.why : undefined;
}

/** Writes `text` to `file` whole or not at all: a temp file of its own, synced, then renamed. */
function writeAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    const fd = openSync(temp, 'wx');
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (err) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // The error above is the one to report.
    }
    throw err;
  }
}

/**
 * The workflow bundle at `file` (workflowBundleFile's, for traced inputs) when its stamp matches
 * today's sources and these inputs; otherwise a fresh bundle, written there for the next start
 * (whole or not at all: workers starting together may race). A file that cannot be written
 * leaves the fresh bundle in memory.
 * @example const bundle = await workflowBundleAt(config.workflowBundlePath, workerBundleInputs(config));
 */
export async function workflowBundleAt(file: string, inputs: BundleInputs = {}): Promise<BundleOutcome> {
  const target = workflowBundleFile(file, inputs);
  const result = checked(target, inputs);
  if ('text' in result) return { file: target, code: result.text, loaded: true };
  const built = await stampedBundle(inputs);
  const stamp: Stamp = { ...built.stamp, code: sha256(built.code) };
  // A comment line in front: the SDK runs the file as a script, and the stamp is plain to read.
  const text = `${STAMP_PREFIX}${JSON.stringify(stamp).replaceAll('*/', '*\\/')}${STAMP_SUFFIX}${built.code}`;
  if (built.unsaved) return { file: target, code: text, loaded: false, why: result.why, writeError: `${built.unsaved}, so this bundle was not saved` };
  try {
    writeAtomically(target, text);
  } catch (err) {
    return { file: target, code: text, loaded: false, why: result.why, writeError: (err as Error).message };
  }
  return { file: target, code: text, loaded: false, why: result.why };
}

/**
 * What a worker process of this configuration bundles (workers/main.ts): failures encrypted as
 * PAYLOAD_KEYS requires, and the tracing interceptors when traces are exported. Launchers build the
 * file with it before they start workers, so that none of them has to.
 * @example await workflowBundleAt(config.workflowBundlePath, workerBundleInputs(config));
 */
export function workerBundleInputs(config: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT'>): BundleInputs {
  return inputsFor(Boolean(config.OTEL_EXPORTER_OTLP_ENDPOINT));
}

const inputsFor = (traced: boolean): BundleInputs => ({ failureConverterPath, workflowInterceptorModules: traced ? [WORKFLOW_TRACING_INTERCEPTORS] : [] });

/** Both bundles a worker may need, without and with tracing: what an image builds ahead (`npm run bundle`). */
export const allWorkerBundleInputs = (): BundleInputs[] => [inputsFor(false), inputsFor(true)];
