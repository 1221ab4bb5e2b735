/**
 * Binance's IP limits past the weight count (rest-api.md, "IP Limits"): a 429 or 418 carries a
 * Retry-After the client must honour, and an IP that keeps asking after a 429 is banned (418).
 * The fake remembers each window a 429/418 opened, bans an IP that asks again inside the window of
 * an escalating 429 (fault 'rate-limit-escalation'), answers 418 for as long as the ban lasts, and
 * records every request that arrived inside any window more than `graceMs` after the answer that
 * opened it: what a client that does not back off leaves behind.
 */
import { ipBanAnswer, type FaultAnswer } from './faults.js';

export interface BanViolation {
  /** Server clock (ms) when the request arrived. */
  time: number;
  method: string;
  path: string;
  /** Status of the answer whose Retry-After the request ignored. */
  window: 429 | 418;
  /** When that answer went out (server ms). */
  openedAt: number;
}

interface Window {
  status: 429 | 418;
  openedAt: number;
  until: number;
  /** Set for escalating 429s: a request inside the window bans the IP for this long. */
  banSeconds?: number | undefined;
}

export class IpLimits {
  private windows: Window[] = [];
  private bannedUntil = 0;
  readonly violations: BanViolation[] = [];

  constructor(private readonly graceMs: number) {}

  /** When the current (or last) IP ban ends, server ms; 0 if there never was one. */
  get bannedUntilTime(): number {
    return this.bannedUntil;
  }

  /** Records a 429/418 answer sent at `now` with `Retry-After: retryAfterSeconds`. */
  opened(status: 429 | 418, retryAfterSeconds: number, now: number, banSeconds?: number): void {
    this.windows.push({ status, openedAt: now, until: now + retryAfterSeconds * 1000, banSeconds });
  }

  /**
   * Runs first for every request: records it as a violation when it ignores an open window, and
   * answers 418 while the IP is banned or when it asks inside an escalating 429's window.
   */
  admit(method: string, path: string, now: number): FaultAnswer | undefined {
    this.windows = this.windows.filter((w) => w.until > now);
    const ignored = this.windows.find((w) => now >= w.openedAt + this.graceMs);
    if (ignored) this.violations.push({ time: now, method, path, window: ignored.status, openedAt: ignored.openedAt });
    if (now < this.bannedUntil) return ipBanAnswer(this.bannedUntil, Math.ceil((this.bannedUntil - now) / 1000));
    const escalating = this.windows.find((w) => w.banSeconds !== undefined);
    if (escalating?.banSeconds === undefined) return undefined;
    this.bannedUntil = now + escalating.banSeconds * 1000;
    return ipBanAnswer(this.bannedUntil, escalating.banSeconds);
  }
}
