import { freeLowPorts, freePort } from '../../lib/free-ports.js';
import type { TemporalServerPorts } from '../../lib/embedded/temporal-server.js';

export { freeLowPorts, freePort };

/** Free ports for every listener of one Temporal server process (lib/embedded/temporal-server.ts). */
export async function freeTemporalServerPorts(): Promise<TemporalServerPorts> {
  return { frontend: await freePort(), frontendHttp: await freePort(), history: await freePort(), matching: await freePort(), worker: await freePort(), membershipBase: await freeLowPorts(4) };
}
