/**
 * The `price-refresh` Temporal Schedule against the real dev server: created once across starts,
 * updated in place, paused and resumed through the API, and actually refreshing prices.
 */
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../helpers/env.js';
import { startEngine, startMarketDataFakes, type MarketDataFakes, type TestEngine } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';
import { ensurePriceRefreshSchedule, priceRefreshScheduleId } from '../../workflows/schedules.js';

let fakes: MarketDataFakes;
let e: TestEngine;
const scheduleIds = new Set<string>();

beforeAll(async () => {
  fakes = await startMarketDataFakes();
  e = await startEngine({ ...fakes.env, PRICE_REFRESH_INTERVAL: '1s' });
});
afterAll(async () => {
  for (const id of scheduleIds) await e.temporal.schedule.getHandle(id).delete().catch(() => {});
  await e.stop();
  await fakes.close();
});

async function ensure(client: Client, env: Record<string, string>) {
  const config = testConfig({ TASK_QUEUE_PREFIX: e.config.TASK_QUEUE_PREFIX, ...env });
  scheduleIds.add(priceRefreshScheduleId(config));
  return ensurePriceRefreshSchedule(client, config);
}

async function listed(client: Client, scheduleId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) if (s.scheduleId === scheduleId) ids.push(s.scheduleId);
  return ids;
}

describe('ensurePriceRefreshSchedule', () => {
  it('creates the schedule once across two starts, and the second start applies the new interval', async () => {
    const id = `${e.config.TASK_QUEUE_PREFIX}twice-price-refresh`;
    const env = { TASK_QUEUE_PREFIX: `${e.config.TASK_QUEUE_PREFIX}twice-` };
    scheduleIds.add(id);
    const first = await ensurePriceRefreshSchedule(e.temporal, testConfig({ ...env, PRICE_REFRESH_INTERVAL: '30s' }));
    const second = await ensurePriceRefreshSchedule(e.temporal, testConfig({ ...env, PRICE_REFRESH_INTERVAL: '45s' }));
    expect([first.created, second.created]).toEqual([true, false]);
    const d = await e.temporal.schedule.getHandle(id).describe();
    expect(d.spec.intervals?.map((i) => i.every)).toEqual([45_000]);
    expect(d.policies.overlap).toBe('SKIP');
    expect(d.action).toMatchObject({ workflowType: 'refreshPrices', taskQueue: `${env.TASK_QUEUE_PREFIX}market-data` });
    // Listing is eventually consistent: wait until the schedule shows up, then count it.
    expect(await waitFor(() => listed(e.temporal, id), (ids) => ids.length > 0, { timeoutMs: 15_000, what: 'the schedule in the list' })).toEqual([id]);
  });

  it('keeps a paused schedule paused when a later start updates it', async () => {
    const env = { TASK_QUEUE_PREFIX: `${e.config.TASK_QUEUE_PREFIX}paused-` };
    await ensure(e.temporal, { ...env, PRICE_REFRESH_INTERVAL: '30s' });
    const handle = e.temporal.schedule.getHandle(priceRefreshScheduleId(env));
    await handle.pause('maintenance');
    await ensure(e.temporal, { ...env, PRICE_REFRESH_INTERVAL: '20s' });
    const d = await handle.describe();
    expect(d.state).toMatchObject({ paused: true, note: 'maintenance' });
    expect(d.spec.intervals?.[0]?.every).toBe(20_000);
  });
});

describe('the running schedule', () => {
  it('starts refreshPrices on the market-data queue, which stores a fresh price of a watched symbol', async () => {
    expect((await e.call('PUT', '/v1/watchlist', { symbols: ['ETHUSDT'] })).status).toBe(200);
    fakes.binance.setPrice('ETHUSDT', '3333.33');
    const since = new Date();
    scheduleIds.add(priceRefreshScheduleId(e.config));
    await ensurePriceRefreshSchedule(e.temporal, e.config);
    const row = await waitFor(
      async () => (await e.sql<{ price: string; as_of: Date }[]>`SELECT price::text, as_of FROM prices WHERE symbol = 'ETHUSDT'`)[0],
      (r) => r !== undefined && r.as_of >= since && r.price === '3333.33000000',
      { timeoutMs: 20_000, what: 'ETHUSDT refreshed by the schedule' },
    );
    expect(row?.price).toBe('3333.33000000');
    const d = await e.temporal.schedule.getHandle(priceRefreshScheduleId(e.config)).describe();
    expect(d.info.recentActions[0]?.action.workflow.workflowId).toMatch(new RegExp(`^${priceRefreshScheduleId(e.config)}-`));
  });
});

describe('POST /v1/schedules/price-refresh/pause and /resume', () => {
  it('pause answers the paused state, and resume the running one', async () => {
    await ensurePriceRefreshSchedule(e.temporal, e.config);
    const paused = await e.call('POST', '/v1/schedules/price-refresh/pause', { note: 'provider maintenance' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ name: 'price-refresh', scheduleId: priceRefreshScheduleId(e.config), paused: true, note: 'provider maintenance', intervalMs: 1_000, overlap: 'SKIP' });
    expect((await e.temporal.schedule.getHandle(priceRefreshScheduleId(e.config)).describe()).state.paused).toBe(true);
    expect((await e.call('GET', '/v1/schedules/price-refresh')).body.paused).toBe(true);
    const resumed = await e.call('POST', '/v1/schedules/price-refresh/resume');
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ paused: false, note: 'resumed through the API' });
    expect((await e.temporal.schedule.getHandle(priceRefreshScheduleId(e.config)).describe()).state.paused).toBe(false);
  });

  it('answers 404 for a schedule name the engine does not have', async () => {
    const res = await e.call('POST', '/v1/schedules/nightly-report/pause');
    expect([res.status, res.body.error.code]).toEqual([404, 'schedule_not_found']);
  });

  it('answers 404 while the worker has not created the schedule yet', async () => {
    const other = await startEngine({ TASK_QUEUE_PREFIX: `${e.config.TASK_QUEUE_PREFIX}none-` });
    try {
      await expect(other.temporal.schedule.getHandle(priceRefreshScheduleId(other.config)).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
      const res = await other.call('POST', '/v1/schedules/price-refresh/pause');
      expect([res.status, res.body.error.code]).toEqual([404, 'schedule_not_found']);
    } finally {
      await other.stop();
    }
  });
});
