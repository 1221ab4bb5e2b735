/** Timeouts and retry policies of every activity call, by name. */
import type { ActivityOptions } from '@temporalio/workflow';

export const presets = {
  /** Postgres writes and reads: quick, idempotent, retried without limit. */
  db: {
    startToCloseTimeout: '15s',
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
  },
  /** Exchange reads (query, trades, rules, balances): idempotent, retried; rate limits set their own delay. */
  exchangeRead: {
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['OrderRejected', 'InvalidOrder'] },
  },
  /**
   * The Binance balance read of GET /v1/balances: someone is waiting for the answer, so two
   * attempts at most, and the activity's typed failures (domain/balances.ts) are final.
   */
  accountRead: {
    startToCloseTimeout: '10s',
    retry: { initialInterval: '500ms', maximumAttempts: 2 },
  },
  /**
   * Order placement is attempted once per call: the workflow decides what follows an ambiguous
   * result (query first, never a blind resubmit).
   */
  exchangeSubmit: {
    startToCloseTimeout: '30s',
    retry: { maximumAttempts: 1 },
  },
  /** Cancels are idempotent (an already-final order answers -2011), so they retry. */
  exchangeCancel: {
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['OrderRejected'] },
  },
  /** Status polls of the current order workflow: given up after two minutes, looked at again later. */
  exchangePoll: {
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '2m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['OrderRejected', 'InvalidOrder'] },
  },
  /**
   * Cancels of the current order workflow: retried for two minutes at most, then the workflow
   * reports the failure (the order goes back to its status, the caller can ask again).
   */
  exchangeCancelBounded: {
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '2m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['OrderRejected'] },
  },
  /**
   * One account's reconciliation (a venue read, workflow describes and starts, upserts): a few
   * attempts, then the run reports the account as failed; the next scheduled run is the retry.
   */
  reconcileAccount: {
    startToCloseTimeout: '2m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3, nonRetryableErrorTypes: ['OrderRejected'] },
  },
  /**
   * Postgres work of one account, retried while Postgres is away. The activity marks the core's
   * errors (a sell of more than is held, a quote without a USD rate) non-retryable itself.
   */
  /** TWR/MWR for a waiting API caller: a few quick attempts, then the caller hears why. */
  portfolioPerformance: {
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '1m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
  },
  portfolioRecalculate: {
    startToCloseTimeout: '2m',
    // The activity heartbeats every 3 s: an attempt lost with its worker, or whose completion a
    // restarting server never got, is retried after 60 s instead of holding the portfolio 2
    // minutes. 60 s leaves room for a full recompute's synchronous fold (~4.5 µs a fill).
    heartbeatTimeout: '60s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  },
  /** A signal-with-start to the portfolio: quick and repeatable, retried until Temporal answers. */
  portfolioNotify: {
    startToCloseTimeout: '10s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  },
  /** Binance price calls: a few quick attempts each; the refresh's `fetchDeadlineMs` bounds them all together. */
  marketDataBinance: {
    startToCloseTimeout: '15s',
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '4s', maximumAttempts: 3, nonRetryableErrorTypes: ['ProviderRateLimited', 'ProviderRejected'] },
  },
  /** Longer: a Yahoo call may include the cookie and crumb handshake (up to three requests). */
  marketDataYahoo: {
    startToCloseTimeout: '35s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '4s', maximumAttempts: 3, nonRetryableErrorTypes: ['ProviderRateLimited', 'ProviderRejected'] },
  },
  /**
   * Waking the orders: pages of open orders, signals sent from the activity. Heartbeats carry the
   * progress, so a lost worker is noticed in seconds and the retry resumes; a few attempts only,
   * since every order also polls on its own and the next run wakes again.
   */
  wakeOrders: {
    startToCloseTimeout: '1m',
    heartbeatTimeout: '15s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
  },
  /**
   * Price alerts of a batch of moved prices: one query and one UPDATE fire them, then conditional
   * orders start. A few attempts; an order a fired alert still owes is started by the next run.
   */
  priceAlerts: {
    startToCloseTimeout: '1m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
  },
  /**
   * The last stretch before a TWAP slice's time, waited out in the worker: a durable timer fires
   * up to a second late on the server, this to the millisecond. A lost worker is noticed by the
   * timeout, and the retry waits for what is left (nothing, when the time has passed).
   */
  twapWait: {
    startToCloseTimeout: '5s',
    retry: { initialInterval: '100ms', backoffCoefficient: 2, maximumInterval: '1s' },
  },
} as const satisfies Record<string, ActivityOptions>;
