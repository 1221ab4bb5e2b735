/** What /health, /v1/schedules and the codec server read and answer. */
import { z } from '@hono/zod-openapi';
import { isoTime } from './common.js';

export const healthSchema = z
  .strictObject({
    status: z.enum(['ok', 'degraded']),
    temporal: z.enum(['ok', 'down']),
    postgres: z.enum(['ok', 'down']),
    reasons: z
      .strictObject({ temporal: z.string().optional(), postgres: z.string().optional() })
      .optional()
      .openapi({ description: 'Why each part that is down is down' }),
  })
  .openapi('Health');

export const liveSchema = z.strictObject({ status: z.literal('ok') }).openapi('Liveness');

export const readinessSchema = z
  .strictObject({
    status: z.enum(['ok', 'degraded', 'unavailable']).openapi({
      description: 'ok: ready; degraded: ready, but something users will notice is failing (e.g. every price provider); unavailable: not ready (503)',
    }),
    temporal: z.enum(['ok', 'down']),
    postgres: z.enum(['ok', 'down']),
    migrations: z.enum(['ok', 'pending', 'unknown']).openapi({ description: 'Whether every file in migrations/ is recorded in schema_migrations (unknown while PostgreSQL is down)' }),
    prices: z.enum(['ok', 'failing', 'unknown']).openapi({ description: 'failing: the last call of every price provider failed' }),
    reasons: z
      .strictObject({ temporal: z.string().optional(), postgres: z.string().optional(), migrations: z.string().optional(), prices: z.string().optional() })
      .optional()
      .openapi({ description: 'Why each part that is not ok is not' }),
  })
  .openapi('Readiness');

export const scheduleNames = ['price-refresh', 'reconcile-orders'] as const;

export const scheduleParams = z.strictObject({
  name: z.enum(scheduleNames).openapi({ param: { name: 'name', in: 'path', description: 'Schedule name' }, example: 'price-refresh' }),
});

export const noteBody = z.strictObject({ note: z.string().min(1).max(200).optional() }).optional();

export const scheduleSchema = z
  .strictObject({
    name: z.enum(scheduleNames),
    scheduleId: z.string(),
    paused: z.boolean(),
    note: z.string().nullable(),
    intervalMs: z.number().int().nullable(),
    overlap: z.string().openapi({ description: 'Temporal overlap policy, e.g. SKIP' }),
    catchupWindowMs: z.number().int(),
    nextRunTimes: z.array(isoTime),
    recentRuns: z.array(z.strictObject({ scheduledAt: isoTime, startedAt: isoTime, workflowId: z.string() })),
    runsTaken: z.number().int(),
    runsSkippedOverlap: z.number().int(),
  })
  .openapi('Schedule');

/** Base64, as proto3 JSON writes bytes. */
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');

/** A Temporal Payload in proto3 JSON, as the Web UI and `temporal --codec-endpoint` send it. */
export const codecRequestSchema = z
  .object({
    payloads: z.array(z.object({ metadata: z.record(z.string(), base64).nullish(), data: base64.nullish() }).openapi({ description: 'A Temporal Payload in proto3 JSON (base64 values)' })),
  })
  .openapi('CodecRequest');

export const codecResponseSchema = z
  .strictObject({ payloads: z.array(z.strictObject({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })) })
  .openapi('CodecResponse');

export const namespaceHeaders = z.object({
  'X-Namespace': z.string().optional().openapi({ description: "The Temporal namespace; must be the engine's (else 403)", example: 'default' }),
});

export const codecSessionSchema = z
  .strictObject({ email: z.email(), operator: z.boolean().openapi({ description: 'Only operators may decode' }), expiresAt: isoTime })
  .openapi('CodecSession');
