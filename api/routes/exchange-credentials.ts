/**
 * /v1/exchange-credentials/:venue: the caller's own exchange key pair. Stored sealed (never
 * returned: GET says only whether a pair is set and the key's last four characters); the
 * workers open it inside the activities that sign requests.
 */
import { Hono, type Context } from 'hono';
import { credentialsLast4, deleteCredentials, saveCredentials } from '../../activities/db/exchange-credentials.js';
import { sealCredentials } from '../../activities/exchange/credentials.js';
import type { Sql } from '../../lib/db.js';
import type { SecretBox } from '../../lib/security/secret-box.js';
import { ApiError } from '../errors.js';
import { accountIdOf } from '../principal.js';
import { credentialsSchema, credentialVenueParam } from '../schemas/auth.js';
import { readJson } from '../validation.js';

export interface ExchangeCredentialRoutesOptions {
  sql: Sql;
  /** Seals with CREDENTIALS_KEYS; without it PUT answers 503. */
  box: SecretBox | undefined;
}

function venueOf(c: Context) {
  const parsed = credentialVenueParam.safeParse({ venue: c.req.param('venue') });
  if (!parsed.success) throw new ApiError(404, 'unknown_venue', `No venue ${JSON.stringify(c.req.param('venue'))} takes credentials; the engine has "binance"`);
  return parsed.data.venue;
}

/**
 * @example app.route('/v1/exchange-credentials', exchangeCredentialRoutes({ sql, box }))
 */
export function exchangeCredentialRoutes({ sql, box }: ExchangeCredentialRoutesOptions) {
  return new Hono()
    .put('/:venue', async (c) => {
      const venue = venueOf(c);
      const body = credentialsSchema.parse(await readJson(c));
      if (!box) throw new ApiError(503, 'credentials_unavailable', 'This API instance has no CREDENTIALS_KEYS and cannot store credentials');
      const accountId = accountIdOf(c);
      await saveCredentials(sql, accountId, venue, sealCredentials(box, accountId, venue, body));
      return c.body(null, 204);
    })

    .get('/:venue', async (c) => {
      const last4 = await credentialsLast4(sql, accountIdOf(c), venueOf(c));
      return c.json({ configured: last4 !== undefined, apiKeyLast4: last4 ?? null });
    })

    .delete('/:venue', async (c) => {
      const venue = venueOf(c);
      const accountId = accountIdOf(c);
      // Open orders are polled and canceled with this pair; without it they would fail or use another key.
      const [open] = await sql<{ n: string }[]>`SELECT count(*)::text AS n FROM orders WHERE account_id = ${accountId} AND venue = ${venue} AND status_rank < 9`;
      if (open && open.n !== '0') {
        throw new ApiError(409, 'credentials_in_use', `${open.n} open ${venue} order(s) still use these credentials; cancel them first`, { openOrders: Number(open.n) });
      }
      await deleteCredentials(sql, accountId, venue);
      return c.body(null, 204);
    });
}
