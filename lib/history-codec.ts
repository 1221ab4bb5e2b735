/**
 * Payloads inside a workflow history in proto3 JSON (what `historyToJSON` writes): find them, and
 * decode them with the payload codec. `npm run history:fetch` and the tests' recorder store
 * decoded histories, so the replay fixtures in test/histories/ need no key to replay.
 */
import type { PayloadCodec } from '@temporalio/common';
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
 * @example writeFileSync(file, await decodeHistoryJson(historyToJSON(history), codec));
 */
export async function decodeHistoryJson(json: string, codec: PayloadCodec): Promise<string> {
  const tree: unknown = JSON.parse(json);
  const found = historyPayloads(tree);
  const { payloads } = await handleCodecRequest(codec, 'decode', { payloads: found });
  found.forEach((target, i) => {
    const decoded = payloads[i]!;
    target.metadata = decoded.metadata ?? {};
    if (decoded.data === undefined) delete target.data;
    else target.data = decoded.data;
  });
  return JSON.stringify(tree);
}
