/**
 * The portfolio workflow itself: how fills reach it from order workflows, how bursts coalesce,
 * that its incremental state equals a full recompute, continue-as-new, and what it does with a
 * recalculation that cannot succeed.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ORDER_WORKFLOW_TYPE } from '../../domain/order-search.js';
import { sweepPortfolioWakes } from '../../activities/portfolio/portfolio-activities.js';
import { createWorkflowClients } from '../../workflows/clients.js';
import { activitySteps } from '../../lib/history-steps.js';
import { fillsRecordedSignal, portfolioStatusQuery, portfolioWorkflowId, type PortfolioInput, type PortfolioStatus } from '../../workflows/definitions.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { recordHistory } from '../helpers/histories.js';
import { waitFor } from '../helpers/wait.js';

const COIN = 'PWBTCUSDT';
const STOCK = 'PWSTOCK';

let e: TestEngine;
beforeAll(async () => {
  // The default debounce: the coalescing test measures what production would do.
  e = await startEngine();
  await e.setPrice(COIN, '20000');
  await e.setPrice(STOCK, '50');
});
afterAll(() => e.stop());

const statusOf = (engine: TestEngine, account: string) => engine.temporal.workflow.getHandle(portfolioWorkflowId(account)).query(portfolioStatusQuery);

/** Replays the portfolio's history so far with the workers' bundle and data converter: throws on nondeterminism. */
async function replayPortfolio(account: string, engine: TestEngine = e): Promise<void> {
  const history = await engine.temporal.workflow.getHandle(portfolioWorkflowId(account)).fetchHistory();
  const dataConverter = engine.workers.workers[0]?.options.dataConverter;
  await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter }, history, portfolioWorkflowId(account));
}

/** The portfolio's history: recalculation activities, timers (the debounce), and whether a patch marker was recorded. */
async function portfolioRuns(account: string, engine: TestEngine = e) {
  const events = (await engine.temporal.workflow.getHandle(portfolioWorkflowId(account)).fetchHistory()).events ?? [];
  return {
    recalculations: activitySteps(events).filter((s) => s.name === 'recalculatePortfolio').length,
    timers: events.filter((ev) => ev.timerStartedEventAttributes).length,
    patched: events.some((ev) => ev.markerRecordedEventAttributes?.markerName === 'core_patch'),
  };
}

/** The workflow's status once nothing is pending and its last result holds `trades` trades. */
async function idle(engine: TestEngine, account: string, trades: number): Promise<PortfolioStatus> {
  const status = await waitFor(
    () => statusOf(engine, account).catch(() => undefined),
    (s) => s !== undefined && !s.dirty && !s.recalculating && s.lastResult?.totals.trades === String(trades),
    { timeoutMs: 30_000, what: `portfolio of ${account} idle with ${trades} trades` },
  );
  return status!;
}

async function placeAndFill(account: string, body: Record<string, string>, engine: TestEngine = e) {
  const res = await engine.callAs(account, 'POST', '/v1/orders', { type: 'MARKET', venue: 'paper', ...body });
  expect(res.status).toBe(202);
  await waitFor(
    async () => (await engine.callAs(account, 'GET', `/v1/orders/${res.body.id}`)).body,
    (o) => o?.status === 'FILLED' || o?.status === 'REJECTED',
    { what: `order ${res.body.id} to fill` },
  );
  const order = (await engine.callAs(account, 'GET', `/v1/orders/${res.body.id}`)).body;
  expect(order.status, order.rejectReason).toBe('FILLED');
  return order;
}

