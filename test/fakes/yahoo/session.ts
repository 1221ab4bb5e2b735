/**
 * Yahoo's anti-scraping handshake as the fake plays it: a page on finance.yahoo.com (or
 * fc.yahoo.com) sets A1/A3/A1S session cookies for .yahoo.com; /v1/test/getcrumb trades a session
 * cookie for a crumb; quote requests must carry both, else 401 with "Invalid Cookie" or
 * "Invalid Crumb" in Yahoo's error envelope.
 */
import { randomBytes } from 'node:crypto';

const ONE_YEAR_S = 31_557_600;
const ALPHANUMERIC = /[^A-Za-z0-9]/g;

export type CrumbCheck = 'ok' | 'Invalid Cookie' | 'Invalid Crumb';

function token(length: number): string {
  let out = '';
  while (out.length < length) out += randomBytes(length).toString('base64').replace(ALPHANUMERIC, '');
  return out.slice(0, length);
}

/** Reads one cookie's value from a Cookie request header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

export class CrumbSessions {
  /** session id → crumb issued for it (undefined until getcrumb is called). */
  readonly #sessions = new Map<string, string | undefined>();

  /** Set-Cookie values for a fresh session, shaped like Yahoo's. */
  issueCookies(nowMs: number): string[] {
    const session = `d=AQABBA${token(24)}&S=AQAAA${token(16)}`;
    this.#sessions.set(session, undefined);
    const expires = new Date(nowMs + ONE_YEAR_S * 1000).toUTCString();
    const attrs = `Expires=${expires}; Max-Age=${ONE_YEAR_S}; Domain=.yahoo.com; Path=/; SameSite=None; Secure`;
    return [
      `A1=${session}; ${attrs}; HttpOnly`,
      `A3=${session}; ${attrs}; HttpOnly`,
      `A1S=${session}; Domain=.yahoo.com; Path=/; SameSite=Lax; Secure`,
    ];
  }

  /** The crumb for the request's A3 session, or undefined when it carries no session we issued. */
  crumbFor(cookieHeader: string | undefined): string | undefined {
    const session = cookieValue(cookieHeader, 'A3');
    if (session === undefined || !this.#sessions.has(session)) return undefined;
    const crumb = this.#sessions.get(session) ?? token(11);
    this.#sessions.set(session, crumb);
    return crumb;
  }

  check(cookieHeader: string | undefined, crumb: string | null): CrumbCheck {
    const session = cookieValue(cookieHeader, 'A3');
    if (session === undefined || !this.#sessions.has(session)) return 'Invalid Cookie';
    const issued = this.#sessions.get(session);
    return issued !== undefined && crumb === issued ? 'ok' : 'Invalid Crumb';
  }
}
