/** Schemas shared by several routes, for what they read and what they answer. */
import { z } from '@hono/zod-openapi';

/**
 * A positive decimal as a JSON string: digits, an optional fraction, nothing else. Refuses numbers,
 * exponents ("1e400"), NaN, signs ("-0.5"), hex ("0x10"), padding and more than 20+18 digits.
 */
export const positiveDecimal = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a decimal string such as "0.01" (not a JSON number)') })
  .regex(/^(0|[1-9]\d{0,19})(\.\d{1,18})?$/, 'must be a plain decimal string such as "0.01" (at most 20 integer and 18 fraction digits)')
  .refine((s) => /[1-9]/.test(s), 'must be greater than zero');

export const symbolSchema = z
  .string()
  .regex(/^[A-Z0-9][A-Z0-9.^=-]{0,19}$/, 'must be an upper-case symbol such as "BTCUSDT" or "AAPL"');

export const uuidParam = z.uuid();

/**
 * A page size in a query string: a plain integer ("50"), never "1e2", "0x10", "+5" or "5.0".
 * @example z.strictObject({ limit: queryLimit(200, 50) })
 */
export function queryLimit(max: number, fallback: number) {
  return z
    .string()
    .regex(/^[0-9]{1,9}$/, 'must be a plain integer such as "50"')
    .default(String(fallback))
    .transform(Number)
    .pipe(z.number().int().min(1).max(max))
    .openapi({ type: 'integer', minimum: 1, maximum: max, default: fallback, description: `Page size, ${fallback} when left out`, example: fallback });
}

export const cursorParam = z
  .string()
  .max(200)
  .optional()
  .openapi({ description: 'The `nextCursor` of the previous page; a cursor this API did not return answers 400' });

// --- Answers --------------------------------------------------------------------------------------

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** A decimal as the API answers it: a JSON string, never a number. */
export const decimal = z.string().regex(DECIMAL).openapi({ description: 'Decimal as a string, e.g. "0.01"', example: '0.01' });
/** A decimal that cannot be negative (quantities, prices, fees). */
export const unsignedDecimal = z.string().regex(/^(0|[1-9]\d*)(\.\d+)?$/).openapi({ description: 'Non-negative decimal as a string, e.g. "0.01"', example: '0.01' });
/** A whole count as a string (the accounting core counts in decimals). */
export const countString = z.string().regex(/^(0|[1-9]\d*)$/).openapi({ description: 'Whole number as a string, e.g. "12"', example: '12' });
export const isoTime = z.iso.datetime().openapi({ description: 'ISO-8601 UTC time', example: '2025-05-01T14:30:00.000Z' });

export const sideSchema = z.enum(['BUY', 'SELL']);
export const venueSchema = z.enum(['paper', 'binance']);
export const nextCursor = z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page' });

export const temporalUiLink = z.url().openapi({ description: 'The workflow history in the Temporal Web UI' });
