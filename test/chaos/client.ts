/**
 * The harness's HTTP client of the API, written like a careful real client: every submission
 * carries an Idempotency-Key and is retried with backoff after a network error or a 5xx until the
 * API answers 202 or a 4xx (or the deadline passes). It registers a user of its own when the API
 * has `POST /v1/auth/register` and sends its bearer token; without that route it runs unauthenticated.
 * Given several API instances (the cluster target), it spreads requests over them in turn and
 * sends the retry of a failed request to the next one, as a client behind a load balancer would.
 */
import { randomBytes } from 'node:crypto';
import { sleep } from '../../lib/embedded/process.js';

export interface OrderBody {
  venue: 'paper' | 'binance';
  symbol: string;
  side: 'BUY' | 'SELL';
  type: 'MARKET' | 'LIMIT';
  quantity: string;
  price?: string;
  timeInForce?: 'GTC';
}

export type SubmitOutcome =
  | { kind: 'accepted'; id: string; attempts: number }
  | { kind: 'refused'; status: number; body: string; attempts: number }
  | { kind: 'gave-up'; lastError: string; attempts: number };

export interface ApiClientOptions {
  /** One API instance, or several behind the same database and Temporal. */
  baseUrls: string[];
  /** Used in the registered user's e-mail address. */
  label: string;
  requestTimeoutMs?: number;
}

/**
 * @example const api = new ApiClient({ baseUrl, label: 'worker-kill' }); await api.authenticate(deadline); await api.submit('k-1', body, deadline);
 */
export class ApiClient {
  private token: string | undefined;
  private readonly email: string;
  private readonly password = randomBytes(18).toString('base64url');
  /** Whether the API has authentication (known after `authenticate`). */
  authenticated = false;
  /** HTTP requests sent and not yet answered (the api-kill scenario kills the API while some are). */
  inFlight = 0;
  /** Requests sent and not yet answered, per API instance (by index of `baseUrls`). */
  readonly inFlightAt: number[];
  /** Requests answered by each API instance. */
  readonly answeredBy: number[];
  private turn = 0;

  constructor(private readonly o: ApiClientOptions) {
    this.email = `chaos-${o.label}-${randomBytes(4).toString('hex')}@example.test`;
    if (o.baseUrls.length === 0) throw new Error('ApiClient needs at least one base URL');
    this.inFlightAt = o.baseUrls.map(() => 0);
    this.answeredBy = o.baseUrls.map(() => 0);
  }

