/**
 * One WebSocket API connection's life as web-socket-api.md describes it: a ping frame every 20 s,
 * disconnection when a ping's pong (a copy of its payload) has not come back within a minute,
 * disconnection after 24 h; client pings are answered with pongs. A session also holds its User
 * Data Stream subscriptions (ids from 0, never reused). A silenced session is a half-open
 * connection: the socket stays open and the server sends nothing at all.
 */
import type { WebSocket } from 'ws';

export interface SessionTiming {
  pingIntervalMs: number;
  pongTimeoutMs: number;
  connectionLifetimeMs: number;
}

/** Switches that apply to every session, read at the moment they matter. */
export interface PingSwitches {
  sendPings: boolean;
  answerPings: boolean;
}

/** Binance: "A single session can handle a maximum of 65,535 total subscriptions over its lifetime." */
const MAX_SUBSCRIPTION_ID = 65_535;

export class WsSession {
  readonly subscriptions = new Set<number>();
  private silent = false;
  private nextSubscriptionId = 0;
  private pingSeq = 0;
  /** Ping payload → the timer that disconnects if its pong does not come. */
  private readonly awaitingPong = new Map<string, NodeJS.Timeout>();
  private readonly pinger: NodeJS.Timeout;
  private readonly lifetime: NodeJS.Timeout;

  constructor(
    readonly socket: WebSocket,
    readonly connectedSince: number,
    /** The connection URL's `returnRateLimits`, the default for each response. */
    readonly returnRateLimits: boolean,
    timing: SessionTiming,
    switches: PingSwitches,
  ) {
    this.pinger = setInterval(() => {
      if (this.silent || !switches.sendPings) return;
      const payload = String(++this.pingSeq);
      const timer = setTimeout(() => socket.terminate(), timing.pongTimeoutMs);
      timer.unref();
      this.awaitingPong.set(payload, timer);
      socket.ping(payload);
    }, timing.pingIntervalMs);
    this.pinger.unref();
    this.lifetime = setTimeout(() => {
      if (!this.silent) socket.close(1000);
    }, timing.connectionLifetimeMs);
    this.lifetime.unref();

    socket.on('pong', (data) => {
      const answered = Number(data.toString());
      // A pong answers its ping and vouches for every earlier one; unsolicited pongs answer nothing.
      if (!this.awaitingPong.has(String(answered))) return;
      for (const [payload, timer] of this.awaitingPong) {
        if (Number(payload) > answered) continue;
        clearTimeout(timer);
        this.awaitingPong.delete(payload);
      }
    });
    socket.on('ping', (data) => {
      if (!this.silent && switches.answerPings) socket.pong(data);
    });
    socket.on('close', () => this.stop());
  }

  /** From now on the server sends nothing on this connection and never closes it. */
  silence(): void {
    this.silent = true;
    for (const timer of this.awaitingPong.values()) clearTimeout(timer);
    this.awaitingPong.clear();
  }

  /** A new subscription id, or undefined once the session has used them all. */
  subscribe(): number | undefined {
    if (this.nextSubscriptionId > MAX_SUBSCRIPTION_ID) return undefined;
    const id = this.nextSubscriptionId++;
    this.subscriptions.add(id);
    return id;
  }

  get isSilent(): boolean {
    return this.silent;
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  /** Writes a frame unless the session is silent or closed; whether it went out. */
  send(message: object): boolean {
    if (this.silent || !this.open) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  stop(): void {
    clearInterval(this.pinger);
    clearTimeout(this.lifetime);
    for (const timer of this.awaitingPong.values()) clearTimeout(timer);
    this.awaitingPong.clear();
    this.subscriptions.clear();
  }
}