describe('fills from order workflows', () => {
  it('reach the portfolio through the order workflow (orderLifecycleV3, no patch markers), whose new history replays', async () => {
    const account = await e.newAccount();
    const order = await placeAndFill(account, { symbol: COIN, side: 'BUY', quantity: '0.1' });
    const status = await idle(e, account, 1);
    expect(status.notifications.fills).toBeGreaterThanOrEqual(1);
    const positions = (await e.callAs(account, 'GET', '/v1/positions')).body;
    expect(positions).toMatchObject([{ symbol: COIN, venue: 'paper', quantity: '0.1' }]);

    const history = await e.temporal.workflow.getHandle(order.workflowId).fetchHistory();
    const events = history.events ?? [];
    expect(events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name).toBe(ORDER_WORKFLOW_TYPE);
    expect(events.some((ev) => ev.markerRecordedEventAttributes?.markerName === 'core_patch')).toBe(false);
    // notifyPortfolio runs as a local activity: a marker whose data names the activity type.
    const localTypes = activitySteps(events).filter((step) => step.local).map((step) => step.name);
    expect(localTypes).toContain('notifyPortfolio');
    // Decoded with the workers' own data converter (payloads may be encrypted).
    const dataConverter = e.workers.workers[0]?.options.dataConverter;
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter }, history, order.workflowId);
  });

  it('wake the portfolio once per recalculation: fills notified while a signal is pending ride on it, and all are in the recalculation it brings', async () => {
    // A long debounce, so that several orders fill while a wake is pending (the first fill, a lone
    // one, is recalculated at once; the next ones make a burst).
    const slow = await startEngine({ PORTFOLIO_DEBOUNCE: '5s' });
    try {
      const account = await slow.newAccount();
      for (let i = 0; i < 4; i++) await placeAndFill(account, { symbol: COIN, side: 'BUY', quantity: '0.1' }, slow);
      const first = await idle(slow, account, 4);
      // One signal per recalculation (without the claim, each of the four fills signalled).
      expect(first.notifications.fills).toBe(first.recalculations);
      expect(first.recalculations).toBeLessThan(4);
      expect(first.lastResult?.positions[0]).toMatchObject({ symbol: COIN, quantity: '0.4' });
      // The recalculation cleared the claim: the next fill signals again, and is folded in.
      await placeAndFill(account, { symbol: COIN, side: 'BUY', quantity: '0.1' }, slow);
      const second = await idle(slow, account, 5);
      expect(second.notifications.fills).toBe(first.notifications.fills + 1);
      expect(second.lastResult?.positions[0]).toMatchObject({ quantity: '0.5' });
    } finally {
      await slow.stop();
    }
  });

  it("are folded in by the sweeper's signal when the claim they rode on never brought a recalculation", async () => {
    const account = await e.newAccount();
    // A fill recorded whose notification saw another order's claim, and that order never signalled.
    await e.sql`INSERT INTO trades (id, account_id, symbol, side, quantity, price, executed_at) VALUES (${randomUUID()}, ${account}, ${STOCK}, 'BUY', '2', '40', now())`;
    await e.sql`INSERT INTO portfolio_wakes (portfolio_id, account_id, token, at) VALUES (${account}, ${account}, 'an order that never signalled', now() - interval '1 minute')`;
    const portfolios = createWorkflowClients(e.temporal, e.config).portfolios;
    expect((await sweepPortfolioWakes({ sql: e.sql, portfolios })).woken).toBeGreaterThanOrEqual(1);
    const status = await idle(e, account, 1);
    expect(status.lastResult?.positions[0]).toMatchObject({ symbol: STOCK, quantity: '2' });
    // The recalculation cleared the claim: nothing is left to sweep for this portfolio.
    expect(await e.sql`SELECT 1 FROM portfolio_wakes WHERE portfolio_id = ${account}`).toHaveLength(0);
  });

  it('gives the same numbers and state incrementally as a full recompute after paper orders and manual trades', async () => {
    const account = await e.newAccount();
    // Each manual trade after the fills before it: a backdated one would rightly make the next
    // recalculation a full one ('late-fill'), whenever the debounce happens to fire in between.
    const now = () => new Date().toISOString();
    await placeAndFill(account, { symbol: COIN, side: 'BUY', quantity: '0.5' });
    await e.callAs(account, 'POST', '/v1/trades', { symbol: STOCK, side: 'BUY', quantity: '10', price: '40', fee: '0.04', feeAsset: 'USD', executedAt: now() });
    await placeAndFill(account, { symbol: COIN, side: 'BUY', quantity: '0.25' });
    await e.callAs(account, 'POST', '/v1/trades', { symbol: STOCK, side: 'SELL', quantity: '4', price: '55', executedAt: now() });
    await placeAndFill(account, { symbol: COIN, side: 'SELL', quantity: '0.3' });
    await e.callAs(account, 'POST', '/v1/trades', { symbol: COIN, side: 'BUY', quantity: '0.01', price: '19000', executedAt: now() });
    await e.callAs(account, 'POST', '/v1/trades', { symbol: STOCK, side: 'BUY', quantity: '2', price: '45', executedAt: now() });
    const status = await idle(e, account, 7);
    const incremental = status.lastResult!;
    expect(incremental.mode).toBe('incremental');
    const [before] = await e.sql<{ state: unknown; cursor: string }[]>`SELECT state, cursor FROM portfolios WHERE account_id = ${account}`;

    const res = await e.callAs(account, 'POST', '/v1/portfolio/recalculate');
    expect(res.status).toBe(200);
    expect(res.body.recalculation).toMatchObject({ mode: 'full', fullReason: 'requested', applied: 7 });
    const [after] = await e.sql<{ state: unknown; cursor: string }[]>`SELECT state, cursor FROM portfolios WHERE account_id = ${account}`;
    expect(after).toEqual(before);
    const full = (await statusOf(e, account)).lastResult!;
    expect(full.mode).toBe('full');
    expect(full.positions).toEqual(incremental.positions);
    expect(full.totals).toEqual(incremental.totals);
    expect(full.positions.map((p) => `${p.venue}:${p.symbol}`)).toEqual(['manual:PWBTCUSDT', 'paper:PWBTCUSDT', 'manual:PWSTOCK']);
    await recordHistory(e.temporal, portfolioWorkflowId(account), 'portfolio-fills-then-recalculated');
  });
});

