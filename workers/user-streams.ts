/**
 * The worker-side owner of Binance user data streams: one stream per key pair in use (the
 * environment's, and each account's stored one), each execution report routed to its order's
 * workflow as a `venueEvent` signal keyed by client order id.
 *
 * One worker process of a deployment holds the streams at a time (a PostgreSQL advisory lock on a
 * reserved connection: if that process dies, its connection and lock go with it and another takes
 * over at its next try). Duplicates would be harmless (the workflow ignores an event it has seen),
 * but would double every signal.
 *
 * Events sent while a stream was down are lost, so after every subscription the key's open orders
 * are read from the venue (one request) and every order of ours that looks different is told to
 * look for itself; while a stream is down the same check runs every `outageCheckMs`.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { Decimal } from 'decimal.js';
import type { Config } from '../lib/config.js';
import type { Sql } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';
import type { SecretBox } from '../lib/security/secret-box.js';
import type { Exchange } from '../domain/exchange.js';
import type { VenueOrderEvent } from '../domain/venue-events.js';
import { openCredentials, type ExchangeCredentials } from '../store/sealed-credentials.js';
import { findEventTarget, openOrdersOfKey, storedBinanceKeys, type KeyOwner } from '../store/venue-orders.js';
import { startBinanceUserStream, type BinanceUserStream } from '../venues/binance/user-stream.js';

export interface UserStreamsOptions {
  config: Pick<Config, 'BINANCE_WS_API_URL' | 'BINANCE_API_KEY' | 'BINANCE_API_SECRET' | 'BINANCE_RECV_WINDOW_MS' | 'TASK_QUEUE_PREFIX' | 'TEMPORAL_NAMESPACE'>;
  sql: Sql;
  /**
   * A connection of its own (max 1, never idle-closed) holding the advisory lock; the pool's
   * connections come and go, and a lock dies with its session.
   */
  lockSql: Sql;
  /** Delivers an event to an order workflow (workflows/clients.ts); WorkflowNotFoundError once it ended. */
  orders: { venueEvent(workflowId: string, event: VenueOrderEvent): Promise<void> };
  /** Opens the accounts' stored pairs; without it only the environment's pair is streamed. */
  box: SecretBox | undefined;
  /** The REST venue for a pair, for the open-orders check after a reconnect. */
  restFor(credentials: ExchangeCredentials): Exchange;
  log: Logger;
  /** How often the set of pairs (and the lock) is looked at again. Default 30 s. */
  refreshMs?: number;
  /** While a stream is down, how often its open orders are checked. Default 30 s. */
  outageCheckMs?: number;
  /** Passed to each stream: silence after which a connection is dropped. */
  livenessMs?: number;
  backoffMs?: { initial: number; max: number };
}

export interface UserStreams {
  /** Pairs with a subscribed stream right now. */
  liveCount(): number;
  /** Whether this process holds the streams. */
  leading(): boolean;
  /** Runs the open-orders check of every pair now (tests, after a known outage). */
  checkAll(): Promise<void>;
  stop(): Promise<void>;
}

interface KeyStream {
  id: string;
  owner: KeyOwner;
  fingerprint: string;
  stream: BinanceUserStream;
  rest: Exchange;
  /** Runs the open-orders check until one succeeds (while the stream is down, or after a failure). */
  outageTimer?: NodeJS.Timeout | undefined;
  closed?: boolean;
}

/**
 * @example const streams = startUserStreams({ config, sql, orders, box, restFor: (c) => createBinanceExchange({ baseUrl, ...c }), log });
 */
