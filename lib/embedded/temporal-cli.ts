/**
 * Finds the Temporal CLI that runs the embedded dev server, in this order:
 * TEMPORAL_CLI_PATH, `temporal` on PATH, the project's tool cache (.tools/bin), a build into that
 * cache with `go install` when Go is present. Returns undefined when none of these works; the
 * caller then falls back to the SDK's cached download.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../logger.js';
import { isExecutable, onPath } from './process.js';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TOOLS_BIN = path.join(PROJECT_ROOT, '.tools', 'bin');

export interface FindCliOptions {
  cliPath?: string | undefined;
  log: Logger;
  /** Build with Go when nothing else is found (default true). */
  build?: boolean;
}

export class TemporalCliError extends Error {
  override name = 'TemporalCliError';
}

export async function findTemporalCli(options: FindCliOptions): Promise<string | undefined> {
  const { cliPath, log } = options;
  if (cliPath) {
    if (!isExecutable(cliPath)) throw new TemporalCliError(`TEMPORAL_CLI_PATH=${cliPath} is not an executable file; fix the path or unset it`);
    return cliPath;
  }
  const found = onPath('temporal');
  if (found) return found;
  const cached = path.join(TOOLS_BIN, 'temporal');
  if (isExecutable(cached)) return cached;
  if (options.build === false) return undefined;
  const go = onPath('go');
  if (!go) return undefined;
  await buildWithGo(go, log);
  if (!isExecutable(cached)) throw new TemporalCliError(`go install finished but ${cached} is missing`);
  return cached;
}

async function buildWithGo(go: string, log: Logger): Promise<void> {
  mkdirSync(TOOLS_BIN, { recursive: true });
  log.info(`No temporal binary found: building ${TEMPORAL_CLI_MODULE} with Go into .tools/bin (first run only, takes a few minutes)`);
  const started = Date.now();
  const ticker = setInterval(() => log.info(`still building the Temporal CLI (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, ['install', TEMPORAL_CLI_MODULE], {
        env: { ...process.env, GOBIN: TOOLS_BIN },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new TemporalCliError(`go install ${TEMPORAL_CLI_MODULE} exited with ${code}; check Go's module proxy access or set TEMPORAL_CLI_PATH`))));
    });
  } finally {
    clearInterval(ticker);
  }
  log.info(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s`);
}

export function temporalCliVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return (out.stdout || out.stderr).trim();
}
