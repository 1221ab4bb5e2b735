/** Decoding the payloads of a history in proto3 JSON (how replay fixtures are stored). */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeHistoryJson, historyPayloads } from '../../lib/history-codec.js';
import { createEncryptionCodec, handleCodecRequest } from '../../lib/security/payload-codec.js';

const codec = createEncryptionCodec({ keys: { k1: randomBytes(32) }, currentKeyId: 'k1' });
const b64 = (s: string) => Buffer.from(s).toString('base64');
const plain = (value: unknown) => ({ metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(value)) });

describe('decodeHistoryJson', () => {
  it('decodes every encrypted payload of a history, wherever it sits, and leaves the rest alone', async () => {
    const { payloads } = await handleCodecRequest(codec, 'encode', { payloads: [plain({ order: 'o-1' }), plain({ message: 'rejected' })] });
    const history = {
      events: [
        { eventId: '1', workflowExecutionStartedEventAttributes: { input: { payloads: [payloads[0]] }, workflowType: { name: 'orderLifecycle' } } },
        { eventId: '2', activityTaskFailedEventAttributes: { failure: { message: 'Encoded failure', encodedAttributes: payloads[1] } } },
        { eventId: '3', markerRecordedEventAttributes: { details: { x: { payloads: [plain('already plain')] } } } },
      ],
    };
    expect(historyPayloads(history)).toHaveLength(3);
    const decoded = JSON.parse(await decodeHistoryJson(JSON.stringify(history), codec));
    expect(decoded.events[0].workflowExecutionStartedEventAttributes.input.payloads[0]).toEqual(plain({ order: 'o-1' }));
    expect(decoded.events[1].activityTaskFailedEventAttributes.failure.encodedAttributes).toEqual(plain({ message: 'rejected' }));
    expect(decoded.events[2]).toEqual(history.events[2]);
    expect(decoded.events[0].workflowExecutionStartedEventAttributes.workflowType).toEqual({ name: 'orderLifecycle' });
  });
});
