import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createSql } from '../../lib/db.js';
import { startEmbeddedPostgres } from '../../lib/embedded/postgres.js';
import { createLogger } from '../../lib/logger.js';
import { testClient, testConfig, testSql } from '../helpers/env.js';
import { enforceContract, expectContractKept } from '../helpers/openapi-contract.js';
import { freePort } from '../helpers/ports.js';

const log = createLogger('test', { level: 'error' });
const temporal = await testClient();
afterAll(() => temporal.connection.close());
expectContractKept();

describe('GET /health', () => {
  it('answers 200 with both parts ok when Temporal and PostgreSQL answer', async () => {
    const sql = testSql(1);
    const app = createApp({ config: testConfig(), sql, temporal, log });
    await enforceContract(app);
    const res = await app.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', temporal: 'ok', postgres: 'ok' });
    await sql.end();
  });

  it('answers 503 naming PostgreSQL, with a reason, once PostgreSQL is stopped', async () => {
    const pg = await startEmbeddedPostgres({ dir: path.join(inject('testDir'), 'health-pg'), port: await freePort(), log });
    const sql = createSql(pg.url, { max: 1, connectTimeout: 1 });
    const app = createApp({ config: testConfig(), sql, temporal, log });
    await enforceContract(app);
    expect((await app.request('/health')).status).toBe(200);

    await pg.stop();
    const res = await app.request('/health');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { postgres: string; temporal: string; reasons: { postgres: string } };
    expect(body.postgres).toBe('down');
    expect(body.temporal).toBe('ok');
    expect(body.reasons.postgres.length).toBeGreaterThan(0);
    await sql.end({ timeout: 1 });
  });
});
