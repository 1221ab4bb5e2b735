/** Schemas shared by several routes. */
import { z } from 'zod';

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

export const uuidParam = z.string().uuid();
