/**
 * The bench's stages beyond an operation's own end (bench/lib/load.ts) and its headline goals
 * (bench/lib/report.ts): a stage's latency runs from the scheduled start like the operation's, a
 * stage never reached counts as infinitely slow, and the goals are judged against the shaped floor.
 */
import { describe, expect, it } from 'vitest';
import { openLoop } from '../../bench/lib/load.js';
import { goalsOf } from '../../bench/lib/report.js';

describe('openLoop stages', () => {
  it('times each stage from the operation’s scheduled start, and a stage never reached as Infinity', async () => {
    const r = await openLoop({
      ratePerSec: 20,
      warmupMs: 0,
      durationMs: 200,
      fire: async () => {
        const doneAt = performance.now();
        return { ok: true, doneAt, stages: async () => ({ at: { later: doneAt + 1000, never: undefined }, spans: { gap: 1000 } }) };
      },
    });
    expect(r.ok).toBeGreaterThan(0);
    expect(r.stagesMs?.['later']).toHaveLength(r.ok);
    for (const ms of r.stagesMs!['later']!) expect(ms).toBeGreaterThanOrEqual(1000);
    expect(r.stagesMs?.['never']?.every((ms) => ms === Infinity)).toBe(true);
    expect(r.stagesMs?.['gap']?.every((ms) => ms === 1000)).toBe(true);
  });
});

describe('goalsOf', () => {
  it('judges end to end against the shaped floor, not the all-ordinary one', () => {
    const goals = goalsOf({ ratios: { overheadVsShapedFloor: 1.04, throughputVsShapedFloor: 0.82, overheadVsFloor: 0.25, throughputVsFloor: 1.73 } });
    const byFigure = Object.fromEntries(goals.map((g) => [g.figure, g]));
    expect(byFigure['ratios.overheadVsShapedFloor']).toMatchObject({ target: '≤ 1.05', met: true });
    expect(byFigure['ratios.throughputVsShapedFloor']).toMatchObject({ target: '≥ 0.95', met: false });
    expect(goals.some((g) => g.figure.startsWith('ratios.overheadVsFloor') || g.figure.startsWith('ratios.throughputVsFloor'))).toBe(false);
  });
});
