/** Connection options for Temporal, the same for the API (client) and the workers (native). */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { Config } from './config.js';
import { dataConverterFor } from './secrets.js';

export interface TemporalConnectionOptions {
  address: string;
  tls?: { clientCertPair?: { crt: Buffer; key: Buffer } } | undefined;
  apiKey?: string | undefined;
}

/**
 * TLS is on when TEMPORAL_TLS is set, when a client certificate is given, or with an API key
 * (Temporal Cloud always uses TLS).
 * @example await NativeConnection.connect(temporalConnectionOptions(config))
 */
export function temporalConnectionOptions(config: Config): TemporalConnectionOptions {
  const mtls =
    config.TEMPORAL_TLS_CERT_PATH && config.TEMPORAL_TLS_KEY_PATH
      ? { clientCertPair: { crt: readFileSync(config.TEMPORAL_TLS_CERT_PATH), key: readFileSync(config.TEMPORAL_TLS_KEY_PATH) } }
      : undefined;
  const tls = mtls ?? (config.TEMPORAL_TLS || config.TEMPORAL_API_KEY ? {} : undefined);
  return { address: config.temporalAddress, tls, apiKey: config.TEMPORAL_API_KEY };
}

/** A client whose payloads and failures are encrypted with PAYLOAD_KEYS (when set). */
export async function createTemporalClient(config: Config): Promise<Client> {
  const connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: 5000 });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverterFor(config) });
}
