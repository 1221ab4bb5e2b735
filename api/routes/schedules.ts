/**
 * /v1/schedules/:name: read, pause and resume the engine's Temporal Schedules (`price-refresh`
 * and `reconcile-orders`). Each answer is the schedule's state after the call. The schedules serve every
 * account, so only operators (OPERATOR_EMAILS) may pause or resume them.
 */
import { Hono, type Context } from 'hono';
import { ScheduleNotFoundError, type Client, type ScheduleHandle } from '@temporalio/client';
import { z } from 'zod';
import type { Config } from '../../lib/config.js';
import { scheduleHandle, scheduleState } from '../../lib/schedules.js';
import { ApiError } from '../errors.js';
import { requireOperator } from '../principal.js';
import { readJson } from '../validation.js';

export interface ScheduleRoutesOptions {
  config: Config;
  temporal: Client;
}

export const noteBody = z.strictObject({ note: z.string().min(1).max(200).optional() }).optional();

/**
 * @example app.route('/v1/schedules', scheduleRoutes({ config, temporal }))
 */
export function scheduleRoutes({ config, temporal }: ScheduleRoutesOptions) {
  /** Runs `change` on the named schedule and answers its state afterwards. */
  async function withSchedule(c: Context, change?: (handle: ScheduleHandle) => Promise<void>) {
    const name = c.req.param('name') ?? '';
    const handle = scheduleHandle(temporal, config, name);
    if (!handle) throw new ApiError(404, 'schedule_not_found', `No schedule named ${JSON.stringify(name)}; the engine has "price-refresh" and "reconcile-orders"`);
    try {
      await change?.(handle);
      return c.json(scheduleState(name, await handle.describe()));
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) {
        throw new ApiError(404, 'schedule_not_found', `Schedule ${name} does not exist yet; the worker creates it when it starts`);
      }
      throw err;
    }
  }

  return new Hono()
    .get('/:name', (c) => withSchedule(c))
    .post('/:name/pause', async (c) => {
      requireOperator(c, config.OPERATOR_EMAILS, 'pause or resume schedules');
      const body = noteBody.parse(await readJson(c, { optional: true }));
      return withSchedule(c, (h) => h.pause(body?.note ?? 'paused through the API'));
    })
    .post('/:name/resume', async (c) => {
      requireOperator(c, config.OPERATOR_EMAILS, 'pause or resume schedules');
      const body = noteBody.parse(await readJson(c, { optional: true }));
      return withSchedule(c, (h) => h.unpause(body?.note ?? 'resumed through the API'));
    });
}
