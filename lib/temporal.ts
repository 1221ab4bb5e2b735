/** Connection options for Temporal, the same for the API (client) and the workers (native). */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { ORDER_SEARCH_ATTRIBUTES } from '../domain/order-search.js';
import type { Config } from './config.js';
import { dataConverterFor } from './secrets.js';
import type { Tracing } from './tracing.js';

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

/** A client whose payloads and failures are encrypted with PAYLOAD_KEYS (when set); with tracing, its calls carry the caller's trace. */
export async function createTemporalClient(config: Config, tracing?: Tracing): Promise<Client> {
  const connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: 5000 });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverterFor(config), interceptors: tracing?.clientInterceptors });
}

const GRPC_ALREADY_EXISTS = 6;

/**
 * Registers the order search attributes on the namespace if it lacks them (the embedded dev server
 * starts with them; a cluster gets them from the first worker or API start). Idempotent. Returns the
 * names it added.
 */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<string[]> {
  const operator = client.connection.operatorService;
  const { customAttributes } = await operator.listSearchAttributes({ namespace });
  const missing = ORDER_SEARCH_ATTRIBUTES.filter((name) => !customAttributes?.[name]);
  if (missing.length === 0) return [];
  const searchAttributes = Object.fromEntries(missing.map((name) => [name, proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]));
  try {
    await operator.addSearchAttributes({ namespace, searchAttributes });
  } catch (err) {
    // Another process added them first.
    if ((err as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw err;
  }
  return missing;
}
