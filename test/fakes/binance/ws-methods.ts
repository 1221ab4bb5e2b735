/**
 * The WebSocket API methods the fake answers, with their documented weights (web-socket-api.md):
 * ping, time, the session requests and the User Data Stream subscription requests. The fake's one
 * key is an HMAC key, so `session.logon` (Ed25519 only) never succeeds and `userDataStream.subscribe`
 * always finds the session unauthenticated; `userDataStream.subscribe.signature` is the way in.
 */
import { apiErrors } from './api-error.js';
import { verifyWsSigned } from './signing.js';
import type { FakeState } from './state.js';
import type { UserStream } from './user-stream.js';
import type { WsSession } from './ws-session.js';

export interface WsContext {
  session: WsSession;
  state: FakeState;
  stream: UserStream;
  /** Server clock when the request arrived. */
  now: number;
}

export interface WsOutcome {
  result: unknown;
  /** Runs once the response is out (eventStreamTerminated follows the unsubscribe answer). */
  then?: () => void;
}

export interface WsMethod {
  weight: number;
  handle(params: Record<string, unknown>, ctx: WsContext): WsOutcome;
}

function sessionStatus({ session, now }: WsContext): Record<string, unknown> {
  return {
    apiKey: null,
    authorizedSince: null,
    connectedSince: session.connectedSince,
    returnRateLimits: session.returnRateLimits,
    serverTime: now,
    userDataStream: session.subscriptions.size > 0,
  };
}

export const wsMethods: Record<string, WsMethod> = {
  ping: { weight: 1, handle: () => ({ result: {} }) },
  time: { weight: 1, handle: (_params, { now }) => ({ result: { serverTime: now } }) },
  'session.status': { weight: 2, handle: (_params, ctx) => ({ result: sessionStatus(ctx) }) },
  'session.logon': {
    weight: 2,
    handle: () => {
      throw apiErrors.rejectedKey();
    },
  },
  'session.logout': { weight: 2, handle: (_params, ctx) => ({ result: sessionStatus(ctx) }) },
  'session.subscriptions': {
    weight: 2,
    handle: (_params, { session }) => ({ result: [...session.subscriptions].map((subscriptionId) => ({ subscriptionId })) }),
  },
  'userDataStream.subscribe': {
    weight: 2,
    handle: () => {
      throw apiErrors.unauthorized();
    },
  },
  'userDataStream.subscribe.signature': {
    weight: 2,
    handle: (params, { session, state, now }) => {
      verifyWsSigned(params, state.creds, now);
      // The fake has one account, so any active subscription on this connection is that account's.
      if (session.subscriptions.size > 0) throw apiErrors.subscriptionActive();
      const subscriptionId = session.subscribe();
      if (subscriptionId === undefined) throw apiErrors.maxSubscriptionIds();
      return { result: { subscriptionId } };
    },
  },
  'userDataStream.unsubscribe': {
    weight: 2,
    handle: (params, { session, stream, now }) => {
      const wanted = params['subscriptionId'];
      if (wanted !== undefined && !Number.isInteger(wanted)) throw apiErrors.mandatory('subscriptionId');
      if (typeof wanted === 'number' && !session.subscriptions.has(wanted)) throw apiErrors.subscriptionInactive();
      const ending = typeof wanted === 'number' ? [wanted] : [...session.subscriptions];
      return { result: {}, then: () => ending.forEach((id) => stream.terminate(session, id, now)) };
    },
  },
};
