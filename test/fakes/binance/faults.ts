/**
 * Injected failures, each the way Binance (or the network in between) really fails. "before"
 * faults answer instead of the endpoint: nothing happened. "after" faults let the endpoint act
 * (the order IS placed) and then spoil the answer, which is the case an order engine must survive.
 */
import { seededRandom } from './random.js';
import { type RateLimitRule, tooMuchWeight } from './rate-limits.js';

export type FaultKind =
  /** The order is placed, then HTTP 500 with an empty (or HTML) body. */
  | 'accept-then-500'
  /** The order is placed, then no answer (or one after `delayMs`). */
  | 'accept-then-timeout'
  /** The order is placed, then the connection is destroyed. */
  | 'accept-then-drop'
  /** The order is placed and answered, but GET /api/v3/order says -2013 for `durationMs`. */
  | 'not-found-after-accept'
  /** HTTP 429, -1003, `Retry-After`. */
  | 'rate-limit-429'
  /** HTTP 418 (IP banned), -1003, `Retry-After`. */
  | 'ip-ban-418'
  /**
   * HTTP 429, -1003, `Retry-After` as Binance escalates it: any request arriving before that
   * Retry-After has passed bans the IP (418) for `banSeconds`, and every request during the ban
   * is answered 418 again.
   */
  | 'rate-limit-escalation'
  /** HTTP 400, -1021 outside the recvWindow. */
  | 'timestamp-1021'
  /** -1006 "execution status unknown" (HTTP 500 by default); the order is placed unless `placed: false`. */
  | 'unknown-1006'
  /** -1007 backend timeout (HTTP 408 by default); the order is placed unless `placed: false`. */
  | 'unknown-1007'
  /** HTTP 500 before anything happens. */
  | 'server-500'
  /** HTTP 503 before anything happens. */
  | 'server-503'
  /** A Binance refusal before anything happens: `status` (default 400) with `{ code, msg }`, e.g. -2015. */
  | 'reject';

export interface Fault {
  kind: FaultKind;
  /** Only requests with this method; any by default (POST for the accept and unknown kinds). */
  method?: 'GET' | 'POST' | 'DELETE';
  /** Only this path, e.g. '/api/v3/order'; any by default (/api/v3/order for the accept and unknown kinds). */
  path?: string;
  /** How many matching requests it hits: 1 by default, unlimited when `probability` is set. */
  times?: number;
  /** Chance (0..1) that a matching request is hit, drawn from a seeded RNG. */
  probability?: number;
  seed?: number;
  /** For 429 / 418 / rate-limit-escalation; defaults 1, 120 and 1. */
  retryAfterSeconds?: number;
  /** rate-limit-escalation: how long the IP ban lasts (the 418s' Retry-After); default 3 (Binance: 2 min to 3 days). */
  banSeconds?: number;
  /** accept-then-timeout: answer normally after this long; never answer when omitted. */
  delayMs?: number;
  /** not-found-after-accept: how long the order stays invisible; default 1000. */
  durationMs?: number;
  /** accept-then-* / unknown-*: the accepted order also answers -2013 to queries for this long. */
  hiddenForMs?: number;
  /** Body of the 5xx kinds; default empty. */
  body?: 'empty' | 'html';
  /** unknown-1006 / unknown-1007: whether the order is placed first; default true. */
  placed?: boolean;
  /** Overrides the HTTP status of unknown-1006 / unknown-1007 / reject. */
  status?: number;
  /** reject: the Binance error code and message, e.g. -2015 'Invalid API-key, IP, or permissions for action.' */
  code?: number;
  msg?: string;
}

export type FaultPhase = 'before' | 'after';

const ORDER_KINDS: ReadonlySet<FaultKind> = new Set([
  'accept-then-500',
  'accept-then-timeout',
  'accept-then-drop',
  'not-found-after-accept',
  'unknown-1006',
  'unknown-1007',
]);

export function phaseOf(f: Fault): FaultPhase {
  if (f.kind.startsWith('accept-then') || f.kind === 'not-found-after-accept') return 'after';
  if (f.kind === 'unknown-1006' || f.kind === 'unknown-1007') return f.placed === false ? 'before' : 'after';
  return 'before';
}

function targets(f: Fault, method: string, path: string): boolean {
  const defaultToOrders = ORDER_KINDS.has(f.kind);
  const wantMethod = f.method ?? (defaultToOrders ? 'POST' : undefined);
  const wantPath = f.path ?? (defaultToOrders ? '/api/v3/order' : undefined);
  return (wantMethod === undefined || wantMethod === method) && (wantPath === undefined || wantPath === path);
}

