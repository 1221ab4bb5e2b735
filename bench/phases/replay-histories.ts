/** The recorded histories the replay phase replays: every `test/histories/*.json`, parsed once. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { PROJECT_ROOT } from '../../lib/embedded/temporal-cli.js';

const HISTORIES_DIR = path.join(PROJECT_ROOT, 'test', 'histories');

export interface LoadedHistory {
  workflowId: string;
  history: ReturnType<typeof historyFromJSON>;
  events: number;
}

export function loadHistories(): LoadedHistory[] {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, f), 'utf8')));
      return { workflowId: path.basename(f, '.json'), history, events: history.events?.length ?? 0 };
    });
}
