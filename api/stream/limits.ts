/** How much one account may ask of /v1/stream on one API instance (documented in /openapi.json). */
export const STREAM_LIMITS = {
  /** Open connections per account; one more upgrade is refused with 429. */
  maxConnectionsPerAccount: 10,
  /** subscribe/unsubscribe messages a connection may send at once… */
  subscriptionBurst: 20,
  /** …and per second after that; more are answered with a `rate_limited` error frame. */
  subscriptionsPerSecond: 5,
} as const;

export type StreamLimits = { -readonly [K in keyof typeof STREAM_LIMITS]: number };
