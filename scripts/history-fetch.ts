/**
 * `npm run history:fetch -- <workflowId> [name]`: saves a workflow's event history from the
 * configured Temporal server into test/histories/<name>.json, where the replay tests pick it up.
 * Payloads are stored decoded (with PAYLOAD_KEYS), so replaying the fixture needs no key.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, loadDotEnv } from '../lib/config.js';
import { PROJECT_ROOT } from '../lib/embedded/temporal-cli.js';
import { historyFixture } from '../lib/history-codec.js';
import { payloadCodecFor } from '../lib/secrets.js';
import { createTemporalClient } from '../lib/temporal.js';

const [workflowId, name] = process.argv.slice(2).filter((a) => a !== '--');
if (!workflowId) {
  console.error('usage: npm run history:fetch -- <workflowId> [name]   (name defaults to the workflow id)');
  process.exit(2);
}
loadDotEnv();
const config = loadConfig();
const client = await createTemporalClient(config);
try {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const file = path.join(PROJECT_ROOT, 'test', 'histories', `${name ?? workflowId}.json`);
  writeFileSync(file, await historyFixture(history, payloadCodecFor(config)));
  console.log(`saved ${history.events?.length ?? 0} events of ${workflowId} to ${path.relative(process.cwd(), file)}`);
} finally {
  await client.connection.close();
}
