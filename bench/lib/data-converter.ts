/**
 * The engine's data converter (payload encryption with PAYLOAD_KEYS), for every Temporal client and
 * worker the bench runs, so the floor pays for the same payload codec the order path pays for.
 * Loaded by URL so the bench still runs on a tree without payload encryption.
 */
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../../lib/config.js';

type SecretsModule = { dataConverterFor?: (config: Config) => DataConverter | undefined };

/**
 * @example new Client({ connection, dataConverter: await engineDataConverter(config) })
 */
export async function engineDataConverter(config: Config): Promise<DataConverter | undefined> {
  const mod = (await import(new URL('../../lib/secrets.js', import.meta.url).href).catch(() => undefined)) as SecretsModule | undefined;
  const converter = mod?.dataConverterFor?.(config);
  const keysSet = (config as { payloadKeys?: unknown }).payloadKeys !== undefined;
  if (keysSet && !converter) throw new Error('PAYLOAD_KEYS is set but lib/secrets.ts no longer exports dataConverterFor(config): update bench/lib/data-converter.ts');
  return converter;
}

/**
 * The converter the replay test uses: the test runs' payload keys (histories recorded with
 * RECORD_HISTORIES=1 are encrypted with them; plain ones pass through), or none on a tree
 * without payload encryption.
 */
export async function replayDataConverter(): Promise<DataConverter | undefined> {
  const keys = (await import(new URL('../../test/helpers/keys.js', import.meta.url).href).catch(() => undefined)) as { TEST_PAYLOAD_KEYS?: string } | undefined;
  if (!keys?.TEST_PAYLOAD_KEYS) return undefined;
  const { loadConfig } = await import('../../lib/config.js');
  return engineDataConverter(loadConfig({ PAYLOAD_KEYS: keys.TEST_PAYLOAD_KEYS }));
}
