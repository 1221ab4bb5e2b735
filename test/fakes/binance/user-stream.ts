/**
 * The User Data Stream's delivery: each book event is rendered once, at the moment it happens, and
 * pushed to every active subscription as `{ subscriptionId, event }` through whatever faults a test
 * has armed: events lost, delayed or duplicated, connections dropped or silenced, pings not sent or
 * not answered. It also counts what went out and what was lost.
 */
import type { Book } from './book.js';
import { seededRandom } from './random.js';
import { renderUserEvent, streamTerminated, type UserEvent } from './user-events.js';
import type { PingSwitches, WsSession } from './ws-session.js';

/** Which events a loss or duplication fault hits: the next `count`, or each with `probability` (seeded). */
export type EventFault = { count: number } | { probability: number; seed?: number };

export interface UserStreamStats {
  openConnections: number;
  /** WebSocket API connections accepted since the fake started. */
  connectionsAccepted: number;
  activeSubscriptions: number;
  /** Event frames written to sockets (a duplicated event counts twice). */
  eventsSent: number;
  /** Deliveries to a subscription swallowed by a loss fault or a silenced connection. */
  eventsLost: number;
}

/** What a test can do to the user stream through `fake.userStream`. */
export interface UserStreamControls {
  /**
   * Cuts every open WebSocket API connection as a network failure would: the socket is destroyed
   * without a close frame, and events until the client subscribes again go nowhere.
   */
  dropConnections(): void;
  /** Loses events on the way out (counted in `eventsLost`). Only events some subscription would receive count towards `count`. */
  loseEvents(fault: EventFault): void;
  /** Sends the events it hits twice in a row. Only events some subscription would receive count towards `count`. */
  duplicateEvents(fault: EventFault): void;
  /** Holds every event `ms` before sending it (0 stops); a subscription that ended meanwhile does not get it. */
  delayEvents(ms: number): void;
  /**
   * Turns every open connection half-open: the socket stays up, but the server sends nothing on it
   * any more (no events, responses, pings or pongs) and never closes it. New connections are normal.
   */
  silence(): void;
  /** The server stops sending ping frames (so it also stops closing connections for missing pongs). */
  stopSendingPings(): void;
  /** The server stops answering the client's ping frames. */
  stopAnsweringPings(): void;
  /** Disarms every fault above except silence, which stays with the connections it hit. */
  clearFaults(): void;
  stats(): UserStreamStats;
}

interface Armed {
  remaining: number;
  probability?: number | undefined;
  rng: () => number;
}

export class UserStream implements UserStreamControls {
  readonly sessions = new Set<WsSession>();
  readonly switches: PingSwitches = { sendPings: true, answerPings: true };
  private executionId = 0;
  private losing: Armed | undefined;
  private duplicating: Armed | undefined;
  private delayMs = 0;
  private faultsArmed = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private accepted = 0;
  private sent = 0;
  private lost = 0;

  constructor(
    book: Book,
    private readonly seed: number,
  ) {
    book.onEvent((e) => this.publish(renderUserEvent(e, e.kind === 'execution' ? ++this.executionId : 0)));
  }

  opened(session: WsSession): void {
    this.accepted += 1;
    this.sessions.add(session);
    session.socket.on('close', () => this.sessions.delete(session));
  }

  /** Ends a subscription and tells its client with eventStreamTerminated (sent as is, past any fault). */
  terminate(session: WsSession, subscriptionId: number, time: number): void {
    session.subscriptions.delete(subscriptionId);
    if (session.send({ subscriptionId, event: streamTerminated(time) })) this.sent += 1;
  }

  dropConnections(): void {
    for (const session of this.sessions) session.socket.terminate();
  }

  loseEvents(fault: EventFault): void {
    this.losing = this.arm(fault);
  }

  duplicateEvents(fault: EventFault): void {
    this.duplicating = this.arm(fault);
  }

  delayEvents(ms: number): void {
    if (!(ms >= 0)) throw new Error(`Binance fake: event delay must be >= 0, got ${ms}`);
    this.delayMs = ms;
  }

  silence(): void {
    for (const session of this.sessions) session.silence();
  }

  stopSendingPings(): void {
    this.switches.sendPings = false;
  }

  stopAnsweringPings(): void {
    this.switches.answerPings = false;
  }

  clearFaults(): void {
    this.losing = undefined;
    this.duplicating = undefined;
    this.delayMs = 0;
    this.switches.sendPings = true;
    this.switches.answerPings = true;
  }

  stats(): UserStreamStats {
    let activeSubscriptions = 0;
    for (const s of this.sessions) activeSubscriptions += s.subscriptions.size;
    return {
      openConnections: this.sessions.size,
      connectionsAccepted: this.accepted,
      activeSubscriptions,
      eventsSent: this.sent,
      eventsLost: this.lost,
    };
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private arm(fault: EventFault): Armed {
    this.faultsArmed += 1;
    if ('probability' in fault) {
      if (!(fault.probability >= 0 && fault.probability <= 1)) throw new Error(`Binance fake: probability must be within 0..1, got ${fault.probability}`);
      return { remaining: Number.POSITIVE_INFINITY, probability: fault.probability, rng: seededRandom(fault.seed ?? this.seed + this.faultsArmed) };
    }
    return { remaining: fault.count, rng: () => 0 };
  }

  private hits(armed: Armed | undefined): boolean {
    if (!armed || armed.remaining <= 0) return false;
    if (armed.probability !== undefined) return armed.rng() < armed.probability;
    armed.remaining -= 1;
    return true;
  }

  private publish(event: UserEvent): void {
    const targets: Array<[WsSession, number]> = [];
    for (const session of this.sessions) for (const id of session.subscriptions) targets.push([session, id]);
    if (targets.length === 0) return;
    if (this.hits(this.losing)) {
      this.lost += targets.length;
      return;
    }
    const copies = this.hits(this.duplicating) ? 2 : 1;
    const deliver = (): void => {
      for (const [session, subscriptionId] of targets) {
        if (!session.subscriptions.has(subscriptionId)) continue;
        if (session.isSilent) {
          this.lost += 1;
          continue;
        }
        for (let i = 0; i < copies; i++) if (session.send({ subscriptionId, event })) this.sent += 1;
      }
    };
    if (this.delayMs === 0) return deliver();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      deliver();
    }, this.delayMs);
    this.timers.add(timer);
  }
}
