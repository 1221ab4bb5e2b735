/**
 * Which venue a request trades on: the one it names, else Binance when the caller (or the
 * single-user environment) has a key pair, else paper. Binance named without a pair is a 422.
 */
import type { Config } from '../lib/config.js';
import type { Sql } from '../lib/db.js';
import type { Venue } from '../domain/exchange.js';
import { credentialsLast4 } from '../store/exchange-credentials.js';
import { ApiError } from './errors.js';

/**
 * @example const venueFor = venueChooser(config, sql); const venue = await venueFor(accountId, body.venue);
 */
export function venueChooser(config: Pick<Config, 'BINANCE_API_KEY'>, sql: Sql) {
  return async (accountId: string, asked: Venue | undefined, field = 'venue'): Promise<Venue> => {
    if (asked === 'paper') return 'paper';
    const binance = Boolean(config.BINANCE_API_KEY) || (await credentialsLast4(sql, accountId, 'binance')) !== undefined;
    if (asked === 'binance' && !binance) {
      const message = 'no Binance credentials are configured; use venue "paper" or PUT /v1/exchange-credentials/binance';
      throw new ApiError(422, 'venue_unavailable', `${field}: ${message}`, [{ path: field, message }]);
    }
    return binance ? 'binance' : 'paper';
  };
}
