/**
 * Who is at the other end of a stream, decided once, at the upgrade. Authentication arrives with
 * the accounts issue: it replaces `defaultAccountAuthenticator` with one that verifies
 * `bearerToken(req)` and throws StreamAuthError, and nothing else in the stream has to change.
 */
import type { IncomingMessage } from 'node:http';
import { DEFAULT_ACCOUNT_ID } from '../schemas/common.js';

export interface StreamPrincipal {
  accountId: string;
}

/** Refuses the upgrade with this HTTP status before any WebSocket exists. */
export class StreamAuthError extends Error {
  override name = 'StreamAuthError';
  constructor(
    readonly status: 401 | 403,
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
 * Until accounts exist every connection acts for the default account, as every HTTP request does.
 * @example attachStreamServer({ ..., authenticate: defaultAccountAuthenticator })
 */
export const defaultAccountAuthenticator: StreamAuthenticator = async () => ({ accountId: DEFAULT_ACCOUNT_ID });
