/**
 * How far ahead the Temporal server's timer queue reads (dynamic config
 * `history.timerProcessorMaxTimeShift`, 1 s by default). The server schedules no timer task
 * before that horizon, so a shorter timer fires only when the horizon comes: the portfolio's
 * 250 ms debounce took ~1 s, and so did every sub-second wait of an order. Set on the dev server,
 * on the cluster's server and in docker-compose's (deploy/temporal/dynamicconfig.yaml).
 */
export const TIMER_MAX_TIME_SHIFT = '100ms';

/**
 * Loads of the timer queue within one second of task time before the server calls its reader
 * stuck (dynamic config `history.queueReaderStuckCriticalAttempts`, 3 by default). A stuck
 * second is handed to a second reader, which yields to the first: under load its timers fired
 * 10–30 s late (a 250 ms debounce fired after 30 s in a bench run). The default suits the 1 s
 * read-ahead, about one load a second; with 100 ms there are up to ten in a normal second, so
 * busy seconds passed for stuck all the time. 30 keeps the guard for a real pile-up (thousands
 * of timers due in one second).
 */
export const TIMER_QUEUE_READER_STUCK_ATTEMPTS = 30;

/** The Temporal server's timer settings, as dynamic config: the same on every server the stack runs. */
export const TIMER_DYNAMIC_CONFIG: Readonly<Record<string, string | number>> = {
  'history.timerProcessorMaxTimeShift': TIMER_MAX_TIME_SHIFT,
  'history.queueReaderStuckCriticalAttempts': TIMER_QUEUE_READER_STUCK_ATTEMPTS,
};