describe('coalescing', () => {
  it('turns a burst of 1,000 recorded fills, each notifying, into a handful of recalculations that include every fill', async () => {
    const account = await e.newAccount();
    const base = Date.UTC(2024, 0, 1);
    for (let i = 0; i < 1000; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, j) => {
          const n = i + j;
          await e.sql`INSERT INTO trades (id, account_id, symbol, side, quantity, price, executed_at)
            VALUES (${randomUUID()}, ${account}, ${STOCK}, 'BUY', '1', ${String(40 + (n % 7))}, ${new Date(base + n * 1000)})`;
          await createWorkflowClients(e.temporal, e.config).portfolios.fillsRecorded(account, { source: 'manual' });
        }),
      );
    }
    const status = await idle(e, account, 1000);
    expect(status.notifications.fills).toBe(1000);
    expect(status.lastResult?.positions[0]).toMatchObject({ quantity: '1000' });
    expect(status.recalculations).toBeGreaterThanOrEqual(1);
    // Fewer than a run holds, so the run read below is the one that took the whole burst.
    expect(status.recalculations).toBeLessThan(e.config.PORTFOLIO_RECALCS_PER_RUN);
    const [row] = await e.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM portfolio_snapshots WHERE account_id = ${account}`;
    expect(row?.n).toBe(status.recalculations);
    console.info(`coalescing: 1000 fill notifications -> ${status.recalculations} recalculations`);
    // The burst waited for the debounce after its first notification, and its history replays as it ran.
    expect((await portfolioRuns(account)).timers).toBeGreaterThanOrEqual(1);
    await replayPortfolio(account);
  });
});

describe('a lone fill (patch portfolio-recalculate-at-once)', () => {
  it('is recalculated at once, without the debounce timer; a notification within the debounce of another or of a recalculation waits for one', async () => {
    // A debounce long enough that the two follow-up trades surely land inside it.
    const slow = await startEngine({ PORTFOLIO_DEBOUNCE: '3s' });
    try {
      const account = await slow.newAccount();
      const trade = (quantity: string) => slow.callAs(account, 'POST', '/v1/trades', { symbol: STOCK, side: 'BUY', quantity, price: '40', executedAt: new Date().toISOString() });
      const sent = Date.now();
      await trade('3');
      const first = await idle(slow, account, 1);
      expect(Date.now() - sent).toBeLessThan(3000);
      expect(first.lastResult).toMatchObject({ mode: 'incremental', applied: 1, positions: [{ symbol: STOCK, quantity: '3' }] });
      expect(await portfolioRuns(account, slow)).toEqual({ recalculations: 1, timers: 0, patched: true });
      // Two more right behind it: a burst, which waits for one debounce and rides on one recalculation.
      await trade('1');
      await trade('2');
      const burst = await idle(slow, account, 3);
      expect(burst.lastResult?.positions[0]).toMatchObject({ quantity: '6' });
      expect(await portfolioRuns(account, slow)).toEqual({ recalculations: 2, timers: 1, patched: true });
      // Over 3 s since the last notification, but a recalculation just ended: a busy account (whose
      // fills signal once per recalculation), so the debounce applies.
      await trade('4');
      const busy = await idle(slow, account, 4);
      expect(busy.lastResult?.positions[0]).toMatchObject({ quantity: '10' });
      expect(await portfolioRuns(account, slow)).toEqual({ recalculations: 3, timers: 2, patched: true });
      await replayPortfolio(account, slow);
    } finally {
      await slow.stop();
    }
  });
});

describe('a recalculation that cannot succeed', () => {
  it('is kept in the status with its reason, refused to the API with 422, and cleared once the missing rate appears', async () => {
    const account = await e.newAccount();
    await e.sql`DELETE FROM prices WHERE symbol IN ('USDCUSD', 'USDCUSDT')`;
    await e.callAs(account, 'POST', '/v1/trades', { symbol: STOCK, side: 'BUY', quantity: '1', price: '50', executedAt: '2024-05-01T00:00:00Z' });
    await idle(e, account, 1);
    // Quoted in USDC: its USD value needs USDCUSD (or USDCUSDT), which the feed does not have yet.
    const buy = await e.callAs(account, 'POST', '/v1/trades', { symbol: 'PWETHUSDC', side: 'BUY', quantity: '1', price: '3000', executedAt: '2024-05-01T00:01:00Z' });
    expect(buy.status).toBe(201);
    const failed = await waitFor(() => statusOf(e, account).catch(() => undefined), (s) => s?.lastError !== null && s?.lastError !== undefined, { what: 'a recorded failure' });
    expect(failed?.lastError).toMatchObject({ type: 'MissingQuoteRateError' });
    expect(failed?.lastError?.message).toMatch(/USDC/);
    // The API still shows the last good result, and says it is behind.
    const stale = await e.callAs(account, 'GET', '/v1/portfolio');
    expect(stale.body).toMatchObject({ trades: '1', fillsPending: true });
    const refused = await e.callAs(account, 'POST', '/v1/portfolio/recalculate');
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'portfolio_recalculation_failed', details: { type: 'MissingQuoteRateError' } });

    await e.setPrice('USDCUSD', '0.9999');
    try {
      const ok = await e.callAs(account, 'POST', '/v1/portfolio/recalculate');
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ totalValue: '3049.7', trades: '2', fillsPending: false });
      expect((await statusOf(e, account)).lastError).toBeNull();
    } finally {
      await e.sql`DELETE FROM prices WHERE symbol = 'USDCUSD'`;
    }
    await recordHistory(e.temporal, portfolioWorkflowId(account), 'portfolio-failed-then-recalculated');
  });
});

describe('continue-as-new', () => {
  it('continues as new after the configured recalculations and carries its counters and last result', async () => {
    const short = await startEngine({ PORTFOLIO_RECALCS_PER_RUN: '2', PORTFOLIO_DEBOUNCE: '10ms' });
    try {
      const account = await short.newAccount();
      const handle = short.temporal.workflow.getHandle(portfolioWorkflowId(account));
      const runIds: string[] = [];
      for (let i = 1; i <= 3; i++) {
        const res = await short.callAs(account, 'POST', '/v1/trades', { symbol: STOCK, side: 'BUY', quantity: '1', price: String(10 * i), executedAt: `2024-05-01T00:0${i}:00Z` });
        expect(res.status).toBe(201);
        await idle(short, account, i);
        runIds.push((await handle.describe()).runId);
      }
      // Two recalculations per run: the second one ends the first run, the third runs in the next.
      expect(runIds[1]).not.toBe(runIds[0]);
      expect(runIds[2]).toBe(runIds[1]);
      const firstRun = await short.temporal.workflow.getHandle(portfolioWorkflowId(account), runIds[0]).describe();
      expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
      const status = await statusOf(short, account);
      expect(status.recalculations).toBe(3);
      expect(status.notifications.fills).toBe(3);
      expect(status.lastResult?.positions[0]).toMatchObject({ quantity: '3', avgCost: '20' });
      await recordHistory(short.temporal, portfolioWorkflowId(account), 'portfolio-continued-as-new', runIds[0]);
    } finally {
      await short.stop();
    }
  });

  it('takes changed settings up at its next run when a notification carries them (patch portfolio-adopt-signalled-settings), ignoring nonsense; the run that did replays', async () => {
    const short = await startEngine({ PORTFOLIO_RECALCS_PER_RUN: '2', PORTFOLIO_DEBOUNCE: '10ms' });
    try {
      const account = await short.newAccount();
      const handle = short.temporal.workflow.getHandle(portfolioWorkflowId(account));
      const settingsOf = async (runId: string) => {
        const events = (await short.temporal.workflow.getHandle(portfolioWorkflowId(account), runId).fetchHistory()).events ?? [];
        const { payloadCodecs, payloadConverter } = short.temporal.options.loadedDataConverter;
        let payloads = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
        for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
        return payloadConverter.fromPayload<PortfolioInput>(payloads[0]!).settings;
      };
      const recalculated = (n: number) =>
        waitFor(() => statusOf(short, account).catch(() => undefined), (st) => st !== undefined && st.recalculations >= n && !st.dirty && !st.recalculating, { timeoutMs: 30_000, what: `${n} recalculations` });
      const res = await short.callAs(account, 'POST', '/v1/trades', { symbol: STOCK, side: 'BUY', quantity: '1', price: '10', executedAt: '2024-05-01T00:01:00Z' });
      expect(res.status).toBe(201);
      await recalculated(1);
      const firstRunId = (await handle.describe()).runId;
      expect(await settingsOf(firstRunId)).toEqual({ recalcsPerRun: 2, debounceMs: 10 });

      // Nonsense is not taken up; then workers with changed settings notify (an operator raised them).
      await handle.signal(fillsRecordedSignal, { source: 'manual', settings: { recalcsPerRun: 0, debounceMs: -5 } });
      await recalculated(2);
      const nonsenseEnded = await short.temporal.workflow.getHandle(portfolioWorkflowId(account), firstRunId).describe();
      expect(nonsenseEnded.status.name).toBe('CONTINUED_AS_NEW');
      const secondRunId = (await handle.describe()).runId;
      expect(await settingsOf(secondRunId)).toEqual({ recalcsPerRun: 2, debounceMs: 10 });

      const changed = createWorkflowClients(short.temporal, { ...short.config, PORTFOLIO_RECALCS_PER_RUN: 3, PORTFOLIO_DEBOUNCE: 20 });
      // The run keeps its own length (2 recalculations) and hands the new settings on.
      for (let n = 3; n <= 4; n++) {
        await changed.portfolios.fillsRecorded(account, { source: 'manual' });
        await recalculated(n);
      }
      await waitFor(() => handle.describe(), (d) => d.runId !== secondRunId, { timeoutMs: 30_000, what: 'the second run continued as new' });
      const thirdRunId = (await handle.describe()).runId;
      expect(await settingsOf(thirdRunId)).toEqual({ recalcsPerRun: 3, debounceMs: 20 });
      for (let n = 5; n <= 6; n++) {
        await changed.portfolios.fillsRecorded(account, { source: 'manual' });
        await recalculated(n);
      }
      const thirdRun = short.temporal.workflow.getHandle(portfolioWorkflowId(account), thirdRunId);
      expect((await thirdRun.describe()).status.name).toBe('RUNNING');
      await changed.portfolios.fillsRecorded(account, { source: 'manual' });
      await recalculated(7);
      // The third recalculation of the third run ends it: the new length holds.
      await waitFor(() => thirdRun.describe(), (d) => d.status.name === 'CONTINUED_AS_NEW', { timeoutMs: 30_000, what: 'the third run continued as new after 3 recalculations' });

      // The patch marker (its id in plain JSON, as the SDK writes it) only where settings changed.
      const patchesOf = (events: NonNullable<Awaited<ReturnType<typeof handle.fetchHistory>>['events']>) =>
        events.flatMap((ev) => {
          const data = ev.markerRecordedEventAttributes?.markerName === 'core_patch' ? ev.markerRecordedEventAttributes.details?.['patch-data']?.payloads?.[0]?.data : undefined;
          return data ? [(JSON.parse(Buffer.from(data).toString()) as { id: string }).id] : [];
        });
      const secondHistory = await short.temporal.workflow.getHandle(portfolioWorkflowId(account), secondRunId).fetchHistory();
      expect(patchesOf(secondHistory.events ?? [])).toContain('portfolio-adopt-signalled-settings');
      const firstHistory = await short.temporal.workflow.getHandle(portfolioWorkflowId(account), firstRunId).fetchHistory();
      expect(patchesOf(firstHistory.events ?? [])).not.toContain('portfolio-adopt-signalled-settings');
      expect(patchesOf(firstHistory.events ?? [])).toContain('portfolio-recalculate-at-once');
      const dataConverter = short.workers.workers[0]?.options.dataConverter;
      await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter }, secondHistory, portfolioWorkflowId(account));
      await recordHistory(short.temporal, portfolioWorkflowId(account), 'portfolio-adopts-signalled-settings', secondRunId);
    } finally {
      await short.stop();
    }
  });

  it('keeps a run short by default, so that rebuilding it (a restart, an eviction, a raced continue-as-new) replays a few hundred events', async () => {
    // A full replay costs about 0.6 ms per event, some 10 events per recalculation of a lone fill.
    const quick = await startEngine({ PORTFOLIO_DEBOUNCE: '0ms' });
    try {
      const perRun = quick.config.PORTFOLIO_RECALCS_PER_RUN;
      const account = await quick.newAccount();
      const handle = quick.temporal.workflow.getHandle(portfolioWorkflowId(account));
      let firstRunId = '';
      // Capped: at a long default the run would not have continued as new by then, and the test fails fast.
      for (let i = 1; i <= Math.min(perRun, 40) + 1; i++) {
        const res = await quick.callAs(account, 'POST', '/v1/trades', { symbol: STOCK, side: 'BUY', quantity: '1', price: '10', executedAt: '2024-05-01T00:00:00Z' });
        expect(res.status).toBe(201);
        await idle(quick, account, i);
        if (i === 1) firstRunId = (await handle.describe()).runId;
      }
      const firstRun = quick.temporal.workflow.getHandle(portfolioWorkflowId(account), firstRunId);
      expect((await firstRun.describe()).status.name).toBe('CONTINUED_AS_NEW');
      const events = (await firstRun.fetchHistory()).events ?? [];
      expect(events.length).toBeLessThanOrEqual(400);
      expect(activitySteps(events).filter((s) => s.name === 'recalculatePortfolio').length).toBe(perRun);
    } finally {
      await quick.stop();
    }
  });
});
