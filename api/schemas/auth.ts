/** Request schemas of /v1/auth and /v1/exchange-credentials. */
import { z } from 'zod';

export const emailSchema = z.email({ error: 'must be an email address such as "ada@example.com"' }).max(254);

export const registerSchema = z.strictObject({
  email: emailSchema,
  // NIST SP 800-63B: length over composition rules; scrypt takes any length, the cap bounds the work.
  password: z.string({ error: 'must be a string' }).min(12, 'must be at least 12 characters').max(256, 'must be at most 256 characters'),
});

/** Login tells nothing about the password policy: any non-empty password is checked. */
export const loginSchema = z.strictObject({
  email: emailSchema,
  password: z.string({ error: 'must be a string' }).min(1, 'is required').max(256, 'must be at most 256 characters'),
});

const credentialPart = (what: string) =>
  z.string({ error: `must be a string (your Binance ${what})` }).regex(/^[\x21-\x7e]{8,512}$/, `must be 8-512 printable characters without spaces (your Binance ${what})`);

export const credentialsSchema = z.strictObject({ apiKey: credentialPart('API key'), apiSecret: credentialPart('API secret') });

export const credentialVenueParam = z.strictObject({ venue: z.enum(['binance'], { error: 'must be "binance"' }) });
