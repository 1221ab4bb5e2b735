/**
 * The settings every order workflow runs with, from config. The API passes them when it starts an
 * order's workflow and the reconciler when it restarts one, so both tracks poll alike.
 */
import type { OrderSettings } from '../domain/orders.js';
import type { Config } from './config.js';

export type OrderSettingsConfig = Pick<Config, 'ORDER_POLL_MAX_INTERVAL' | 'ORDER_NOT_FOUND_WINDOW' | 'ORDER_POLLS_PER_RUN' | 'ORDER_SAFETY_POLL_INTERVAL' | 'BINANCE_USER_STREAM'>;

/**
 * @example const handle = await temporal.workflow.start('orderLifecycleV3', { args: [{ order, settings: orderSettingsFrom(config) }], … });
 */
export function orderSettingsFrom(config: OrderSettingsConfig): OrderSettings {
  return {
    pollMaxMs: config.ORDER_POLL_MAX_INTERVAL,
    notFoundWindowMs: config.ORDER_NOT_FOUND_WINDOW,
    maxSubmitAttempts: 3,
    pollsPerRun: config.ORDER_POLLS_PER_RUN,
    // Paper fills come with the price refresh; Binance's with the user data stream the workers keep.
    eventVenues: config.BINANCE_USER_STREAM ? ['paper', 'binance'] : ['paper'],
    safetyPollMs: config.ORDER_SAFETY_POLL_INTERVAL,
  };
}
