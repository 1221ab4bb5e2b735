/**
 * Intake: what `POST /v1/orders` costs up to its 202 (validation, the durable workflow start, the
 * order row written and read back), beside the direct baseline that does the same without the
 * start. The intake API runs on a task-queue prefix no worker polls: accepted orders wait in
 * Temporal and never run, so a saturation burst leaves no backlog behind to distort later phases
 * (see bench/README.md, "Method").
 */
import type { EngineApi } from '../lib/engine-api.js';
import type { HttpClient } from '../lib/http.js';
import type { Fire } from '../lib/load.js';
import { ORDER_BODY } from './durable.js';
import { measurePair, type PairOptions, type PairResults } from './measure.js';

export interface IntakeResults {
  intake: PairResults;
  direct: PairResults;
}

const accepted =
  (http: HttpClient, path: string): Fire =>
  async () => {
    const r = await http.request('POST', path, ORDER_BODY);
    return r.status === 202 ? { ok: true } : { ok: false, error: `POST ${path} answered ${r.status}: ${r.body.slice(0, 200)}` };
  };

/** Intake and the direct baseline, runs alternating; the direct latency is taken at the intake's rate (same load). */
export async function measureIntake(intakeApi: EngineApi, baseline: HttpClient, options: PairOptions): Promise<IntakeResults> {
  const r = await measurePair({ label: 'intake', fire: accepted(intakeApi.http, '/v1/orders') }, [{ label: 'direct', fire: accepted(baseline, '/direct/orders') }], options);
  return { intake: r.main, direct: r.others[0]! };
}
