/**
 * Offline mode: local stand-ins for the outside world, started on loopback before the engine, so
 * the real adapters (Binance REST with signing, yahoo-finance2 with its cookie and crumb flow) run
 * unchanged against them. Both move their prices with a seeded random walk.
 * Returns the environment the worker and API need to use them.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { startBinanceFake } from '../test/fakes/binance/index.js';
import { startYahooFake } from '../test/fakes/yahoo/index.js';

export interface StandIns {
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

const WALK = { seed: 42, intervalMs: 2000, volatilityBps: 5 };

/**
 * @example const standIns = await startOfflineStandIns(config, log); Object.assign(childEnv, standIns.env);
 */
export async function startOfflineStandIns(_config: Config, log: Logger): Promise<StandIns> {
  // A fresh key pair each start: the fake accepts only it, and it never leaves this machine.
  const apiKey = `offline-${randomBytes(8).toString('hex')}`;
  const apiSecret = randomBytes(32).toString('hex');
  const binance = await startBinanceFake({ apiKey, apiSecret, priceWalk: WALK });
  const yahoo = await startYahooFake({ priceWalk: WALK });
  log.info('offline stand-ins listening', { binance: binance.url, yahoo: yahoo.url });
  return {
    env: { BINANCE_BASE_URL: binance.url, BINANCE_WS_API_URL: binance.wsApiUrl, BINANCE_API_KEY: apiKey, BINANCE_API_SECRET: apiSecret, YAHOO_BASE_URL: yahoo.url },
    async stop() {
      await yahoo.close();
      await binance.close();
    },
  };
}
