import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createSql } from '../../lib/db.js';
import { startEmbeddedPostgres } from '../../lib/embedded/postgres.js';
import { createLogger } from '../../lib/logger.js';
import { migrate, readMigrations } from '../../store/migrate.js';
import { testClient, testConfig, testSql } from '../helpers/env.js';
import { enforceContract, expectContractKept } from '../helpers/openapi-contract.js';
import { freePort } from '../helpers/ports.js';

const log = createLogger('test', { level: 'error' });
const temporal = await testClient();
afterAll(() => temporal.connection.close());
expectContractKept();

async function get(app: ReturnType<typeof createApp>, path: string) {
  const res = await app.request(path);
  return { status: res.status, body: (await res.json()) as { status: string; migrations?: string; prices?: string; postgres?: string; temporal?: string; reasons?: Record<string, string> } };
}

describe('GET /health/ready and /health/live', () => {
  it('answer 200 ok when Temporal and PostgreSQL answer and every migration is applied', async () => {
    const sql = testSql(1);
    const app = createApp({ config: testConfig(), sql, temporal, log });
    await enforceContract(app);
    // The shared test database may hold provider outcomes of other tests: only the shape is asserted there.
    const ready = await get(app, '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ temporal: 'ok', postgres: 'ok', migrations: 'ok' });
    expect(await get(app, '/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
    await sql.end();
  });

  it('answer 503 naming Temporal when it is unreachable, while /health/live stays 200', async () => {
    const sql = testSql(1);
    const nowhere = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 }) });
    const app = createApp({ config: testConfig(), sql, temporal: nowhere, log });
    await enforceContract(app);
    const ready = await get(app, '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'unavailable', temporal: 'down', postgres: 'ok', migrations: 'ok' });
    expect(ready.body.reasons?.temporal?.length).toBeGreaterThan(0);
    expect((await get(app, '/health/live')).status).toBe(200);
    await sql.end();
    // The connection is left open: its client retries the probe's call in the background for a
    // while, and closing it under those retries throws from a timer.
  });

  it('say degraded (still 200) while every price provider fails, 503 when a migration is missing, and 503 naming PostgreSQL once it is stopped', async () => {
    const pg = await startEmbeddedPostgres({ dir: path.join(inject('testDir'), 'probes-pg'), port: await freePort(), log });
    const sql = createSql(pg.url, { max: 1, connectTimeout: 1 });
    await migrate(sql);
    const app = createApp({ config: testConfig(), sql, temporal, log });
    await enforceContract(app);
    expect(await get(app, '/health/ready')).toEqual({ status: 200, body: { status: 'ok', temporal: 'ok', postgres: 'ok', migrations: 'ok', prices: 'ok' } });

    // One provider failing is not degraded; all of them is.
    await sql`INSERT INTO price_provider_status (provider, ok_at, failed_at, last_error) VALUES
      ('binance', now(), now() - interval '1 minute', 'fetch failed'), ('yahoo', NULL, now(), 'getaddrinfo ENOTFOUND query1.finance.yahoo.com')`;
    expect((await get(app, '/health/ready')).body.status).toBe('ok');
    await sql`UPDATE price_provider_status SET failed_at = now() WHERE provider = 'binance'`;
    const degraded = await get(app, '/health/ready');
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ status: 'degraded', prices: 'failing' });
    expect(degraded.body.reasons?.prices).toMatch(/binance: fetch failed .*yahoo: getaddrinfo ENOTFOUND.*OFFLINE=1/);

    const last = (await readMigrations()).at(-1)!;
    await sql`DELETE FROM schema_migrations WHERE version = ${last.version}`;
    const pending = await get(app, '/health/ready');
    expect(pending.status).toBe(503);
    expect(pending.body).toMatchObject({ status: 'unavailable', migrations: 'pending' });
    expect(pending.body.reasons?.migrations).toContain(`${String(last.version).padStart(3, '0')}_${last.name}`);

    await pg.stop();
    const down = await get(app, '/health/ready');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'unavailable', postgres: 'down', temporal: 'ok', migrations: 'unknown' });
    expect(down.body.reasons?.postgres?.length).toBeGreaterThan(0);
    expect(await get(app, '/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
    await sql.end({ timeout: 1 });
  }, 120_000);
});
