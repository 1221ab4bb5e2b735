/**
 * A 100-slice paper TWAP (issue 15): how far each slice starts from its schedule. Twice: on a quiet
 * worker, and with the worker stopped and started again mid-run (the figure may then grow by the
 * restart time). A slice's start is its child order workflow's start time as Temporal records it;
 * the TWAP's own record (workflow time when it sent the start) is reported beside it.
 *
 * The engine runs as `npm start` runs it (workers/main.ts and api/main.ts), on a database of its own
 * beside the bench's and task queues of its own, so its worker can be restarted without touching
 * the main stack.
 */
import { freshDatabase } from '../lib/fresh-database.js';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../lib/config.js';
import { createSql, type Sql } from '../../lib/db.js';
import { storeQuotes } from '../../store/prices.js';
import { startChild, type Child } from '../lib/children.js';
import type { Cleanup } from '../lib/cleanup.js';
import { connectEngineApi, safeJson } from '../lib/engine-api.js';
import { freePort } from '../../test/helpers/ports.js';
import { twapStatusQuery } from '../../workflows/twap-definitions.js';
import { round, summarize, type LatencySummary } from '../lib/stats.js';

const SYMBOL = 'TWAPBENCH';
const SLICES = 100;
/** One slice a second: the shortest interval a TWAP allows. */
const HORIZON_S = 100;

export interface TwapContext {
  env: NodeJS.ProcessEnv;
  databaseUrl: string;
  runDir: string;
  cleanup: Cleanup;
  temporal: Client;
  log: (line: string) => void;
}

export interface TwapRun {
  /** |child workflow start − schedule| per slice, as Temporal recorded the start. */
  deviation: LatencySummary;
  /** The same from the TWAP's own record (workflow time when it sent the start). */
  deviationRecorded: LatencySummary;
  slicesPlaced: number;
  status: string;
  filledQty: string;
  /** Stop of the worker to the new one ready, when restarted. */
  restartMs?: number;
}

export interface TwapResults {
  slices: number;
  horizonS: number;
  quiet: TwapRun;
  withRestart: TwapRun;
}

/** Keeps the paper price fresh (a stale one makes a paper MARKET order REJECTED) until stopped. */
function priceFeed(sql: Sql): () => Promise<void> {
  let on = true;
  const loop = (async () => {
    while (on) {
      await storeQuotes(sql, [{ symbol: SYMBOL, price: '100', source: 'simulated', asOf: new Date().toISOString() }]);
      await sleep(2000);
    }
  })();
  return async () => {
    on = false;
    await loop;
  };
}

export async function measureTwap(ctx: TwapContext): Promise<TwapResults> {
  const databaseUrl = await freshDatabase(ctx.databaseUrl, 'bench_twap');
  const sql = createSql(databaseUrl, { max: 2, applicationName: 'bench' });
  ctx.cleanup.push('twap pool', () => sql.end({ timeout: 2 }));
  const stopFeed = priceFeed(sql);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...ctx.env, DATABASE_URL: databaseUrl, TASK_QUEUE_PREFIX: 'bench-twap-', PORT: String(port) };
  const config = loadConfig(env);
  const start = (part: string, entry: string) =>
    startChild({ name: `twap-${part}`, entry, env, logFile: path.join(ctx.runDir, `twap-${part}.log`), onSpawn: (c) => ctx.cleanup.push(c.name, c.stop, 'processes') });
  let worker: Child = await start('worker', 'workers/main.ts');
  const api = await start('api', 'api/main.ts');
  const { http } = await connectEngineApi(`http://127.0.0.1:${port}`, 16);
  try {
    const run = async (restart: boolean): Promise<TwapRun> => {
      const res = await http.request('POST', '/v1/twap-orders', { venue: 'paper', symbol: SYMBOL, side: 'BUY', quantity: String(SLICES), slices: SLICES, durationSeconds: HORIZON_S });
      if (res.status !== 202) throw new Error(`POST /v1/twap-orders answered ${res.status}: ${res.body.slice(0, 300)}`);
      const id = (safeJson(res.body) as { id: string }).id;
      ctx.log(`twap: ${SLICES} slices over ${HORIZON_S} s${restart ? ', the worker restarted at 40 %' : ''} (${id})`);
      let restartMs: number | undefined;
      if (restart) {
        await sleep(HORIZON_S * 400);
        const t0 = Date.now();
        await worker.stop();
        worker = await start('worker-restarted', 'workers/main.ts');
        restartMs = Date.now() - t0;
        ctx.log(`twap: worker restarted in ${restartMs} ms`);
      }
      // The TWAP's own state (its query): the schedule each slice started against.
      const handle = ctx.temporal.workflow.getHandle(`twap-${id}`);
      await Promise.race([handle.result(), sleep(HORIZON_S * 1000 + 120_000)]);
      const state = await handle.query(twapStatusQuery);
      const placed = state.slices.filter((s) => s.startedAtMs !== undefined);
      const fromTemporal: number[] = [];
      for (const s of placed) {
        const { startTime } = await ctx.temporal.workflow.getHandle(`order-${s.orderId}`).describe();
        fromTemporal.push(Math.abs(startTime.getTime() - s.scheduledAtMs));
      }
      const recorded = placed.map((s) => Math.abs(s.startedAtMs! - s.scheduledAtMs));
      return { deviation: summarize(fromTemporal), deviationRecorded: summarize(recorded), slicesPlaced: placed.length, status: state.status, filledQty: state.filledQty, restartMs };
    };
    const quiet = await run(false);
    ctx.log(`twap: slice start deviation p50 ${quiet.deviation.p50Ms} ms, p99 ${quiet.deviation.p99Ms} ms, max ${quiet.deviation.maxMs} ms`);
    const withRestart = await run(true);
    ctx.log(`twap (restart): p99 ${withRestart.deviation.p99Ms} ms, max ${withRestart.deviation.maxMs} ms, restart ${withRestart.restartMs} ms`);
    return { slices: SLICES, horizonS: HORIZON_S, quiet, withRestart };
  } finally {
    http.close();
    await stopFeed();
    await Promise.all([worker.stop(), api.stop()]);
    void config;
  }
}

/** The bench JSON's `twap` figures. */
export function twapFigures(t: TwapResults) {
  return {
    sliceDeviationP50Ms: t.quiet.deviation.p50Ms,
    sliceDeviationP99Ms: t.quiet.deviation.p99Ms,
    sliceDeviationMaxMs: t.quiet.deviation.maxMs,
    sliceDeviationP99MsWithRestart: t.withRestart.deviation.p99Ms,
    sliceDeviationMaxMsWithRestart: t.withRestart.deviation.maxMs,
    workerRestartMs: t.withRestart.restartMs ?? null,
    /** The bound with a restart: 1 s plus the restart time. */
    withRestartBoundMs: t.withRestart.restartMs === undefined ? null : round(1000 + t.withRestart.restartMs),
    ...t,
  };
}
