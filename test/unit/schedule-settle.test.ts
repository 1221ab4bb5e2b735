import type { ScheduleDescription, ScheduleHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { pauseChange, resumeChange, stateAfter } from '../../api/routes/schedules.js';

/** A schedule whose describe() shows `paused` only after `staleReads` reads, as the server can. */
function lagging(paused: boolean, staleReads: number) {
  let reads = 0;
  const describe = async () => {
    reads += 1;
    const shown = reads > staleReads ? paused : !paused;
    return {
      scheduleId: 'price-refresh',
      state: { paused: shown, note: shown ? 'maintenance' : 'created by the worker at start-up' },
      spec: { intervals: [{ every: 15000 }] },
      policies: { overlap: 'SKIP', catchupWindow: 60000 },
      info: { nextActionTimes: [], recentActions: [], numActionsTaken: 0, numActionsSkippedOverlap: 0 },
    } as unknown as ScheduleDescription;
  };
  return { handle: { describe } as unknown as ScheduleHandle, reads: () => reads };
}

describe('the state a pause or resume answers', () => {
  it('reads again until the change shows', async () => {
    const { handle, reads } = lagging(true, 2);
    const state = await stateAfter('price-refresh', handle, pauseChange('maintenance'));
    expect(state.paused).toBe(true);
    expect(state.note).toBe('maintenance');
    expect(reads()).toBe(3);
  });

  it('answers the accepted change when the schedule is still stale at the deadline', async () => {
    const { handle, reads } = lagging(false, Number.POSITIVE_INFINITY);
    const state = await stateAfter('price-refresh', handle, resumeChange('back'));
    expect(state).toMatchObject({ paused: false, note: 'back', intervalMs: 15000 });
    expect(reads()).toBeGreaterThan(5);
  });
});
