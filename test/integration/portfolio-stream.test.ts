/**
 * The `portfolio` channel of /v1/stream over the real stack: manual trades through the API, the
 * portfolio workflow's recalculation on real workers, its NOTIFY on commit, and a real `ws` client
 * of the API served by @hono/node-server with the stream attached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startStreamApi, type StreamApi } from '../helpers/stream-server.js';
import { startEngine, type TestAccount, type TestEngine } from '../helpers/engine.js';
import { enforceContract, expectContractKept, type Contract } from '../helpers/openapi-contract.js';
import { waitFor } from '../helpers/wait.js';

// A symbol of this file only, so prices set here move nothing of other files.
const STOCK = 'PSTRMAAPL';
/** Long enough for a push that was coming to have come: the notification arrives within milliseconds of the commit. */
const QUIET_MS = 500;

let e: TestEngine;
let contract: Contract;
let api: StreamApi;

beforeAll(async () => {
  e = await startEngine({ PORTFOLIO_DEBOUNCE: '50ms' });
  contract = await enforceContract(e.app);
  api = await startStreamApi(e);
  await e.setPrice(STOCK, '120');
});
afterAll(async () => {
  await api?.close();
  await e?.stop();
});

expectContractKept();

/** A `ws` client of one account that keeps every frame it gets. */
class Client {
  readonly frames: any[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(JSON.parse(data.toString())));
  }

  static open(account: TestAccount): Promise<Client> {
    const ws = new WebSocket(api.url, { headers: { authorization: `Bearer ${account.token}` } });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Client(ws)));
      ws.once('error', reject);
    });
  }

  /** The frames after the `from`-th that match, once at least `count` have come. */
  async await(match: (f: any) => boolean, { from = 0, count = 1, timeoutMs = 10_000 } = {}): Promise<any[]> {
    return waitFor(async () => this.frames.slice(from).filter(match), (f) => f.length >= count, { timeoutMs, everyMs: 20, what: `${count} matching frame(s); got ${JSON.stringify(this.frames)}` });
  }

  /** Subscribes to `portfolio`; returns the snapshot (the frames before `subscribed`). */
  async subscribe(): Promise<any[]> {
    const from = this.frames.length;
    this.ws.send(JSON.stringify({ type: 'subscribe', channel: 'portfolio' }));
    await this.await((f) => f.type === 'subscribed' && f.channel === 'portfolio', { from });
    const end = this.frames.findIndex((f, i) => i >= from && f.type === 'subscribed');
    return this.frames.slice(from, end);
  }

  portfolioFrames(from = 0): any[] {
    return this.frames.slice(from).filter((f) => f.type === 'portfolio');
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

async function trade(account: TestAccount, side: 'BUY' | 'SELL', quantity: string, price: string): Promise<void> {
  const res = await e.callAs(account.id, 'POST', '/v1/trades', { symbol: STOCK, side, quantity, price });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

/** GET /v1/portfolio once the workflow has folded in `count` trades. */
async function settled(account: TestAccount, count: number) {
  return waitFor(async () => (await e.callAs(account.id, 'GET', '/v1/portfolio')).body, (p) => p?.trades === String(count), {
    timeoutMs: 20_000,
    what: `the portfolio of ${account.id} to hold ${count} trades`,
  });
}

const quiet = () => new Promise((r) => setTimeout(r, QUIET_MS));

describe('the portfolio channel of /v1/stream', () => {
  it('sends the owner its current portfolio on subscribe, then the result of the next recalculation with the new position', async () => {
    const owner = await e.registerUser();
    await trade(owner, 'BUY', '10', '100');
    const before = await settled(owner, 1);
    const client = await Client.open(owner);
    try {
      const snapshot = await client.subscribe();
      expect(snapshot.map((f) => f.type)).toEqual(['portfolio']);
      const [first] = snapshot;
      expect(first.data).toMatchObject({ portfolioId: owner.id, asOf: before.asOf, totals: { totalValue: before.totalValue, trades: '1' } });
      expect(first.data.positions).toEqual([expect.objectContaining({ symbol: STOCK, venue: 'manual', quantity: '10', avgCost: '100', marketPrice: '120' })]);
      // Positions in the documented shape of POST /v1/portfolio/recalculate's.
      for (const p of first.data.positions) expect(contract.check({ $ref: '#/components/schemas/PositionDetail' }, p), JSON.stringify(p)).toEqual([]);

      const from = client.frames.length;
      await trade(owner, 'BUY', '5', '110');
      const [pushed] = await client.await((f) => f.type === 'portfolio' && f.data.totals.trades === '2', { from });
      expect(pushed.data.positions).toEqual([expect.objectContaining({ symbol: STOCK, quantity: '15', marketValue: '1800' })]);
      expect(Date.parse(pushed.data.asOf)).toBeGreaterThan(Date.parse(first.data.asOf));
      const after = await settled(owner, 2);
      expect(pushed.data).toMatchObject({ asOf: after.asOf, totals: { totalValue: after.totalValue, totalCost: after.totalCost, realizedPnl: after.realizedPnl } });
    } finally {
      await client.close();
    }
  });

  it('sends a snapshot of every portfolio of the account, and pushes each one with its own id', async () => {
    const owner = await e.registerUser();
    await trade(owner, 'BUY', '1', '100');
    await settled(owner, 1);
    const created = await e.callAs(owner.id, 'POST', '/v1/portfolios', { name: 'Second' });
    expect(created.status).toBe(201);
    const second = created.body.id as string;
    const res = await e.callAs(owner.id, 'POST', '/v1/trades', { portfolioId: second, symbol: STOCK, side: 'BUY', quantity: '2', price: '100' });
    expect(res.status).toBe(201);
    await waitFor(async () => (await e.callAs(owner.id, 'GET', `/v1/portfolios/${second}`)).body, (p) => p?.trades === '1', { timeoutMs: 20_000, what: 'the second portfolio' });
    const client = await Client.open(owner);
    try {
      const snapshot = await client.subscribe();
      expect(snapshot.map((f) => f.data.portfolioId)).toEqual([owner.id, second]);
      expect(snapshot[1].data.positions).toEqual([expect.objectContaining({ symbol: STOCK, quantity: '2' })]);
      const from = client.frames.length;
      await e.callAs(owner.id, 'POST', '/v1/trades', { portfolioId: second, symbol: STOCK, side: 'SELL', quantity: '1', price: '120' });
      const [pushed] = await client.await((f) => f.type === 'portfolio' && f.data.portfolioId === second && f.data.totals.trades === '2', { from });
      expect(pushed.data.positions).toEqual([expect.objectContaining({ symbol: STOCK, quantity: '1' })]);
    } finally {
      await client.close();
    }
  });

  it("pushes nothing about one account's portfolio to another account's session subscribed at the same time", async () => {
    const owner = await e.registerUser();
    const other = await e.registerUser();
    await trade(other, 'BUY', '1', '100');
    await settled(other, 1);
    const [mine, theirs] = await Promise.all([Client.open(owner), Client.open(other)]);
    try {
      const [mySnapshot, theirSnapshot] = await Promise.all([mine.subscribe(), theirs.subscribe()]);
      expect(mySnapshot).toEqual([]);
      expect(theirSnapshot.map((f) => f.data.portfolioId)).toEqual([other.id]);

      await trade(owner, 'BUY', '2', '100');
      await mine.await((f) => f.type === 'portfolio' && f.data.totals.trades === '1');
      await quiet();
      // The other session heard the same NOTIFY: it got nothing but its own snapshot.
      expect(theirs.portfolioFrames()).toEqual(theirSnapshot);
      expect(JSON.stringify(theirs.frames)).not.toContain(owner.id);
      expect(mine.portfolioFrames().map((f) => f.data.portfolioId)).toEqual([owner.id]);
    } finally {
      await Promise.all([mine.close(), theirs.close()]);
    }
  });

  it('sends nothing before the first recalculation of an account, then pushes its first result', async () => {
    const owner = await e.registerUser();
    const client = await Client.open(owner);
    try {
      expect(await client.subscribe()).toEqual([]);
      await trade(owner, 'BUY', '3', '100');
      const [first] = await client.await((f) => f.type === 'portfolio');
      expect(first.data).toMatchObject({ portfolioId: owner.id, totals: { trades: '1' } });
      expect(first.data.positions).toEqual([expect.objectContaining({ symbol: STOCK, quantity: '3' })]);
    } finally {
      await client.close();
    }
  });

  it('stops pushing once the session unsubscribes', async () => {
    const owner = await e.registerUser();
    await trade(owner, 'BUY', '4', '100');
    await settled(owner, 1);
    const client = await Client.open(owner);
    try {
      expect((await client.subscribe()).map((f) => f.type)).toEqual(['portfolio']);
      client.ws.send(JSON.stringify({ type: 'unsubscribe', channel: 'portfolio' }));
      await client.await((f) => f.type === 'unsubscribed' && f.channel === 'portfolio');
      const from = client.frames.length;
      await trade(owner, 'SELL', '1', '130');
      await settled(owner, 2);
      await quiet();
      expect(client.frames.slice(from)).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('sends a subscriber the result recalculated while its LISTEN connection was down, once it is back', async () => {
    const owner = await e.registerUser();
    await trade(owner, 'BUY', '6', '100');
    const stored = await settled(owner, 1);
    const client = await Client.open(owner);
    try {
      await client.subscribe();
      const from = client.frames.length;
      // A recalculation whose NOTIFY nobody heard: its result is in the row, and no notification follows.
      const later = new Date(Date.parse(stored.asOf) + 1000).toISOString();
      await e.sql`UPDATE portfolios SET summary = jsonb_set(summary, '{asOf}', to_jsonb(${later}::text)) WHERE account_id = ${owner.id}`;
      await quiet();
      expect(client.portfolioFrames(from)).toEqual([]);
      // The API's LISTEN connection (the only one in this run's database) drops; postgres.js listens again, the hub resyncs.
      const dropped = await e.sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'listen %'`;
      expect(dropped.length).toBe(1);
      const [resent] = await client.await((f) => f.type === 'portfolio', { from });
      expect(resent.data).toMatchObject({ portfolioId: owner.id, asOf: later, positions: [expect.objectContaining({ quantity: '6' })] });
      // Every channel's LISTEN asks for a resync: the same result is still sent once.
      await quiet();
      expect(client.portfolioFrames(from)).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('refuses symbols on the portfolio channel', async () => {
    const client = await Client.open(e.account);
    try {
      client.ws.send(JSON.stringify({ type: 'subscribe', channel: 'portfolio', symbols: [STOCK] }));
      const [error] = await client.await((f) => f.type === 'error');
      expect(error.error).toMatchObject({ code: 'invalid_message', message: 'symbols: is not allowed for the portfolio channel' });
    } finally {
      await client.close();
    }
  });
});
