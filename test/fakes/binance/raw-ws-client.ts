/**
 * Talks to the fake's WebSocket API with a plain `ws` socket, signing like a Binance client does,
 * so tests can check the wire (frames, codes, pings, closes) without the adapter in between.
 */
import { createHmac } from 'node:crypto';
import WebSocket from 'ws';
import { wsSignaturePayload } from './signing.js';

/** A parsed text frame: a response `{ id, status, … }` or an event `{ subscriptionId, event }`. */
export type Frame = Record<string, any>;

export interface RawWsClient {
  readonly socket: WebSocket;
  /** Every text frame received so far, parsed, in order. */
  readonly frames: Frame[];
  /** The `event` of every event frame so far (those with a subscriptionId), in order. */
  events(): Array<Record<string, any>>;
  /** Sends `{ id, method, params }` and resolves with the response that carries the id. */
  request(method: string, params?: Record<string, unknown>): Promise<Frame>;
  /** `userDataStream.subscribe.signature`, signed with these credentials (or the given overrides). */
  subscribe(overrides?: { apiKey?: string; apiSecret?: string; timestamp?: number }): Promise<Frame>;
  /** Resolves once `predicate` holds for the frames received; rejects after `timeoutMs`. */
  waitFor(predicate: (frames: Frame[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves with the close code once the socket has closed. */
  readonly closed: Promise<number>;
  close(): void;
}

/** The params of a SIGNED WebSocket API request: these plus apiKey and timestamp, signed. */
export function signWsParams(params: Record<string, unknown>, apiKey: string, apiSecret: string, timestamp: number): Record<string, unknown> {
  const all = { ...params, apiKey, timestamp };
  return { ...all, signature: createHmac('sha256', apiSecret).update(wsSignaturePayload(all)).digest('hex') };
}

/**
 * @example
 * const ws = await connectRawWs(fake.wsApiUrl, { apiKey: 'k', apiSecret: 's' });
 * await ws.subscribe(); // { id, status: 200, result: { subscriptionId: 0 }, … }
 */
export async function connectRawWs(
  url: string,
  creds: { apiKey: string; apiSecret: string; now?: () => number },
  options: { autoPong?: boolean } = {},
): Promise<RawWsClient> {
  const socket = new WebSocket(url, { autoPong: options.autoPong ?? true });
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    frames.push(JSON.parse(data.toString()) as Frame);
    for (const check of waiters) check();
  });
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let nextId = 0;

  const waitFor = (predicate: (frames: Frame[]) => boolean, timeoutMs = 2000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(frames)) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no such frame within ${timeoutMs} ms; got ${JSON.stringify(frames)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  const request = async (method: string, params?: Record<string, unknown>): Promise<Frame> => {
    const id = `req-${++nextId}`;
    socket.send(JSON.stringify(params === undefined ? { id, method } : { id, method, params }));
    await waitFor((all) => all.some((f) => f['id'] === id));
    return frames.find((f) => f['id'] === id)!;
  };

  return {
    socket,
    frames,
    events: () => frames.filter((f) => 'subscriptionId' in f && 'event' in f).map((f) => f['event'] as Record<string, any>),
    request,
    subscribe: (o = {}) =>
      request('userDataStream.subscribe.signature', signWsParams({}, o.apiKey ?? creds.apiKey, o.apiSecret ?? creds.apiSecret, o.timestamp ?? (creds.now ?? Date.now)())),
    waitFor,
    closed,
    close: () => socket.close(),
  };
}
