import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORDER_WORKFLOW_TYPES } from '../../domain/order-search.js';
import { loadConfig } from '../../lib/config.js';
import { dataConverterFor } from '../../lib/secrets.js';
import { WORKFLOW_TRACING_INTERCEPTORS } from '../../lib/tracing.js';
import { WORKFLOWS_PATH } from '../../workers/workflow-bundle.js';
import { HISTORIES_DIR, HISTORY_GENERATIONS, PARENT_HISTORY_GENERATION, PARENT_WORKFLOW_TYPES, PORTFOLIO_HISTORY_GENERATIONS, WORKFLOW_HISTORY_GENERATIONS } from '../helpers/histories.js';
import { TEST_PAYLOAD_KEYS } from '../helpers/keys.js';

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();
/**
 * The test runs' payload codec: histories recorded with RECORD_HISTORIES=1 are encrypted with it,
 * and the older plain ones pass through its decode unchanged.
 */
const dataConverter = dataConverterFor(loadConfig({ PAYLOAD_KEYS: TEST_PAYLOAD_KEYS }));
const histories = (names = files) =>
  names.map((f) => ({ workflowId: path.basename(f, '.json'), history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, f), 'utf8'))) }));
/** Each file's workflow type, read from its first event (WorkflowExecutionStarted), not from its name. */
const workflowTypes = new Map(
  histories().map(({ workflowId, history }) => [`${workflowId}.json`, history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name]),
);
/** Histories of the order workflow, either type (recorded on either venue). */
const orderFiles = files.filter((f) => (ORDER_WORKFLOW_TYPES as readonly (string | undefined)[]).includes(workflowTypes.get(f) ?? undefined));
/** The name each workflow type's histories start with. */
const PREFIXES: Record<string, RegExp> = {
  orderLifecycle: /^(paper|binance)-(?!.*\.v3\.json$)/,
  orderLifecycleV3: /^(paper|binance)-.*\.v3\.json$/,
  portfolio: /^portfolio-/,
  refreshPrices: /^refresh-prices-/,
  reconcileOrders: /^reconcile-orders-/,
  dcaBuy: /^dca-buy-/,
  twapOrder: /^twap-/,
  orderList: /^order-list-/,
};

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  } catch {
    // Already installed by another test in this process.
  }
});

describe('replay of recorded histories', () => {
  it('covers every order path we record', () => {
    const names = files.map((f) => path.basename(f, '.json'));
    for (const expected of ['paper-market-filled', 'paper-limit-canceled', 'paper-rejected', 'binance-accept-then-500-filled', 'binance-partial-then-canceled']) {
      // Recorded before the short steps became local activities, after, and after exactly-once-v2.
      expect(names).toContain(expected);
      for (const generation of HISTORY_GENERATIONS) expect(names).toContain(`${expected}.${generation}`);
    }
  });

  it('covers every workflow type, each history named after its type', () => {
    expect(new Set(workflowTypes.values())).toEqual(new Set(Object.keys(PREFIXES)));
    for (const [file, type] of workflowTypes) expect(file, String(type)).toMatch(PREFIXES[String(type)]!);
    // The parents, recorded starting children of either order type.
    for (const type of PARENT_WORKFLOW_TYPES) {
      for (const generation of ['ui', PARENT_HISTORY_GENERATION]) {
        expect(files.filter((f) => workflowTypes.get(f) === type && f.endsWith(`.${generation}.json`)), `${type} ${generation}`).not.toEqual([]);
      }
    }
    // The workflows other than orderLifecycle, recorded in each of their generations.
    for (const type of ['portfolio', 'refreshPrices', 'reconcileOrders']) {
      for (const generation of type === 'portfolio' ? PORTFOLIO_HISTORY_GENERATIONS : WORKFLOW_HISTORY_GENERATIONS) {
        expect(files.filter((f) => workflowTypes.get(f) === type && f.endsWith(`.${generation}.json`)), `${type} ${generation}`).not.toEqual([]);
      }
    }
  });

  it('replays every history against the current workflow code without a determinism error', async () => {
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH, dataConverter }, histories())) results.push(r);
    expect(results).toHaveLength(files.length);
    expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error?.message}`)).toEqual([]);
  }, 120_000);

  it('replays every history with the tracing interceptors in the bundle, so a worker may turn tracing on with workflows running', async () => {
    const results = [];
    const tracing = { interceptors: { workflowModules: [WORKFLOW_TRACING_INTERCEPTORS] }, sinks: { exporter: { export: { fn: () => undefined } } } };
    for await (const r of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH, dataConverter, ...tracing }, histories())) results.push(r);
    expect(results).toHaveLength(files.length);
    expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error?.message}`)).toEqual([]);
  }, 120_000);

  it('fails with a DeterminismViolationError when the workflow changes the order of its steps', async () => {
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowsPath: path.resolve('test/replay/altered-order-lifecycle.ts'), dataConverter }, histories(orderFiles))) results.push(r);
    expect(results).toHaveLength(orderFiles.length);
    for (const r of results) expect(r.error).toBeInstanceOf(DeterminismViolationError);
  }, 120_000);
});
