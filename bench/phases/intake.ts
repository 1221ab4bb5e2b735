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
import type { Profile } from '../lib/profile.js';
import { ORDER_BODY } from './durable.js';
import { measureAtRate, measureSaturation, type Measured } from './measure.js';

export interface IntakeResults {
  intake: { saturation: Measured; latency: Measured & { ratePerSec: number } };
  direct: { saturation: Measured; latency: Measured & { ratePerSec: number } };
}

const accepted =
  (http: HttpClient, path: string): Fire =>
  async () => {
    const r = await http.request('POST', path, ORDER_BODY);
    return r.status === 202 ? { ok: true } : { ok: false, error: `POST ${path} answered ${r.status}: ${r.body.slice(0, 200)}` };
  };

export async function measureIntake(
  intakeApi: EngineApi,
  baseline: HttpClient,
  profile: Profile,
  log: (line: string) => void,
  cpuParts?: Record<string, number | undefined>,
): Promise<IntakeResults> {
  const intakeFire = accepted(intakeApi.http, '/v1/orders');
  const directFire = accepted(baseline, '/direct/orders');
  const hooks = { log, cpuParts };
  const intakeSaturation = await measureSaturation('intake', intakeFire, profile.intakeConcurrency, profile, hooks);
  const rate = Math.max(1, (intakeSaturation.perSec ?? 2) * profile.latencyLoadFraction);
  const intakeLatency = await measureAtRate('intake', intakeFire, rate, profile, hooks);
  const directSaturation = await measureSaturation('direct', directFire, profile.intakeConcurrency, profile, hooks);
  // The same offered load as the intake's latency run, so the two latencies compare like for like.
  const directLatency = await measureAtRate('direct', directFire, rate, profile, hooks);
  return { intake: { saturation: intakeSaturation, latency: intakeLatency }, direct: { saturation: directSaturation, latency: directLatency } };
}
