/**
 * Issue 15: `kill -9` of the worker during a TWAP. A TWAP of 40 paper slices over 40 s runs under
 * its own account (its slices are no Idempotency-Key's orders, so the suite's audit leaves them to
 * this one) while the ordinary orders flow; the worker is killed three times. Counted on the line:
 * slices placed twice on the venue, slices never started or never ended, and a filled total that
 * is not the TWAP's.
 */
import { randomBytes } from 'node:crypto';
import { sleep } from '../../lib/embedded/process.js';
import { sliceOrderId } from '../../domain/twap.js';
import { between } from './plan.js';
import type { ScenarioDefinition, Stack } from './scenario.js';

const SLICES = 40;
const QUANTITY = '40';
const SYMBOL = 'AAPL';
const counted = new WeakMap<Stack, Record<string, number>>();

/** The API's address: the port the scenario gave its processes. */
function apiUrl(s: Stack): string {
  const env = (s.api as unknown as { o: { env: Record<string, string> } }).o.env;
  return `http://127.0.0.1:${env.PORT}`;
}

async function call(s: Stack, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  // The API is restarted by nothing here, but the worker is: a request is retried through a blip.
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${apiUrl(s)}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      return { status: res.status, body: await res.json().catch(() => undefined) };
    } catch (err) {
      if (attempt >= 5) throw err;
      await sleep(1000);
    }
  }
}

export const twapWorkerKill: ScenarioDefinition = {
  name: 'twap-worker-kill',
  orders: 30,
  binanceShare: 0.5,
  concurrency: 3,
  pacingMs: [800, 1600],
  async chaos(s, rng) {
    const register = await call(s, 'POST', '/v1/auth/register', { email: `twap-${randomBytes(4).toString('hex')}@example.test`, password: randomBytes(18).toString('base64url') });
    if (register.status !== 201 && register.status !== 200) throw new Error(`register answered ${register.status}: ${JSON.stringify(register.body)}`);
    const token: string = register.body.token;
    const started = await call(s, 'POST', '/v1/twap-orders', { venue: 'paper', symbol: SYMBOL, side: 'BUY', quantity: QUANTITY, slices: SLICES, durationSeconds: SLICES }, token);
    if (started.status !== 202) throw new Error(`POST /v1/twap-orders answered ${started.status}: ${JSON.stringify(started.body)}`);
    const id: string = started.body.id;
    s.note(`TWAP ${id}: ${SLICES} slices of ${SYMBOL} over ${SLICES} s`);
    for (let kill = 1; kill <= 3; kill++) {
      await sleep(between(rng, 4000, 10_000));
      await s.worker.kill9();
      const [{ n }] = await s.sql<[{ n: number }]>`SELECT count(*)::int AS n FROM orders WHERE parent_id = ${id}`;
      s.note(`kill -9 worker #${kill} during the TWAP (${n}/${SLICES} slices placed)`);
      await sleep(between(rng, 0, 1500));
      await s.worker.start();
    }
    const deadline = Date.now() + 120_000;
    let twap: any;
    do {
      await sleep(1000);
      twap = (await call(s, 'GET', `/v1/twap-orders/${id}`, undefined, token)).body;
    } while (twap?.status !== 'COMPLETED' && Date.now() < deadline);
    const rows = await s.sql<{ id: string; client_order_id: string; status: string; executed_qty: string }[]>`
      SELECT id, client_order_id, status, executed_qty::text FROM orders WHERE parent_kind = 'twap' AND parent_id = ${id}`;
    const venue = await s.sql<{ client_order_id: string; n: number }[]>`
      SELECT client_order_id, count(*)::int AS n FROM paper_orders WHERE client_order_id IN ${s.sql(rows.length ? rows.map((r) => r.client_order_id) : [''])} GROUP BY client_order_id`;
    const expected = new Set(Array.from({ length: SLICES }, (_, i) => sliceOrderId(id, i)));
    const deviations = (twap?.sliceList ?? []).map((x: { startedAt: string; scheduledAt: string }) => Date.parse(x.startedAt) - Date.parse(x.scheduledAt)).sort((a: number, b: number) => a - b);
    s.note(`TWAP ${twap?.status}: filled ${twap?.filledQty}/${QUANTITY} at ${twap?.averagePrice}; slice start deviation max ${deviations.at(-1)} ms`);
    counted.set(s, {
      twapSlicesDoubled: venue.filter((v) => v.n > 1).length + rows.filter((r) => !expected.has(r.id)).length,
      twapSlicesMissing: [...expected].filter((e) => !rows.some((r) => r.id === e)).length + rows.filter((r) => !venue.some((v) => v.client_order_id === r.client_order_id)).length,
      twapSlicesNotFilled: rows.filter((r) => r.status !== 'FILLED').length,
      twapNotCompleted: twap?.status === 'COMPLETED' && twap.filledQty === QUANTITY ? 0 : 1,
    });
  },
  counts: (s) => counted.get(s) ?? { twapNotAudited: 1 },
};
