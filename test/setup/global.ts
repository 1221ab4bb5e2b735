/**
 * Starts, once per test run, a real Temporal dev server (the same binary `npm start` uses) and a
 * real PostgreSQL (embedded, or a fresh database on DATABASE_URL's server), applies the
 * migrations and bundles the workflow code. Test files get the addresses through `inject()`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import postgres from 'postgres';
import { createSql } from '../../lib/db.js';
import { startEmbeddedPostgres } from '../../lib/embedded/postgres.js';
import { findTemporalCli, PROJECT_ROOT } from '../../lib/embedded/temporal-cli.js';
import { startTemporalDevServer } from '../../lib/embedded/temporal-dev-server.js';
import { createLogger } from '../../lib/logger.js';
import { migrate } from '../../store/migrate.js';
import { failureConverterPath } from '../../lib/security/payload-codec.js';
import { workflowBundleAt } from '../../workers/workflow-bundle.js';
import { freePort } from '../helpers/ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalBinary: string;
    databaseUrl: string;
    workflowBundlePath: string;
    testDir: string;
  }
}

export default async function setup(project: TestProject) {
  const log = createLogger('test-setup', { level: 'warn' });
  // Per project: each integration lane has servers and files of its own.
  const testDir = path.join(PROJECT_ROOT, '.data', `test-${process.pid}-${project.name}`);
  mkdirSync(testDir, { recursive: true });
  const cleanups: Array<() => Promise<void>> = [];

  const binary = await findTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, log });
  if (!binary) throw new Error('No Temporal CLI found and no Go toolchain to build one: set TEMPORAL_CLI_PATH');
  const temporal = await startTemporalDevServer({ binary, port: await freePort(), uiPort: await freePort(), log, logFile: path.join(testDir, 'temporal.log') });
  cleanups.push(temporal.stop);

  let databaseUrl: string;
  if (process.env.DATABASE_URL) {
    // A fresh database on the given server, so a run never sees another run's rows.
    const name = `durable_trader_test_${process.pid}_${project.name.replace(/\W/g, '_')}`;
    const admin = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name}`);
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    cleanups.push(async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    });
  } else {
    const pg = await startEmbeddedPostgres({ dir: path.join(testDir, 'postgres'), port: await freePort(), log });
    databaseUrl = pg.url;
    cleanups.push(pg.stop);
  }
  const sql = createSql(databaseUrl, { max: 1 });
  await migrate(sql);
  await sql.end();

  // The workers encrypt failures: the sandbox needs the same failure converter (createDataConverter's).
  // Written as workers/main.ts writes it (stamped), so every test's workflows run from such a file.
  const workflowBundlePath = path.join(testDir, 'workflow-bundle.js');
  const bundle = await workflowBundleAt(workflowBundlePath, { failureConverterPath });
  // Not kept (a file was saved while it was built): the tests run this code all the same.
  if (!bundle.loaded && bundle.writeError) writeFileSync(workflowBundlePath, bundle.code);

  project.provide('temporalAddress', temporal.address);
  project.provide('temporalBinary', binary);
  project.provide('databaseUrl', databaseUrl);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('testDir', testDir);

  return async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    rmSync(testDir, { recursive: true, force: true });
  };
}