export function startUserStreams(o: UserStreamsOptions): UserStreams {
  const log = o.log.child('user-streams');
  const refreshMs = o.refreshMs ?? 30_000;
  const outageCheckMs = o.outageCheckMs ?? 30_000;
  const streams = new Map<string, KeyStream>();
  const lockName = `durable-trader:user-streams:${o.config.TEMPORAL_NAMESPACE}:${o.config.TASK_QUEUE_PREFIX}`;
  let leading = false;
  let stopped = false;
  let refreshing: Promise<void> = Promise.resolve();

  async function deliver(workflowId: string, event: VenueOrderEvent): Promise<void> {
    try {
      await o.orders.venueEvent(workflowId, event);
    } catch (err) {
      // The order ended between the event and the signal: nothing left to tell.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  /** Every order of ours the venue shows differently (or no longer as open) is told to look now. */
  async function check(k: KeyStream, why: string): Promise<void> {
    const ours = await openOrdersOfKey(o.sql, k.owner);
    if (ours.length === 0) return;
    const open = new Map((await k.rest.getOpenOrders()).map((v) => [v.clientOrderId, v]));
    const differ = ours.filter((mine) => {
      const theirs = open.get(mine.clientOrderId);
      return !theirs || !new Decimal(theirs.executedQty).eq(mine.executedQty);
    });
    log.info('open orders checked against the venue', { key: k.fingerprint, why, ours: ours.length, differ: differ.length });
    for (const mine of differ) await deliver(mine.workflowId, { kind: 'check', reason: why });
  }

  /** Runs the key's open-orders check every outageCheckMs until one succeeds. */
  function checkUntilDone(k: KeyStream, why: string): void {
    if (k.closed || k.outageTimer) return;
    k.outageTimer = setInterval(() => {
      check(k, why).then(
        () => {
          if (k.stream.live) stopChecking(k);
        },
        (err: unknown) => log.warn('open-orders check failed; tried again', { key: k.fingerprint, error: String(err) }),
      );
    }, outageCheckMs);
    k.outageTimer.unref();
  }

  function stopChecking(k: KeyStream): void {
    if (k.outageTimer) clearInterval(k.outageTimer);
    k.outageTimer = undefined;
  }

  function open(id: string, owner: KeyOwner, credentials: ExchangeCredentials, fingerprint: string): void {
    const k: KeyStream = {
      id,
      owner,
      fingerprint,
      rest: o.restFor(credentials),
      stream: startBinanceUserStream({
        wsUrl: o.config.BINANCE_WS_API_URL,
        apiKey: credentials.apiKey,
        apiSecret: credentials.apiSecret,
        recvWindowMs: o.config.BINANCE_RECV_WINDOW_MS,
        livenessMs: o.livenessMs,
        backoffMs: o.backoffMs,
        log: log.child('stream', { key: fingerprint }),
        onUpdate: async (update) => {
          try {
            const target = await findEventTarget(o.sql, 'binance', update.clientOrderId);
            if (!target) return log.debug('execution report for an order that is not ours', { key: fingerprint });
            await deliver(target.workflowId, update);
          } catch (err) {
            // The event is gone (database or Temporal unreachable): the open-orders check finds what it said.
            log.warn('execution report not delivered; checking the open orders until it works', { key: fingerprint, error: String(err) });
            checkUntilDone(k, 'an execution report was not delivered');
          }
        },
        onSubscribed: async () => {
          try {
            await check(k, 'user data stream (re)subscribed');
            stopChecking(k);
          } catch (err) {
            log.warn('open-orders check after subscribing failed; tried again', { key: fingerprint, error: String(err) });
            checkUntilDone(k, 'user data stream (re)subscribed');
          }
        },
        onDown: () => checkUntilDone(k, 'user data stream down'),
      }),
    };
    streams.set(id, k);
  }

  async function close(k: KeyStream): Promise<void> {
    streams.delete(k.id);
    k.closed = true;
    stopChecking(k);
    await k.stream.stop();
  }

  /** The pairs that should have a stream, by an id that changes when a pair is replaced. */
  async function wanted(): Promise<Map<string, { owner: KeyOwner; credentials: ExchangeCredentials; fingerprint: string }>> {
    const out = new Map<string, { owner: KeyOwner; credentials: ExchangeCredentials; fingerprint: string }>();
    const { BINANCE_API_KEY: apiKey, BINANCE_API_SECRET: apiSecret } = o.config;
    if (apiKey && apiSecret) out.set('environment', { owner: { source: 'environment' }, credentials: { apiKey, apiSecret }, fingerprint: `env…${apiKey.slice(-4)}` });
    if (!o.box) return out;
    for (const row of await storedBinanceKeys(o.sql)) {
      try {
        const credentials = openCredentials(o.box, row.accountId, 'binance', row);
        out.set(`${row.accountId}/${row.version}`, { owner: { source: 'stored', accountId: row.accountId, version: row.version }, credentials, fingerprint: `…${row.api_key_last4}` });
      } catch (err) {
        log.warn('stored Binance pair cannot be opened; its orders are polled only', { accountId: row.accountId, error: String(err) });
      }
    }
    return out;
  }

  /**
   * Takes or confirms the lock on the lock's own connection. Asking again answers true while the
   * session holding it lives; if that session died (and the lock with it), the connection comes
   * back as a new session that asks like any other process.
   */
  async function holdLock(): Promise<boolean> {
    let locked = false;
    try {
      const [row] = await o.lockSql<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(hashtextextended(${lockName}, 0)) AS locked`;
      locked = row?.locked === true;
    } catch (err) {
      log.warn('user-stream lock not confirmed', { error: String(err) });
    }
    if (locked && !leading) log.info('holding the user data streams of this deployment');
    if (!locked && leading) log.warn('lost the user-stream lock; another worker holds the streams');
    leading = locked;
    return locked;
  }

  async function refresh(): Promise<void> {
    if (stopped) return;
    if (!(await holdLock())) {
      await Promise.all([...streams.values()].map(close));
      return;
    }
    const want = await wanted();
    for (const k of [...streams.values()]) if (!want.has(k.id)) await close(k);
    for (const [id, w] of want) if (!streams.has(id)) open(id, w.owner, w.credentials, w.fingerprint);
  }

  const tick = () => {
    refreshing = refreshing
      .then(refresh)
      .catch((err: unknown) => log.warn('user data streams not refreshed', { error: String(err) }));
  };
  tick();
  const timer = setInterval(tick, refreshMs);
  timer.unref();

  return {
    liveCount: () => [...streams.values()].filter((k) => k.stream.live).length,
    leading: () => leading,
    async checkAll() {
      await refreshing;
      await Promise.all([...streams.values()].map((k) => check(k, 'asked')));
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await refreshing;
      await Promise.all([...streams.values()].map(close));
      if (leading) await o.lockSql`SELECT pg_advisory_unlock_all()`.catch(() => undefined);
      leading = false;
    },
  };
}
