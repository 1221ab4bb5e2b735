/**
 * Makes sure a Temporal CLI is available before the tests start (building it with Go the first
 * time), so the build's progress shows instead of a silent test set-up.
 */
import { findTemporalCli, temporalCliVersion } from '../lib/embedded/temporal-cli.js';
import { createLogger } from '../lib/logger.js';

const log = createLogger('temporal-cli');
const binary = await findTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, log });
if (binary) log.info(`using ${binary} (${temporalCliVersion(binary).split('\n')[0]})`);
else log.warn('no Temporal CLI and no Go toolchain; the tests need one: set TEMPORAL_CLI_PATH');