interface Armed {
  fault: Fault;
  remaining: number;
  rng: () => number;
}

export class FaultBook {
  private armed: Armed[] = [];
  /** orderId → until (server ms): orders every query endpoint leaves out for now (they still trade). */
  private readonly hidden = new Map<number, number>();
  private added = 0;

  constructor(private readonly seed: number) {}

  add(fault: Fault): void {
    if (fault.probability !== undefined && !(fault.probability >= 0 && fault.probability <= 1)) {
      throw new Error(`Binance fake: fault probability must be within 0..1, got ${fault.probability}`);
    }
    this.added += 1;
    const remaining = fault.times ?? (fault.probability === undefined ? 1 : Number.POSITIVE_INFINITY);
    this.armed.push({ fault, remaining, rng: seededRandom(fault.seed ?? this.seed + this.added) });
  }

  clear(): void {
    this.armed = [];
    this.hidden.clear();
  }

  /** The first armed fault that matches and fires for this request, consuming one of its hits. */
  take(method: string, path: string, phase: FaultPhase): Fault | undefined {
    for (const a of this.armed) {
      if (a.remaining <= 0 || phaseOf(a.fault) !== phase || !targets(a.fault, method, path)) continue;
      if (a.fault.probability !== undefined && a.rng() >= a.fault.probability) continue;
      a.remaining -= 1;
      return a.fault;
    }
    return undefined;
  }

  /** Hides the order until `until` (server ms); an order hidden longer already stays hidden longer. */
  hide(orderId: number, until: number): void {
    this.hidden.set(orderId, Math.max(until, this.hidden.get(orderId) ?? 0));
  }

  isHidden(orderId: number, now: number): boolean {
    const until = this.hidden.get(orderId);
    return until !== undefined && now < until;
  }
}

export interface FaultAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const HTML_500 = '<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>';
const HTML_503 = '<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>';

function json(status: number, code: number, msg: string, headers: Record<string, string> = {}): FaultAnswer {
  return { status, headers: { 'Content-Type': 'application/json;charset=UTF-8', ...headers }, body: JSON.stringify({ code, msg }) };
}

/** Binance's 418 for an IP banned until `until` (server ms), in errors.md's wording, with Retry-After in seconds. */
export function ipBanAnswer(until: number, retryAfterSeconds: number): FaultAnswer {
  return json(418, -1003, `Way too much request weight used; IP banned until ${until}. Please use WebSocket Streams for live updates to avoid bans.`, {
    'Retry-After': String(retryAfterSeconds),
  });
}

/**
 * The HTTP answer of every fault that answers (all but accept-then-timeout/-drop and
 * not-found-after-accept); an injected 429 quotes the configured weight limit.
 */
export function faultAnswer(f: Fault, serverNow: number, weightLimit: RateLimitRule): FaultAnswer | undefined {
  const htmlHeaders: Record<string, string> = f.body === 'html' ? { 'Content-Type': 'text/html' } : {};
  switch (f.kind) {
    case 'rate-limit-429':
    case 'rate-limit-escalation': {
      const after = f.retryAfterSeconds ?? 1;
      const { msg } = tooMuchWeight(weightLimit);
      return json(429, -1003, msg, { 'Retry-After': String(after) });
    }
    case 'ip-ban-418': {
      const after = f.retryAfterSeconds ?? 120;
      return ipBanAnswer(serverNow + after * 1000, after);
    }
    case 'timestamp-1021':
      return json(400, -1021, 'Timestamp for this request is outside of the recvWindow.');
    case 'unknown-1006':
      return json(f.status ?? 500, -1006, 'An unexpected response was received from the message bus. Execution status unknown.');
    case 'unknown-1007':
      return json(f.status ?? 408, -1007, 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.');
    case 'accept-then-500':
    case 'server-500':
      return { status: 500, headers: htmlHeaders, body: f.body === 'html' ? HTML_500 : '' };
    case 'reject':
      return json(f.status ?? 400, f.code ?? -1000, f.msg ?? 'An unknown error occurred while processing the request.');
    case 'server-503':
      return { status: 503, headers: htmlHeaders, body: f.body === 'html' ? HTML_503 : '' };
    default:
      return undefined;
  }
}
