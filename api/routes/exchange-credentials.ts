/**
 * /v1/exchange-credentials/:venue: the caller's own exchange key pair. Stored sealed (never
 * returned: GET says only whether a pair is set and the key's last four characters); the
 * workers open it inside the activities that sign requests.
 */
import { createRoute } from '@hono/zod-openapi';
import { credentialsLast4, deleteCredentials, saveCredentials } from '../../store/exchange-credentials.js';
import { sealCredentials } from '../../store/sealed-credentials.js';
import type { Sql } from '../../lib/db.js';
import type { SecretBox } from '../../lib/security/secret-box.js';
import { ApiError } from '../errors.js';
import { bearerAuth, empty, errors, json, noQuery, noStoreHeader } from '../openapi/responses.js';
import { accountIdOf } from '../principal.js';
import { createRouter } from '../router.js';
import { credentialsSchema, credentialStatusSchema, credentialVenueParams } from '../schemas/auth.js';
import { notFoundForParams } from '../validation.js';

export interface ExchangeCredentialRoutesOptions {
  sql: Sql;
  /** Seals with CREDENTIALS_KEYS; without it PUT answers 503. */
  box: SecretBox | undefined;
}

const UNKNOWN_VENUE = "Not a venue that takes credentials (the engine has 'binance')";
const tags = ['exchange credentials'];

const putCredentials = createRoute({
  method: 'put',
  path: '/{venue}',
  tags,
  operationId: 'putExchangeCredentials',
  summary: 'Store (or replace) your Binance key pair',
  description: 'Sealed with AES-256-GCM (CREDENTIALS_KEYS) and opened only by the worker, right before it signs a request. Never returned.',
  security: bearerAuth,
  request: {
    params: credentialVenueParams,
    query: noQuery,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: credentialsSchema,
          example: { apiKey: 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A', apiSecret: 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j' },
        },
      },
    },
  },
  responses: {
    204: empty('Stored', noStoreHeader),
    ...errors({ auth: true, body: true }, { 404: UNKNOWN_VENUE, 503: 'This instance has no CREDENTIALS_KEYS' }),
  },
});

const getCredentials = createRoute({
  method: 'get',
  path: '/{venue}',
  tags,
  operationId: 'getExchangeCredentials',
  summary: "Whether you stored a key pair, and the key's last four characters",
  security: bearerAuth,
  request: { params: credentialVenueParams, query: noQuery },
  responses: {
    200: json('Status only', credentialStatusSchema, { configured: true, apiKeyLast4: 'Eh8A' }, noStoreHeader),
    ...errors({ auth: true }, { 404: UNKNOWN_VENUE }),
  },
});

const deleteCredentialsRoute = createRoute({
  method: 'delete',
  path: '/{venue}',
  tags,
  operationId: 'deleteExchangeCredentials',
  summary: 'Forget your key pair',
  security: bearerAuth,
  request: { params: credentialVenueParams, query: noQuery },
  responses: {
    204: empty('Deleted (or there was none)', noStoreHeader),
    ...errors({ auth: true }, { 404: UNKNOWN_VENUE, 409: 'Open orders on the venue still use the pair' }),
  },
});

const unknownVenue = notFoundForParams(
  (c) => new ApiError(404, 'unknown_venue', `No venue ${JSON.stringify(c.req.param('venue'))} takes credentials; the engine has "binance"`),
);

/**
 * @example app.route('/v1/exchange-credentials', exchangeCredentialRoutes({ sql, box }))
 */
export function exchangeCredentialRoutes({ sql, box }: ExchangeCredentialRoutesOptions) {
  return createRouter()
    .openapi(
      putCredentials,
      async (c) => {
        const { venue } = c.req.valid('param');
        const body = c.req.valid('json');
        if (!box) throw new ApiError(503, 'credentials_unavailable', 'This instance has no CREDENTIALS_KEYS and cannot store credentials');
        const accountId = accountIdOf(c);
        await saveCredentials(sql, accountId, venue, sealCredentials(box, accountId, venue, body));
        return c.body(null, 204);
      },
      unknownVenue,
    )
    .openapi(
      getCredentials,
      async (c) => {
        const last4 = await credentialsLast4(sql, accountIdOf(c), c.req.valid('param').venue);
        return c.json({ configured: last4 !== undefined, apiKeyLast4: last4 ?? null }, 200);
      },
      unknownVenue,
    )
    .openapi(
      deleteCredentialsRoute,
      async (c) => {
        const { venue } = c.req.valid('param');
        const accountId = accountIdOf(c);
        // Open orders are polled and canceled with this pair; without it they would fail or use another key.
        const [open] = await sql<{ n: string }[]>`SELECT count(*)::text AS n FROM orders WHERE account_id = ${accountId} AND venue = ${venue} AND status_rank < 9`;
        if (open && open.n !== '0') {
          throw new ApiError(409, 'credentials_in_use', `${open.n} open ${venue} order(s) still use these credentials; cancel them first`, { openOrders: Number(open.n) });
        }
        await deleteCredentials(sql, accountId, venue);
        return c.body(null, 204);
      },
      unknownVenue,
    );
}
