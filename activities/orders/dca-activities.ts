/**
 * Activities of the `dcaBuy` workflow: claim the firing's buy (keyed by the firing, so a rerun
 * finds the same order id), read the price and the symbol's rules a buy is sized with, and settle
 * the buy as placed or skipped. Unknown symbols and missing prices are answers, not failures: the
 * buy is skipped with the reason; a venue that does not answer is retried.
 */
import { randomUUID } from 'node:crypto';
import { dcaRulesOf, type DcaRules } from '../../domain/dca.js';
import type { Exchange, Venue } from '../../domain/exchange.js';
import { ExchangeRejectedError } from '../../domain/venue-errors.js';
import type { Sql } from '../../lib/db.js';
import { claimDcaBuy, settleDcaBuy, type DcaBuyClaim } from '../../store/dca-plans.js';
import { loadSymbolRules } from '../../store/symbol-rules.js';
import { toFailure } from './venue-activities.js';
import { PriceUnavailableError } from '../../domain/market-data/errors.js';

export interface DcaActivitiesDeps {
  sql: Sql;
  exchangeFor(venue: Venue, accountId: string): Promise<Exchange>;
  /** Latest known price of a symbol (stored, or a first fetch from its provider). */
  referencePrice(symbol: string): Promise<string | null>;
  rulesMaxAgeMs?: number;
}

export type DcaClaim = DcaBuyClaim | { planStatus: 'PAUSED' | 'DELETED' | 'MISSING' };

export type DcaMarketTerms = { ok: true; price: string; rules: DcaRules } | { ok: false; reason: string };

/**
 * @example worker activities: { ...createDcaActivities({ sql, exchangeFor, referencePrice }) }
 */
export function createDcaActivities({ sql, exchangeFor, referencePrice, rulesMaxAgeMs = 3_600_000 }: DcaActivitiesDeps) {
  return {
    /** The firing's buy: its number and order id, the same on every call for the same firing. */
    async claimDcaBuy(input: { planId: string; firingId: string; quoteAmount: string }): Promise<DcaClaim> {
      return (await claimDcaBuy(sql, { ...input, orderId: randomUUID() })) as DcaClaim;
    },

    /** The latest price and the MARKET rules of the symbol on the venue, or why there are none. */
    async dcaMarketTerms({ venue, accountId, symbol }: { venue: Venue; accountId: string; symbol: string }): Promise<DcaMarketTerms> {
      const exchange = await exchangeFor(venue, accountId);
      let rules;
      try {
        rules = await loadSymbolRules(sql, exchange, symbol, rulesMaxAgeMs);
      } catch (err) {
        if (err instanceof ExchangeRejectedError && err.code === -1121) rules = null;
        // No price because its provider failed: the skip names the provider and its error.
        else if (err instanceof PriceUnavailableError) return { ok: false, reason: err.message };
        else return toFailure(err);
      }
      if (!rules) return { ok: false, reason: `${symbol} is not traded on ${venue}` };
      if (rules.status !== 'TRADING') return { ok: false, reason: `${symbol} is not trading on ${venue} (status ${rules.status})` };
      if (!rules.orderTypes.includes('MARKET')) return { ok: false, reason: `MARKET orders are not supported for ${symbol} on ${venue}` };
      const price = await referencePrice(symbol);
      if (!price) return { ok: false, reason: `no price for ${symbol} yet` };
      return { ok: true, price, rules: dcaRulesOf(rules) };
    },

    /** Records the buy as PLACED (with its size) or SKIPPED (with why). Repeating it changes nothing. */
    async settleDcaBuy(input: { planId: string; firingId: string; status: 'PLACED' | 'SKIPPED'; price: string | null; quantity: string | null; reason: string | null }): Promise<void> {
      await settleDcaBuy(sql, input);
    },
  };
}

export type DcaActivities = ReturnType<typeof createDcaActivities>;
