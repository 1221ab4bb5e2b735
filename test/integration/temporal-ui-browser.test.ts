/**
 * The Temporal Web UI as a new user meets it, in headless Chromium (the Debian `chromium` package,
 * driven by playwright-core): `npm start` with nothing set, an order placed, its link opened. The
 * page must show the order decoded (no codec banner, no ciphertext), and the "your orders" link
 * must list it. Screenshots land in test-results/.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../lib/embedded/process.js';
import { npmStart, npmStartEnv } from '../helpers/npm-start.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.resolve('test-results');
// A fresh machine: nothing configured but the ports, where the data goes, and OFFLINE (no internet here).
const { env, ports, api } = await npmStartEnv('ui-browser', { OFFLINE: '1', LOG_LEVEL: 'info' });
const SYMBOL = 'BTCUSDT';

let stack: ChildProcess | undefined;
let browser: Browser | undefined;
let order: { id: string; links: { temporalUi: string; temporalUiOrders: string } };
let latestRunLink: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`);
  mkdirSync(SHOTS, { recursive: true });
  const started = await npmStart(env);
  stack = started.child;
  const out = started.output();
  expect(out).toContain(`All orders   http://localhost:${ports.TEMPORAL_UI_PORT}/namespaces/default/workflows?query=`);
  // Offline, the worker follows the stand-in Binance's user data stream with the environment's key.
  await waitFor(async () => started.output(), (o) => o.includes('user data stream subscribed'), { what: 'the user data stream', timeoutMs: 30_000 });

  const registered = await fetch(`${api}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ui-browser@durable-trader.test', password: 'correct horse battery staple' }),
  });
  const { token } = (await registered.json()) as { token: string };
  const authorization = `Bearer ${token}`;
  // The paper venue fills against stored prices: the first read fetches one from the (offline) provider.
  await waitFor(
    async () => ((await (await fetch(`${api}/v1/prices?symbols=${SYMBOL}`, { headers: { authorization } })).json()) as Array<{ price: string | null }>)[0]?.price,
    (price) => Boolean(price),
    { what: `a ${SYMBOL} price`, timeoutMs: 60_000, everyMs: 1000 },
  );
  const placed = await fetch(`${api}/v1/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ symbol: SYMBOL, side: 'BUY', type: 'LIMIT', quantity: '0.0123', price: '1000', venue: 'paper' }),
  });
  expect(placed.status).toBe(202);
  order = (await placed.json()) as typeof order;
  // Resting below the market: the page shows a working order.
  await waitFor(async () => ((await (await fetch(`${api}/v1/orders/${order.id}`, { headers: { authorization } })).json()) as { status: string }).status, (s) => s === 'NEW', {
    what: 'the order to rest',
    timeoutMs: 60_000,
  });
  // GET gives the link without a run id: the page of the workflow's latest run.
  latestRunLink = ((await (await fetch(`${api}/v1/orders/${order.id}`, { headers: { authorization } })).json()) as { links: { temporalUi: string } }).links.temporalUi;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (stack?.pid && isAlive(stack.pid)) {
    const gone = new Promise((r) => stack!.once('exit', r));
    stack.kill('SIGINT');
    await gone;
  }
}, 60_000);

async function open(url: string): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1440, height: 1100 } });
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  return page;
}

describe('the Temporal Web UI of a fresh `npm start`', () => {
  it("shows an order's page decoded, summarised, with no codec banner", async () => {
    const page = await open(order.links.temporalUi);
    try {
      // The summary is a payload too: readable only through the codec server.
      await page.getByText(`BUY 0.0123 ${SYMBOL} LIMIT 1000 · paper`).first().waitFor({ timeout: 60_000 });
      await page.getByText(`"${SYMBOL}"`).first().waitFor({ timeout: 30_000 });
      const text = await page.locator('body').innerText();
      expect(text).toContain('"0.0123"');
      expect(text).not.toMatch(/codec server could not connect/i);
      expect(text).not.toContain('binary/encrypted');
    } finally {
      await page.screenshot({ path: path.join(SHOTS, 'temporal-ui-order.png'), fullPage: true });
      await page.close();
    }
  }, 120_000);

  it('opens the same order from the link without a run id (GET /v1/orders/:id)', async () => {
    expect(latestRunLink).not.toContain(`/${order.id}/`);
    const page = await open(latestRunLink);
    try {
      await page.getByText(`BUY 0.0123 ${SYMBOL} LIMIT 1000 · paper`).first().waitFor({ timeout: 60_000 });
      expect(await page.locator('body').innerText()).not.toContain('Bad Request');
    } finally {
      await page.close();
    }
  }, 120_000);

  it("lists the order on the account's filtered list", async () => {
    const page = await open(order.links.temporalUiOrders);
    try {
      await page.getByText(`order-${order.id}`).first().waitFor({ timeout: 60_000 });
      expect(await page.locator('body').innerText()).not.toMatch(/refreshPrices|price-refresh/);
    } finally {
      await page.screenshot({ path: path.join(SHOTS, 'temporal-ui-orders.png'), fullPage: true });
      await page.close();
    }
  }, 120_000);
});
