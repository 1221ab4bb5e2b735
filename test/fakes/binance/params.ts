/**
 * Reading Binance request parameters with Binance's rejections: -1102 for a missing or malformed
 * mandatory value, -1100 for illegal characters, -1121 for a symbol the fake does not list.
 */
import { apiErrors, BinanceApiError } from './api-error.js';
import { D, type Dec, DECIMAL_PARAM } from './decimal.js';
import type { FakeState } from './state.js';
import type { SymbolEntry } from './symbols.js';

const SYMBOLS_RANGE = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$';

export function required(params: Map<string, string>, name: string): string {
  const v = params.get(name);
  if (v === undefined || v === '') throw apiErrors.mandatory(name);
  return v;
}

export function optionalDecimal(params: Map<string, string>, name: string): Dec | undefined {
  const v = params.get(name);
  if (v === undefined) return undefined;
  if (!DECIMAL_PARAM.test(v)) throw apiErrors.mandatory(name);
  return new D(v);
}

export function requiredDecimal(params: Map<string, string>, name: string): Dec {
  const v = optionalDecimal(params, name);
  if (v === undefined) throw apiErrors.mandatory(name);
  return v;
}

export function optionalInt(params: Map<string, string>, name: string): number | undefined {
  const v = params.get(name);
  if (v === undefined) return undefined;
  if (!/^-?\d{1,16}$/.test(v)) throw apiErrors.mandatory(name);
  return Number(v);
}

export function knownSymbol(state: FakeState, symbol: string): SymbolEntry {
  const entry = state.symbols.get(symbol);
  if (!entry) throw apiErrors.invalidSymbol();
  return entry;
}

export function requiredSymbol(state: FakeState, params: Map<string, string>): SymbolEntry {
  return knownSymbol(state, required(params, 'symbol'));
}

/** `symbols=["BTCUSDT","ETHUSDT"]` (URL-decoded already); every one must be known. */
export function symbolList(state: FakeState, raw: string): SymbolEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw apiErrors.illegalChars('symbols', SYMBOLS_RANGE);
  }
  if (!Array.isArray(parsed) || !parsed.every((s): s is string => typeof s === 'string' && /^[A-Z0-9-_.]{1,20}$/.test(s))) {
    throw apiErrors.illegalChars('symbols', SYMBOLS_RANGE);
  }
  if (new Set(parsed).size !== parsed.length) throw new BinanceApiError(400, -1151, 'Symbol is present multiple times in the list.');
  return parsed.map((s) => knownSymbol(state, s));
}
