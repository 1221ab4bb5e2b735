/**
 * One key pair's Binance user data stream, through the WebSocket API
 * (`userDataStream.subscribe.signature`; the REST listen-key endpoints are deprecated and leave the
 * testnet). It keeps one connection open for as long as it runs: Binance closes every connection
 * after 24 h and pings every 20 s, so a connection that stays silent past `livenessMs` is taken for
 * dead. Every loss is followed by a reconnect with jittered backoff, and every (re)subscription by
 * `onSubscribed`, since events sent while disconnected are gone: the caller resynchronises there.
 */
import { createHmac, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { Decimal } from 'decimal.js';
import type { ExchangeOrderStatus } from '../../domain/exchange.js';
import { orderStatusOf } from '../../domain/orders.js';
import type { VenueOrderUpdate } from '../../domain/venue-events.js';

export interface UserStreamLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface BinanceUserStreamOptions {
  /** e.g. wss://ws-api.testnet.binance.vision/ws-api/v3 */
  wsUrl: string;
  apiKey: string;
  apiSecret: string;
  /** Each executionReport of an order, parsed. Errors thrown here are logged, not fatal. */
  onUpdate(update: VenueOrderUpdate): Promise<void> | void;
  /** After every successful subscription: events may have been missed before it. */
  onSubscribed?(): Promise<void> | void;
  /** After every loss of the connection or subscription. */
  onDown?(why: string): void;
  log: UserStreamLog;
  /** Silence (no ping, no message) after which the connection is dropped. Binance pings every 20 s. */
  livenessMs?: number;
  /** First and longest reconnect delays; each failure doubles it, with jitter. */
  backoffMs?: { initial: number; max: number };
  recvWindowMs?: number;
  now?: () => number;
}

export interface BinanceUserStream {
  /** Subscribed right now. */
  readonly live: boolean;
  /** Stops reconnecting and closes the connection. */
  stop(): Promise<void>;
}

interface Pending {
  resolve(result: unknown): void;
  reject(err: Error): void;
}

const STATUSES: ReadonlySet<string> = new Set(['NEW', 'PENDING_NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'PENDING_CANCEL', 'REJECTED', 'EXPIRED', 'EXPIRED_IN_MATCH']);

const normal = (d: string) => new Decimal(d).toString();

/**
 * An `executionReport` event as an order update; undefined for anything else or a malformed one.
 * A cancel reports the canceled order's client id in `C` (and the cancel request's own in `c`).
 * @example parseExecutionReport({ e: 'executionReport', c: 'dt-…', X: 'FILLED', … })
 */
export function parseExecutionReport(e: Record<string, unknown>): VenueOrderUpdate | undefined {
  if (e.e !== 'executionReport') return undefined;
  const str = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : undefined);
  const num = (k: string) => (typeof e[k] === 'number' ? (e[k] as number) : undefined);
  const clientOrderId = str('C') || str('c');
  const status = str('X');
  const orderId = num('i');
  const z = str('z');
  const Z = str('Z');
  if (!clientOrderId || !status || !STATUSES.has(status) || orderId === undefined || !z || !Z) return undefined;
  const update: VenueOrderUpdate = {
    kind: 'update',
    venue: 'binance',
    clientOrderId,
    exchangeOrderId: String(orderId),
    status: orderStatusOf(status as ExchangeOrderStatus),
    executedQty: normal(z),
    cumulativeQuoteQty: normal(Z),
    eventTime: num('E') ?? num('T') ?? 0,
  };
  const tradeId = num('t');
  if (str('x') === 'TRADE' && tradeId !== undefined && tradeId >= 0) {
    update.trade = {
      tradeId: String(tradeId),
      price: normal(str('L') ?? '0'),
      qty: normal(str('l') ?? '0'),
      commission: normal(str('n') ?? '0'),
      // N is null when no commission was charged.
      commissionAsset: str('N') ?? '',
      time: num('T') ?? num('E') ?? 0,
    };
  }
  return update;
}

/**
 * @example
 * const stream = startBinanceUserStream({ wsUrl, apiKey, apiSecret, log, onUpdate: (u) => route(u), onSubscribed: () => resync() });
 * await stream.stop();
 */
export function startBinanceUserStream(o: BinanceUserStreamOptions): BinanceUserStream {
  const now = o.now ?? Date.now;
  const livenessMs = o.livenessMs ?? 70_000;
  const backoff = o.backoffMs ?? { initial: 500, max: 30_000 };
  let ws: WebSocket | undefined;
  let stopped = false;
  let live = false;
  let failures = 0;
  let lastFrameAt = now();
  let reconnectTimer: NodeJS.Timeout | undefined;
  const pending = new Map<string, Pending>();
  const watchdog = setInterval(() => {
    if (ws && ws.readyState === WebSocket.OPEN && now() - lastFrameAt > livenessMs) {
      o.log.warn('user data stream silent; reconnecting', { silentMs: now() - lastFrameAt });
      ws.terminate();
    }
  }, Math.min(5000, Math.max(100, Math.floor(livenessMs / 4))));
  watchdog.unref();

  /** A WebSocket API request; one unanswered for 10 s fails (the connection is then dropped). */
  function request(socket: WebSocket, method: string, params?: Record<string, unknown>): Promise<unknown> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${method}: no answer within 10 s`));
      }, 10_000);
      const settle = (fn: () => void) => {
        clearTimeout(timeout);
        fn();
      };
      pending.set(id, { resolve: (r) => settle(() => resolve(r)), reject: (e) => settle(() => reject(e)) });
      socket.send(JSON.stringify(params ? { id, method, params } : { id, method }));
    });
  }

  /** Signed params as the WebSocket API wants them: all but `signature`, sorted by name. */
  function signed(params: Record<string, string | number>): Record<string, string | number> {
    const payload = Object.keys(params)
      .sort()
      .map((k) => `${k}=${params[k]}`)
      .join('&');
    return { ...params, signature: createHmac('sha256', o.apiSecret).update(payload).digest('hex') };
  }

  async function subscribe(socket: WebSocket): Promise<void> {
    // The stream's own clock check: a worker whose clock drifted would otherwise never subscribe (-1021).
    const sentAt = now();
    const { serverTime } = (await request(socket, 'time')) as { serverTime: number };
    const offset = serverTime - Math.round((sentAt + now()) / 2);
    const params: Record<string, string | number> = { apiKey: o.apiKey, timestamp: now() + offset };
    if (o.recvWindowMs !== undefined) params.recvWindow = o.recvWindowMs;
    await request(socket, 'userDataStream.subscribe.signature', signed(params));
  }

  function down(why: string) {
    const wasLive = live;
    live = false;
    for (const p of pending.values()) p.reject(new Error(why));
    pending.clear();
    if (wasLive || failures === 0) o.onDown?.(why);
    if (stopped) return;
    const base = Math.min(backoff.max, backoff.initial * 2 ** failures);
    failures++;
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    o.log.info('user data stream down; reconnecting', { why, inMs: delay });
    reconnectTimer = setTimeout(connect, delay);
  }

  function onMessage(raw: WebSocket.RawData) {
    lastFrameAt = now();
    let msg: { id?: string; status?: number; result?: unknown; error?: { code: number; msg: string }; event?: Record<string, unknown> };
    try {
      msg = JSON.parse(raw.toString()) as typeof msg;
    } catch {
      o.log.warn('user data stream sent unreadable JSON; ignored');
      return;
    }
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.status === 200) p?.resolve(msg.result);
      else p?.reject(new Error(`Binance WebSocket API ${msg.status}: ${msg.error?.code} ${msg.error?.msg}`));
      return;
    }
    const event = msg.event;
    if (!event) return;
    if (event.e === 'eventStreamTerminated') {
      o.log.warn('user data stream terminated by Binance; subscribing again');
      ws?.terminate();
      return;
    }
    const update = parseExecutionReport(event);
    if (!update) return;
    Promise.resolve()
      .then(() => o.onUpdate(update))
      .catch((err: unknown) => o.log.warn('execution report not delivered', { clientOrderId: update.clientOrderId, error: String(err) }));
  }

  function connect() {
    if (stopped) return;
    const socket = new WebSocket(o.wsUrl, { handshakeTimeout: 10_000 });
    ws = socket;
    lastFrameAt = now();
    let closed = false;
    const lost = (why: string) => {
      if (closed) return;
      closed = true;
      down(why);
    };
    socket.on('ping', () => {
      lastFrameAt = now();
    });
    socket.on('message', onMessage);
    socket.on('error', (err) => lost(`connection error: ${err.message}`));
    socket.on('close', (code) => lost(`connection closed (${code})`));
    socket.on('open', () => {
      subscribe(socket).then(
        () => {
          live = true;
          failures = 0;
          o.log.info('user data stream subscribed');
          Promise.resolve()
            .then(() => o.onSubscribed?.())
            .catch((err: unknown) => o.log.warn('resynchronisation after subscribing failed', { error: String(err) }));
        },
        (err: unknown) => {
          o.log.warn('user data stream subscription refused', { error: String(err) });
          socket.terminate();
        },
      );
    });
  }

  connect();
  return {
    get live() {
      return live;
    },
    async stop() {
      stopped = true;
      clearInterval(watchdog);
      if (reconnectTimer) clearTimeout(reconnectTimer);
      const socket = ws;
      if (!socket || socket.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.terminate();
      });
    },
  };
}
