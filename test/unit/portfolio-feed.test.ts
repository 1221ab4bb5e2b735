import { describe, expect, it } from 'vitest';
import { createPortfolioFeed } from '../../api/stream/portfolio-feed.js';
import type { PortfolioChange } from '../../api/stream/hub.js';
import type { PortfolioView } from '../../api/stream/protocol.js';
import type { PortfolioResult } from '../../domain/portfolio/result.js';
import { createLogger } from '../../lib/logger.js';

const ACCOUNT = '7e57a1c3-2b4d-4e6f-8a9b-0c1d2e3f4a5b';
const OTHER = '0b7e1f2a-3c4d-4e5f-9a6b-7c8d9e0f1a2b';
const change = (accountId: string, asOf = '2025-05-01T14:30:00.000Z'): PortfolioChange => ({ accountId, portfolioId: accountId, asOf });
/** Only what the feed passes on; the rest of a result does not concern it. */
const resultAt = (accountId: string, asOf: string) => ({ accountId, asOf, positions: [], totals: { baseCurrency: 'USD' } }) as unknown as PortfolioResult;

/** A feed whose reads wait until the test releases them, one by one, with the given result. */
function feedWithHeldReads() {
  const reads: Array<{ change: PortfolioChange; release(result: PortfolioResult | Error): void }> = [];
  const delivered: Array<{ accountId: string; view: PortfolioView }> = [];
  const logged: string[] = [];
  const feed = createPortfolioFeed({
    read: (c) =>
      new Promise((resolve, reject) => reads.push({ change: c, release: (r) => (r instanceof Error ? reject(r) : resolve(r)) })),
    log: createLogger('test-feed', { level: 'error', write: (line) => logged.push(line) }),
    deliver: (accountId, view) => delivered.push({ accountId, view }),
  });
  return { feed, reads, delivered, logged };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('the portfolio feed of /v1/stream', () => {
  it('reads once more after a read in flight, however many notifications arrived during it', async () => {
    const { feed, reads, delivered } = feedWithHeldReads();
    feed.changed(change(ACCOUNT));
    for (let i = 0; i < 5; i++) feed.changed(change(ACCOUNT));
    expect(reads).toHaveLength(1);
    reads[0]!.release(resultAt(ACCOUNT, '2025-05-01T14:30:00.000Z'));
    await settle();
    expect(reads).toHaveLength(2);
    reads[1]!.release(resultAt(ACCOUNT, '2025-05-01T14:30:01.000Z'));
    await settle();
    expect(reads).toHaveLength(2);
    expect(delivered.map((d) => [d.accountId, d.view.portfolioId, d.view.asOf])).toEqual([
      [ACCOUNT, ACCOUNT, '2025-05-01T14:30:00.000Z'],
      [ACCOUNT, ACCOUNT, '2025-05-01T14:30:01.000Z'],
    ]);
  });

  it('reads a single notification once', async () => {
    const { feed, reads, delivered } = feedWithHeldReads();
    feed.changed(change(ACCOUNT));
    reads[0]!.release(resultAt(ACCOUNT, '2025-05-01T14:30:00.000Z'));
    await settle();
    expect(reads).toHaveLength(1);
    expect(delivered).toHaveLength(1);
  });

  it('reads each portfolio on its own: a read in flight for one holds back no other', () => {
    const { feed, reads } = feedWithHeldReads();
    feed.changed(change(ACCOUNT));
    feed.changed(change(OTHER));
    expect(reads.map((r) => r.change.portfolioId)).toEqual([ACCOUNT, OTHER]);
  });

  it('delivers the view the stream sends: the ids, asOf, positions and totals of the result', async () => {
    const { feed, reads, delivered } = feedWithHeldReads();
    feed.changed(change(ACCOUNT));
    reads[0]!.release(resultAt(ACCOUNT, '2025-05-01T14:30:00.000Z'));
    await settle();
    expect(delivered).toEqual([{ accountId: ACCOUNT, view: { portfolioId: ACCOUNT, asOf: '2025-05-01T14:30:00.000Z', positions: [], totals: { baseCurrency: 'USD' } } }]);
  });

  it('logs a failed read, still makes the read a notification asked for during it, and reads again on the next one', async () => {
    const { feed, reads, delivered, logged } = feedWithHeldReads();
    feed.changed(change(ACCOUNT));
    feed.changed(change(ACCOUNT));
    reads[0]!.release(new Error('connection lost'));
    await settle();
    expect(logged.join('\n')).toMatch(/could not read a recalculated portfolio/);
    reads[1]!.release(resultAt(ACCOUNT, '2025-05-01T14:30:00.000Z'));
    await settle();
    feed.changed(change(ACCOUNT));
    expect(reads).toHaveLength(3);
    expect(delivered).toHaveLength(1);
  });

  it('delivers nothing for a portfolio not computed yet', async () => {
    const { feed, reads, delivered } = feedWithHeldReads();
    feed.changed(change(ACCOUNT));
    reads[0]!.release(undefined as unknown as PortfolioResult);
    await feed.close();
    expect(reads).toHaveLength(1);
    expect(delivered).toEqual([]);
  });

  it('waits on close for the reads in flight, and takes no more changes', async () => {
    const { feed, reads, delivered } = feedWithHeldReads();
    feed.changed(change(ACCOUNT));
    feed.changed(change(ACCOUNT));
    let closed = false;
    const closing = feed.close().then(() => (closed = true));
    await settle();
    expect(closed).toBe(false);
    reads[0]!.release(resultAt(ACCOUNT, '2025-05-01T14:30:00.000Z'));
    await closing;
    feed.changed(change(ACCOUNT));
    expect(reads).toHaveLength(1);
    expect(delivered).toHaveLength(1);
  });
});
