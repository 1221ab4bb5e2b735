/**
 * Payloads inside a workflow history in proto3 JSON (what `historyToJSON` writes): find them, and
 * decode them with the payload codec. `npm run history:fetch` and the tests' recorder store
 * decoded histories, so the replay fixtures in test/histories/ need no key to replay.
 */
import type { PayloadCodec } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import { handleCodecRequest, type JsonPayload } from './security/payload-codec.js';

/**
 * Every payload-shaped object (`{metadata: {encoding, …}, data}`) anywhere in the tree: inputs,
 * results, signal and update arguments, headers, and failures' encoded attributes.
 * @example const payloads = historyPayloads(JSON.parse(historyToJSON(history)));
 */
export function historyPayloads(node: unknown, out: JsonPayload[] = []): JsonPayload[] {
  if (Array.isArray(node)) for (const n of node) historyPayloads(n, out);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && 'encoding' in o.metadata) out.push(o as JsonPayload);
    else for (const v of Object.values(o)) historyPayloads(v, out);
  }
  return out;
}

/**
 * The same history JSON with every payload decoded (plain payloads stay as they are).
 * @example const json = await decodeHistoryJson(historyToJSON(history), codec);
 */
export async function decodeHistoryJson(json: string, codec: PayloadCodec): Promise<string> {
  const tree: unknown = JSON.parse(json);
  await decodeInPlace(tree, codec);
  return JSON.stringify(tree);
}

/**
 * A history as a replay fixture's text: proto3 JSON, payloads decoded when there is a codec,
 * indented, with a final newline.
 * @example writeFileSync(file, await historyFixture(await handle.fetchHistory(), codec));
 */
export async function historyFixture(history: temporal.api.history.v1.IHistory, codec: PayloadCodec | undefined): Promise<string> {
  const tree: unknown = JSON.parse(historyToJSON(history));
  if (codec) await decodeInPlace(tree, codec);
  return JSON.stringify(tree, null, 2) + '\n';
}

async function decodeInPlace(tree: unknown, codec: PayloadCodec): Promise<void> {
  const found = historyPayloads(tree);
  const { payloads } = await handleCodecRequest(codec, 'decode', { payloads: found });
  found.forEach((target, i) => {
    const decoded = payloads[i]!;
    target.metadata = decoded.metadata ?? {};
    if (decoded.data === undefined) delete target.data;
    else target.data = decoded.data;
  });
}
