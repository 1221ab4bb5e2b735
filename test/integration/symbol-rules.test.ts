/**
 * The symbol rules a process holds between reads of `symbol_rules`: each order's checks take them
 * from memory for a few seconds, and a refresh through this process replaces them at once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Exchange, SymbolRules } from '../../domain/exchange.js';
import { loadSymbolRules, refreshSymbolRules } from '../../store/symbol-rules.js';
import { testSql } from '../helpers/env.js';

const sql = testSql();
afterAll(() => sql.end({ timeout: 2 }));

const symbol = `R${randomUUID().slice(0, 6).toUpperCase()}USDT`;
const rules = (status: string): SymbolRules => ({ symbol, status, baseAsset: symbol.replace(/USDT$/, ''), quoteAsset: 'USDT', orderTypes: ['MARKET', 'LIMIT'] });
let venueReads = 0;
const venue = { venue: 'paper', getSymbolRules: async () => (venueReads++, [rules('TRADING')]) } as unknown as Exchange;

describe('symbol rules held in the process', () => {
  it('reads Postgres once for a burst of checks, and follows a refresh made through this process', async () => {
    await refreshSymbolRules(sql, 'paper', [rules('TRADING')]);
    expect((await loadSymbolRules(sql, venue, symbol, 3_600_000))?.status).toBe('TRADING');
    // Changed behind the process's back: the held copy answers for a few seconds.
    await sql`UPDATE symbol_rules SET status = 'BREAK', rules = rules || '{"status":"BREAK"}'::jsonb WHERE venue = 'paper' AND symbol = ${symbol}`;
    expect((await loadSymbolRules(sql, venue, symbol, 3_600_000))?.status).toBe('TRADING');
    // A refresh through this process replaces it at once.
    await refreshSymbolRules(sql, 'paper', [rules('HALT')]);
    expect((await loadSymbolRules(sql, venue, symbol, 3_600_000))?.status).toBe('HALT');
    expect(venueReads).toBe(0);
  });

  it('never holds rules past their maximum age: older ones are fetched from the venue', async () => {
    expect((await loadSymbolRules(sql, venue, symbol, 0))?.status).toBe('TRADING');
    expect(venueReads).toBe(1);
  });
});
