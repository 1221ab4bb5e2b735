/**
 * With RECORD_HISTORIES=1, integration tests save the histories of the workflow runs they drive
 * into test/histories/, the input of the replay tests (same format as `npm run history:fetch`).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { ORDER_WORKFLOW_TYPES } from '../../domain/order-search.js';
import { loadConfig } from '../../lib/config.js';
import { historyFixture } from '../../lib/history-codec.js';
import { payloadCodecFor } from '../../lib/secrets.js';
import { TEST_PAYLOAD_KEYS } from './keys.js';

export const HISTORIES_DIR = path.resolve('test', 'histories');

const testCodec = payloadCodecFor(loadConfig({ PAYLOAD_KEYS: TEST_PAYLOAD_KEYS }));

/**
 * Recordings are kept per shape of the order workflow: `<name>.json` ran every step as an ordinary
 * activity, `<name>.local-steps.json` ran after the `local-short-steps` patch, and
 * `<name>.exactly-once.json` after `exactly-once-v2`, `<name>.ui.json` after `order-ui-story`
 * (search attributes, details, summaries), `<name>.events.json` after `venue-events` (fills from
 * the venue's events, the safety poll), `<name>.v3.json` as `orderLifecycleV3` (no patch markers,
 * only status changes upserted). Recording again rewrites the current shape's
 * files only, so the replay test keeps proving that the code still replays what ran before each change.
 */
export const HISTORY_GENERATIONS = ['local-steps', 'exactly-once', 'ui', 'events', 'v3'] as const;
export const HISTORY_GENERATION = HISTORY_GENERATIONS[HISTORY_GENERATIONS.length - 1]!;

/**
 * The same for the other workflows (`portfolio-*`, `refresh-prices-*`, `reconcile-orders-*`):
 * `<name>.layered.json` ran the code as laid out in domain/, store/ and venues/, before workflow
 * metadata and search attributes; `<name>.ui.json` with them. (Older files of theirs keep the names they were recorded under.)
 */
export const WORKFLOW_HISTORY_GENERATIONS = ['layered', 'ui'] as const;
export const WORKFLOW_HISTORY_GENERATION = WORKFLOW_HISTORY_GENERATIONS[WORKFLOW_HISTORY_GENERATIONS.length - 1]!;

/**
 * The portfolio's own generations: those above, then `<name>.at-once.json` after
 * `portfolio-recalculate-at-once` (the first notification after a quiet spell recalculated
 * without the debounce).
 */
export const PORTFOLIO_HISTORY_GENERATIONS = [...WORKFLOW_HISTORY_GENERATIONS, 'at-once'] as const;
export const PORTFOLIO_HISTORY_GENERATION = PORTFOLIO_HISTORY_GENERATIONS[PORTFOLIO_HISTORY_GENERATIONS.length - 1]!;

/**
 * The workflows that start orders as children: `<name>.ui.json` started them as `orderLifecycle`,
 * `<name>.v3-children.json` after `order-lifecycle-v3-children`, as `orderLifecycleV3`.
 */
export const PARENT_WORKFLOW_TYPES = ['twapOrder', 'orderList', 'dcaBuy'] as const;
export const PARENT_HISTORY_GENERATION = 'v3-children';

/** Saves the run as `<name>.<generation>.json`, the generation chosen by its workflow type. */
export async function recordHistory(temporal: Client, workflowId: string, name: string, runId?: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const handle = temporal.workflow.getHandle(workflowId, runId);
  const { type } = await handle.describe();
  // A cancelled or failed run is a history worth keeping too: only its end matters here. A
  // portfolio never ends (it continues as new): its history so far replays like a finished one.
  if (type !== 'portfolio') await handle.result().catch(() => undefined);
  const history = await handle.fetchHistory();
  const generation = (ORDER_WORKFLOW_TYPES as readonly string[]).includes(type)
    ? HISTORY_GENERATION
    : (PARENT_WORKFLOW_TYPES as readonly string[]).includes(type)
      ? PARENT_HISTORY_GENERATION
      : type === 'portfolio'
        ? PORTFOLIO_HISTORY_GENERATION
        : WORKFLOW_HISTORY_GENERATION;
  // Stored decoded, like `npm run history:fetch`: the fixtures replay without a key.
  writeFileSync(path.join(HISTORIES_DIR, `${name}.${generation}.json`), await historyFixture(history, testCodec));
}
