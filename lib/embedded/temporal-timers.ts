/**
 * How far ahead the Temporal server's timer queue reads (dynamic config
 * `history.timerProcessorMaxTimeShift`, 1 s by default). The server schedules no timer task
 * before that horizon, so a shorter timer fires only when the horizon comes: the portfolio's
 * 250 ms debounce took ~1 s, and so did every sub-second wait of an order. Set on the dev server,
 * on the cluster's server and in docker-compose's (deploy/temporal/dynamicconfig.yaml).
 */
export const TIMER_MAX_TIME_SHIFT = '100ms';
