/**
 * How far ahead the Temporal server's timer queue reads (dynamic config
 * `history.timerProcessorMaxTimeShift`, 1 s by default). The server schedules no timer task
 * before that horizon, so a shorter timer fires only when the horizon comes: the portfolio's
 * 250 ms debounce took ~1 s, and so did every sub-second wait of an order. Set on the dev server,
 * on the cluster's server and in docker-compose's (deploy/temporal/dynamicconfig.yaml).
 */
export const TIMER_MAX_TIME_SHIFT = '100ms';

/**
 * How many loads in a row may end in the same second of task time before the server calls its
 * timer queue's reader stuck (dynamic config `history.queueReaderStuckCriticalAttempts`, 3 by
 * default). A stuck call hands the not-yet-loaded part of that second to a second reader, which
 * shares the shard's 20 loads a second (`history.timerProcessorMaxPollRPS`) behind the first:
 * under load it starved, and its timers fired 10–30 s late (a 250 ms debounce after 30 s in a
 * bench run). The default suits the 1 s read-ahead, about one load a second; with 100 ms a busy
 * second takes up to ten, so 3 was reached all the time. At 30 a real pile-up (some 2,000 timers
 * due in one second) is still set apart, within a second or two.
 */
export const TIMER_QUEUE_READER_STUCK_ATTEMPTS = 30;

/** The Temporal server's timer settings, as dynamic config: the same on every server the stack runs. */
export const TIMER_DYNAMIC_CONFIG: Readonly<Record<string, string | number>> = {
  'history.timerProcessorMaxTimeShift': TIMER_MAX_TIME_SHIFT,
  'history.queueReaderStuckCriticalAttempts': TIMER_QUEUE_READER_STUCK_ATTEMPTS,
};
