/**
 * `npm start` as a user runs it, for the tests of the whole stack: its own data dir and free ports,
 * the tests' Temporal CLI, nothing else configured unless the test says so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export interface StackPorts {
  PORT: number;
  TEMPORAL_PORT: number;
  TEMPORAL_UI_PORT: number;
  EMBEDDED_PG_PORT: number;
  WORKER_METRICS_PORT: number;
  TEMPORAL_METRICS_PORT: number;
}

export async function npmStartEnv(name: string, extra: Record<string, string | undefined> = {}) {
  const ports: StackPorts = { PORT: await freePort(), TEMPORAL_PORT: await freePort(), TEMPORAL_UI_PORT: await freePort(), EMBEDDED_PG_PORT: await freePort(), WORKER_METRICS_PORT: await freePort(), TEMPORAL_METRICS_PORT: await freePort() };
  const dataDir = path.join(inject('testDir'), name);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: '',
    TEMPORAL_ADDRESS: '',
    CODEC_TRUST_LOCAL_UI: undefined,
    DATA_DIR: dataDir,
    TEMPORAL_CLI_PATH: inject('temporalBinary'),
    ...extra,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  };
  return { env, ports, dataDir, api: `http://127.0.0.1:${ports.PORT}` };
}

/**
 * Starts `scripts/start.ts` (with `args`, e.g. `--cluster` for `npm run cluster`) and resolves once
 * its ready banner is out (or throws with its output).
 */
export async function npmStart(env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  await waitFor(async () => out, (o) => o.includes('Press Ctrl-C') || child.exitCode !== null, { timeoutMs: args.includes('--cluster') ? 240_000 : 120_000, what: 'the ready banner' });
  if (child.exitCode !== null) throw new Error(`npm start exited: ${out}`);
  return { child, output: () => out };
}
