/**
 * /v1/schedules/:name: read, pause and resume the engine's Temporal Schedules (`price-refresh`
 * and `reconcile-orders`). Each answer is the schedule's state after the call. The schedules serve every
 * account, so only operators (OPERATOR_EMAILS) may pause or resume them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createRoute, type z } from '@hono/zod-openapi';
import { ScheduleNotFoundError, type Client, type ScheduleHandle } from '@temporalio/client';
import type { Context, MiddlewareHandler } from 'hono';
import type { Config } from '../../lib/config.js';
import { scheduleHandle, scheduleState } from '../../workflows/schedules.js';
import { ApiError } from '../errors.js';
import { bearerAuth, errors, json, noQuery } from '../openapi/responses.js';
import { requireOperator, type AppEnv } from '../principal.js';
import { createRouter } from '../router.js';
import { noteBody, scheduleNames, scheduleParams, scheduleSchema } from '../schemas/system.js';
import { notFoundForParams } from '../validation.js';

export interface ScheduleRoutesOptions {
  config: Config;
  temporal: Client;
}

const NOW = '2025-05-01T14:30:00.000Z';
const exampleSchedule: z.output<typeof scheduleSchema> = {
  name: 'price-refresh',
  scheduleId: 'price-refresh',
  paused: false,
  note: null,
  intervalMs: 15000,
  overlap: 'SKIP',
  catchupWindowMs: 60000,
  nextRunTimes: ['2025-05-01T14:30:15.000Z'],
  recentRuns: [{ scheduledAt: NOW, startedAt: NOW, workflowId: 'price-refresh-workflow-2025-05-01T14:30:00Z' }],
  runsTaken: 240,
  runsSkippedOverlap: 0,
};
const tags = ['schedules'];
const NO_SCHEDULE = 'No such schedule, or the worker has not created it yet';
const NOT_OPERATOR = 'Not an operator (OPERATOR_EMAILS)';

const getSchedule = createRoute({
  method: 'get',
  path: '/{name}',
  tags,
  operationId: 'getSchedule',
  summary: 'A Temporal Schedule of the engine',
  security: bearerAuth,
  request: { params: scheduleParams, query: noQuery },
  responses: { 200: json('Its state', scheduleSchema, exampleSchedule), ...errors({ auth: true }, { 404: NO_SCHEDULE }) },
});

/** Pausing and resuming are for operators: refused before the request is even read. */
function operatorsOnly(config: Config): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    requireOperator(c, config.OPERATOR_EMAILS, 'pause or resume schedules');
    await next();
  };
}

function changeRoute(action: 'pause' | 'resume', config: Config) {
  const note = action === 'pause' ? 'maintenance' : 'back';
  return createRoute({
    method: 'post',
    path: `/{name}/${action}`,
    tags,
    operationId: `${action}Schedule`,
    summary: `${action === 'pause' ? 'Pause' : 'Resume'} a schedule (operators only)`,
    security: bearerAuth,
    middleware: [operatorsOnly(config)],
    request: { params: scheduleParams, query: noQuery, body: { required: false, content: { 'application/json': { schema: noteBody, example: { note } } } } },
    responses: {
      200: json('Its state after', scheduleSchema, { ...exampleSchedule, paused: action === 'pause', note }),
      ...errors({ auth: true, body: true }, { 403: NOT_OPERATOR, 404: NO_SCHEDULE }),
    },
  });
}

const unknownSchedule = notFoundForParams(
  (c) => new ApiError(404, 'schedule_not_found', `No schedule named ${JSON.stringify(c.req.param('name'))}; the engine has ${scheduleNames.map((n) => `"${n}"`).join(' and ')}`),
);

/**
 * @example app.route('/v1/schedules', scheduleRoutes({ config, temporal }))
 */
export function scheduleRoutes({ config, temporal }: ScheduleRoutesOptions) {
  /** Runs `change` on the named schedule and answers its state afterwards. */
  async function withSchedule(c: Context<AppEnv>, name: (typeof scheduleNames)[number], change?: Change) {
    const handle = scheduleHandle(temporal, config, name);
    if (!handle) throw new ApiError(404, 'schedule_not_found', `No schedule named ${JSON.stringify(name)}`);
    try {
      if (!change) return scheduleState(name, await handle.describe());
      await change.apply(handle);
      return await stateAfter(name, handle, change);
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) {
        throw new ApiError(404, 'schedule_not_found', `Schedule ${name} does not exist yet; the worker creates it when it starts`);
      }
      throw err;
    }
  }

  return createRouter()
    .openapi(getSchedule, async (c) => c.json(present(await withSchedule(c, c.req.valid('param').name)), 200), unknownSchedule)
    .openapi(
      changeRoute('pause', config),
      async (c) => {
        const body = c.req.valid('json');
        return c.json(present(await withSchedule(c, c.req.valid('param').name, pauseChange(body?.note ?? 'paused through the API'))), 200);
      },
      unknownSchedule,
    )
    .openapi(
      changeRoute('resume', config),
      async (c) => {
        const body = c.req.valid('json');
        return c.json(present(await withSchedule(c, c.req.valid('param').name, resumeChange(body?.note ?? 'resumed through the API'))), 200);
      },
      unknownSchedule,
    );
}

export interface Change {
  apply(handle: ScheduleHandle): Promise<void>;
  paused: boolean;
  note: string;
}

export const pauseChange = (note: string): Change => ({ apply: (h) => h.pause(note), paused: true, note });
export const resumeChange = (note: string): Change => ({ apply: (h) => h.unpause(note), paused: false, note });

const SETTLE_MS = 3000;
const SETTLE_STEP_MS = 100;

/**
 * The server accepts a pause or resume before the schedule applies it, so a describe() right after
 * can still show the old state. Read until the change shows (bounded); past that, the change is
 * accepted and durable, so the answer states it rather than the stale read.
 */
export async function stateAfter(name: string, handle: ScheduleHandle, change: Change) {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const state = scheduleState(name, await handle.describe());
    if (state.paused === change.paused) return state;
    if (Date.now() >= deadline) return { ...state, paused: change.paused, note: change.note };
    await sleep(SETTLE_STEP_MS);
  }
}

/** workflows/schedules names the schedule by the name it was asked for: one of ours. */
function present(state: ReturnType<typeof scheduleState>) {
  return { ...state, name: state.name as (typeof scheduleNames)[number] };
}
