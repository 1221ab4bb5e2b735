/**
 * Offline mode: local stand-ins for the outside world, started on loopback before the engine, so
 * the real adapters (Binance REST, yahoo-finance2) run unchanged against them.
 * Returns the environment the worker and API need to use them.
 */
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';

export interface StandIns {
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startOfflineStandIns(_config: Config, log: Logger): Promise<StandIns> {
  const stops: Array<() => Promise<void>> = [];
  const env: NodeJS.ProcessEnv = {};
  log.info('offline mode: no stand-ins registered yet');
  return {
    env,
    async stop() {
      for (const s of stops.reverse()) await s();
    },
  };
}
