/**
 * Binaries built from Go modules into the project's `.tools/` on first use: the Temporal server,
 * its SQL schema tool and the Web UI server of `npm run cluster`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { isExecutable, onPath } from './process.js';
import { PROJECT_ROOT } from './temporal-cli.js';

export const TOOLS_DIR = path.join(PROJECT_ROOT, '.tools');

export interface GoBinary {
  /** Package path of the `main` package, e.g. `go.temporal.io/server/cmd/server`. */
  pkg: string;
  version: string;
  /** Folder under `.tools/` and the name the binary gets there. */
  folder: string;
  name: string;
}

/**
 * The binary's path, built with `go install pkg@version` when it is not there yet (minutes on a
 * cold module cache, seconds after).
 * @example const server = await ensureGoBinary({ pkg: 'go.temporal.io/server/cmd/server', version: 'v1.29.1', folder: 'temporal-server-v1.29.1', name: 'temporal-server' }, log);
 */
export async function ensureGoBinary(b: GoBinary, log: Logger): Promise<string> {
  const dir = path.join(TOOLS_DIR, b.folder);
  const target = path.join(dir, b.name);
  if (isExecutable(target)) return target;
  const go = onPath('go');
  if (!go) throw new Error(`${target} is missing and there is no Go toolchain to build it; install Go (https://go.dev/dl) and try again`);
  // `go install` names a binary after its package folder (`server`, `sql`): build into a folder of
  // its own, then give the binary its conventional name.
  const gobin = path.join(dir, `.build-${b.name}`);
  mkdirSync(gobin, { recursive: true });
  log.info(`building ${b.pkg}@${b.version} with Go into ${dir} (first time only)`);
  const started = Date.now();
  const ticker = setInterval(() => log.info(`still building ${b.name} (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(go, ['install', `${b.pkg}@${b.version}`], { env: { ...process.env, GOBIN: gobin }, maxBuffer: 16 << 20 }, (err, _out, stderr) =>
        err ? reject(new Error(`go install ${b.pkg}@${b.version} failed: ${stderr.trim().split('\n').slice(-5).join('\n')}; check access to Go's module proxy`)) : resolve(),
      );
    });
  } finally {
    clearInterval(ticker);
  }
  renameSync(path.join(gobin, path.basename(b.pkg)), target);
  rmSync(gobin, { recursive: true, force: true });
  return target;
}
