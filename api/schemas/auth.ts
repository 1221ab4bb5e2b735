/** What /v1/auth, /v1/me, /v1/exchange-credentials and the codec sign-in read and answer. */
import { z } from '@hono/zod-openapi';
import { isoTime } from './common.js';

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

export const credentialVenueParams = z.strictObject({
  venue: z.enum(['binance']).openapi({ param: { name: 'venue', in: 'path', description: 'The venue; the engine has "binance"' }, example: 'binance' }),
});

// --- Answers --------------------------------------------------------------------------------------

export const signedInSchema = z
  .strictObject({
    token: z.string().openapi({ description: 'JWT access token; send as Authorization: Bearer <token>' }),
    tokenType: z.literal('Bearer'),
    expiresAt: isoTime,
    user: z.strictObject({ id: z.uuid(), email: z.email() }),
  })
  .openapi('SignedIn');

export const meSchema = z.strictObject({ id: z.uuid(), email: z.email(), createdAt: isoTime }).openapi('Account');

export const credentialStatusSchema = z
  .strictObject({
    configured: z.boolean(),
    apiKeyLast4: z.string().length(4).nullable().openapi({ description: "The key's last four characters; null when none is stored" }),
  })
  .openapi('CredentialStatus');
