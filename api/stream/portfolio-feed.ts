/**
 * Recalculated portfolios, read once for every session of their account. The hub hears only ids
 * (a NOTIFY payload is small); the result is read from the portfolio's row, one read at a time per
 * portfolio: notifications that arrive while a read is in flight ask for one more read after it,
 * however many they are, since a read always returns the latest result.
 */
import type { PortfolioResult } from '../../domain/portfolio/result.js';
import type { Logger } from '../../lib/logger.js';
import type { PortfolioChange } from './hub.js';
import { portfolioView, type PortfolioView } from './protocol.js';

export interface PortfolioFeedOptions {
  /** The portfolio's latest result (latestPortfolioResult of store/portfolio-events.ts). */
  read(change: PortfolioChange): Promise<PortfolioResult | undefined>;
  log: Logger;
  /** Hands a result just read to the sessions; each one decides whether it is theirs. */
  deliver(accountId: string, view: PortfolioView): void;
}

export interface PortfolioFeed {
  /** A recalculation of `change.portfolioId` committed: read it (now, or once the read in flight ends). */
  changed(change: PortfolioChange): void;
  /** Takes no more changes; resolves once the reads in flight have ended. */
  close(): Promise<void>;
}

/**
 * @example
 * const feed = createPortfolioFeed({ read: (change) => latestPortfolioResult(sql, change), log, deliver: (accountId, view) => sessions.forEach((s) => s.onPortfolio(accountId, view)) });
 * hub.onPortfolio((change) => feed.changed(change));
 */
export function createPortfolioFeed({ read, log, deliver }: PortfolioFeedOptions): PortfolioFeed {
  /** Per portfolio being read: whether a notification came in since its read began. */
  const reading = new Map<string, { again: boolean }>();
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  async function readUntilQuiet(change: PortfolioChange, state: { again: boolean }): Promise<void> {
    do {
      state.again = false;
      try {
        const result = await read(change);
        if (result) deliver(change.accountId, portfolioView(change.portfolioId, result));
      } catch (err) {
        // The sessions keep the result they were sent; the next recalculation's read brings the latest.
        log.error('could not read a recalculated portfolio', { err, accountId: change.accountId, portfolioId: change.portfolioId });
      }
    } while (state.again && !closed);
  }

  return {
    changed(change) {
      if (closed) return;
      const running = reading.get(change.portfolioId);
      if (running) {
        running.again = true;
        return;
      }
      const state = { again: false };
      reading.set(change.portfolioId, state);
      const done = readUntilQuiet(change, state).finally(() => {
        reading.delete(change.portfolioId);
        inFlight.delete(done);
      });
      inFlight.add(done);
    },
    async close() {
      closed = true;
      await Promise.all(inFlight);
    },
  };
}
