/**
 * Makes sure a Temporal CLI, and for `npm run cluster` the Temporal server, its schema tool and
 * its Web UI, are available before the tests start (building them with Go the first time), so the
 * builds' progress shows instead of a silent test set-up.
 */
import { findTemporalCli, temporalCliVersion } from '../lib/embedded/temporal-cli.js';
import { onPath } from '../lib/embedded/process.js';
import { ensureTemporalServer } from '../lib/embedded/temporal-server.js';
import { ensureTemporalWebUi } from '../lib/embedded/temporal-web-ui.js';
import { createLogger } from '../lib/logger.js';

const log = createLogger('temporal-cli');
const binary = await findTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, log });
if (binary) log.info(`using ${binary} (${temporalCliVersion(binary).split('\n')[0]})`);
else log.warn('no Temporal CLI and no Go toolchain; the tests need one: set TEMPORAL_CLI_PATH');
if (onPath('go')) {
  const server = await ensureTemporalServer(log);
  const ui = await ensureTemporalWebUi(log);
  log.info(`cluster tools ready: ${server.server}, ${server.sqlTool}, ${ui}`);
}