  /** The instance for the next attempt: each in turn, never `avoid` (where the last attempt failed) when there is another. */
  private nextInstance(avoid?: number): number {
    const n = this.o.baseUrls.length;
    const at = this.turn++ % n;
    return at === avoid && n > 1 ? (at + 1) % n : at;
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    timeoutMs = this.o.requestTimeoutMs ?? 15_000,
    route: { avoid?: number; chosen?: (at: number) => void } = {},
  ): Promise<{ status: number; text: string; headers: Headers }> {
    const auth: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` } : {};
    const at = this.nextInstance(route.avoid);
    route.chosen?.(at);
    this.inFlight++;
    this.inFlightAt[at]!++;
    try {
      const res = await fetch(`${this.o.baseUrls[at]}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...auth, ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const answer = { status: res.status, text: await res.text(), headers: res.headers };
      this.answeredBy[at]!++;
      return answer;
    } finally {
      this.inFlight--;
      this.inFlightAt[at]!--;
    }
  }

  /** Retries through network errors and 5xx until a definite answer (2xx or 4xx) or the deadline. */
  private async definite(method: string, path: string, body: unknown, headers: Record<string, string>, deadline: number) {
    let wait = 200;
    let attempts = 0;
    let lastError = 'no attempt';
    // Where the last attempt went, so that a retry after a failure goes to another instance.
    let last: number | undefined;
    let failedAt: number | undefined;
    while (Date.now() < deadline) {
      attempts++;
      let pause = wait;
      try {
        const res = await this.request(method, path, body, headers, undefined, { avoid: failedAt, chosen: (at) => (last = at) });
        if (res.status < 500 && res.status !== 429) return { res, attempts, lastError };
        failedAt = last;
        lastError = `HTTP ${res.status} ${res.text.slice(0, 200)}`;
        // A rate limit says when to come back; anything else backs off exponentially.
        const retryAfter = Number(res.headers.get('retry-after'));
        if (res.status === 429 && retryAfter > 0) pause = Math.min(retryAfter * 1000, 10_000);
      } catch (err) {
        lastError = errorText(err);
        failedAt = last;
      }
      await sleep(Math.min(pause, Math.max(deadline - Date.now(), 0)));
      wait = Math.min(wait * 2, 3000);
    }
    return { res: undefined, attempts, lastError };
  }

  /** Registers a user when the API has sign-up; a 404 means the API runs without authentication. */
  async authenticate(deadline: number): Promise<void> {
    const { res, lastError } = await this.definite('POST', '/v1/auth/register', { email: this.email, password: this.password }, {}, deadline);
    if (!res) throw new Error(`POST /v1/auth/register never answered: ${lastError}`);
    if (res.status === 404) return;
    this.authenticated = true;
    // 409: an earlier attempt registered us but its answer was lost.
    if (res.status === 409 && (await this.relogin(deadline))) return;
    if (res.status !== 200 && res.status !== 201) throw new Error(`POST /v1/auth/register answered ${res.status}: ${res.text.slice(0, 300)}`);
    this.setToken(res.text);
  }

  private setToken(text: string): void {
    const token = (JSON.parse(text) as { token?: unknown }).token;
    if (typeof token !== 'string') throw new Error('the auth answer has no token');
    this.token = token;
  }

  /** A token can expire during a long run: log in again once on a 401. */
  private async relogin(deadline: number): Promise<boolean> {
    if (!this.authenticated) return false;
    const { res } = await this.definite('POST', '/v1/auth/login', { email: this.email, password: this.password }, {}, deadline);
    if (!res || res.status !== 200) return false;
    this.setToken(res.text);
    return true;
  }

  /** Submits one order under `key`, retrying until the API accepts or refuses it. */
  async submit(key: string, body: OrderBody, deadline: number): Promise<SubmitOutcome> {
    let total = 0;
    for (let relogins = 0; ; relogins++) {
      const { res, attempts, lastError } = await this.definite('POST', '/v1/orders', body, { 'idempotency-key': key }, deadline);
      total += attempts;
      if (!res) return { kind: 'gave-up', lastError, attempts: total };
      if (res.status === 401 && relogins === 0 && (await this.relogin(deadline))) continue;
      if (res.status !== 202) return { kind: 'refused', status: res.status, body: res.text.slice(0, 500), attempts: total };
      return { kind: 'accepted', id: (JSON.parse(res.text) as { id: string }).id, attempts: total };
    }
  }

  /** Creates something other than an order (an order list, a TWAP) under `key`, as `submit` does an order. */
  async create(path: string, key: string, body: unknown, deadline: number): Promise<SubmitOutcome> {
    const { res, attempts, lastError } = await this.definite('POST', path, body, { 'idempotency-key': key }, deadline);
    if (!res) return { kind: 'gave-up', lastError, attempts };
    if (res.status !== 202 && res.status !== 201) return { kind: 'refused', status: res.status, body: res.text.slice(0, 500), attempts };
    return { kind: 'accepted', id: (JSON.parse(res.text) as { id: string }).id, attempts };
  }

  /** GET as the client's user; the parsed body, or undefined when there is no definite answer. */
  async get(path: string, deadline: number): Promise<{ status: number; body: any } | undefined> {
    const { res } = await this.definite('GET', path, undefined, {}, deadline);
    return res && { status: res.status, body: res.text ? JSON.parse(res.text) : undefined };
  }

  /** DELETE as the client's user, retried to a definite answer. */
  async remove(path: string, deadline: number): Promise<number | undefined> {
    const { res } = await this.definite('DELETE', path, {}, {}, deadline);
    return res?.status;
  }

  /**
   * One DELETE /v1/orders/:id, not retried: the API must answer it (200, 202, or 409 when the
   * order already ended) within `deadlineMs`, whatever the venue does.
   */
  async cancel(id: string, deadlineMs: number): Promise<CancelOutcome> {
    const started = Date.now();
    try {
      const res = await this.request('DELETE', `/v1/orders/${id}`, { reason: 'chaos: cancel racing a fill' }, {}, deadlineMs);
      let orderStatus: string | undefined;
      try {
        orderStatus = (JSON.parse(res.text) as { status?: string }).status;
      } catch {
        orderStatus = undefined;
      }
      return { kind: 'answered', status: res.status, orderStatus, ms: Date.now() - started };
    } catch (err) {
      return { kind: 'no-answer', lastError: errorText(err), ms: Date.now() - started };
    }
  }
}

export type CancelOutcome =
  | { kind: 'answered'; status: number; orderStatus: string | undefined; ms: number }
  | { kind: 'no-answer'; lastError: string; ms: number };

export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? ` (${String((cause as { code: unknown }).code)})` : '';
  return `${err.name}: ${err.message}${code}`;
}
