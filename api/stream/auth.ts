/**
 * Who is at the other end of a stream, decided once, at the upgrade: the same access token as the
 * HTTP API, from the Authorization header or `?token=` (browsers' WebSocket cannot set headers).
 * A missing or refused token ends the upgrade with 401 before any WebSocket exists.
 */
import type { IncomingMessage } from 'node:http';
import { InvalidTokenError, type TokenService } from '../../lib/security/jwt.js';
import { isAccountId } from '../middleware/auth/index.js';

export interface StreamPrincipal {
  accountId: string;
}

/** Refuses the upgrade with this HTTP status and error code before any WebSocket exists. */
export class StreamAuthError extends Error {
  override name = 'StreamAuthError';
  constructor(
    readonly status: 401 | 403,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type StreamAuthenticator = (req: IncomingMessage) => Promise<StreamPrincipal>;

/**
 * The token a client sent: `Authorization: Bearer <token>`, or `?token=` for browsers, whose
 * WebSocket API cannot set headers.
 * @example bearerToken(req) // 'eyJhbGciOi…' or undefined
 */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  return header ?? new URL(req.url ?? '/', 'http://stream.invalid').searchParams.get('token') ?? undefined;
}

/**
 * Verifies the connection's token with the API's token service.
 * @example attachStreamServer({ server, sql, config, log, authenticate: tokenAuthenticator(tokens) })
 */
export function tokenAuthenticator(tokens: TokenService): StreamAuthenticator {
  return async (req) => {
    const token = bearerToken(req);
    if (!token) throw new StreamAuthError(401, 'unauthorized', 'An access token is required: send Authorization: Bearer <token> or ?token=<token> (POST /v1/auth/login gives one)');
    try {
      const { sub } = await tokens.verify(token);
      if (!isAccountId(sub)) throw new StreamAuthError(401, 'invalid_token', 'Access token refused (its subject is not an account id); log in again');
      return { accountId: sub };
    } catch (err) {
      if (err instanceof InvalidTokenError) throw new StreamAuthError(401, 'invalid_token', `Access token refused (${err.reason}); log in again`);
      throw err;
    }
  };
}
