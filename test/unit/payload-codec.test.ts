import { randomBytes } from 'node:crypto';
import {
  ApplicationFailure,
  defaultPayloadConverter,
  type FailureConverter,
  type LoadedDataConverter,
  type Payload,
} from '@temporalio/common';
import { decodeOptionalFailureToOptionalError, encodeErrorToFailure } from '@temporalio/common/lib/internal-non-workflow/index.js';
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import {
  CodecRequestError,
  PayloadDecryptionError,
  UnknownKeyIdError,
  createDataConverter,
  createEncryptionCodec,
  handleCodecRequest,
} from '../../lib/security/payload-codec.js';

const K1 = randomBytes(32);
const K2 = randomBytes(32);
const ORDER = { orderId: 'ord-1', symbol: 'BTCUSDT', apiSecret: 'sk-live-9a8b7c' };
const codec = createEncryptionCodec({ keys: { k1: K1 }, currentKeyId: 'k1' });

const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const utf8 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const encodeOne = async (value: unknown) => (await codec.encode([toPayload(value)]))[0] as Payload;

describe('encryption codec', () => {
  it('an encoded payload decodes back to the same value', async () => {
    const [decoded] = await codec.decode([await encodeOne(ORDER)]);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toEqual(ORDER);
  });

  it('an encoded payload does not contain the plaintext', async () => {
    const encoded = await encodeOne(ORDER);
    expect(Buffer.from(encoded.data ?? []).includes(ORDER.apiSecret)).toBe(false);
  });

  it('the same payload encrypts to different bytes each time', async () => {
    const [a, b] = await codec.encode([toPayload(ORDER), toPayload(ORDER)]);
    expect(Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))).toBe(false);
  });

  it('an encoded payload is marked binary/encrypted and carries the key id', async () => {
    const { metadata } = await encodeOne(ORDER);
    expect(Object.keys(metadata ?? {}).sort()).toEqual(['encoding', 'encryption-key-id']);
    expect(utf8(metadata?.encoding)).toBe('binary/encrypted');
    expect(utf8(metadata?.['encryption-key-id'])).toBe('k1');
  });

  it('a payload that was never encrypted passes through decode unchanged', async () => {
    const plain = toPayload(ORDER);
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('a payload encrypted with an unknown key id fails with an error naming it', async () => {
    const other = createEncryptionCodec({ keys: { k9: K2 }, currentKeyId: 'k9' });
    const [encoded] = await other.encode([toPayload(ORDER)]);
    await expect(codec.decode([encoded as Payload])).rejects.toThrow(UnknownKeyIdError);
    await expect(codec.decode([encoded as Payload])).rejects.toThrow(/key id "k9", which is not configured/);
  });

  it('an altered encrypted payload fails authentication', async () => {
    const encoded = await encodeOne(ORDER);
    const data = Buffer.from(encoded.data ?? []);
    data[20] = (data[20] ?? 0) ^ 0x01;
    await expect(codec.decode([{ ...encoded, data }])).rejects.toThrow(PayloadDecryptionError);
  });

  it('after rotation payloads written with the old key still decode', async () => {
    const rotated = createEncryptionCodec({ keys: { k1: K1, k2: K2 }, currentKeyId: 'k2' });
    const [decoded] = await rotated.decode([await encodeOne(ORDER)]);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toEqual(ORDER);
    const [fresh] = await rotated.encode([toPayload(ORDER)]);
    expect(utf8(fresh?.metadata?.['encryption-key-id'])).toBe('k2');
  });
});

describe('data converter', () => {
  async function loaded(): Promise<LoadedDataConverter> {
    const dataConverter = createDataConverter(codec);
    // The same module the worker requires and bundles into the workflow sandbox.
    const { failureConverter } = (await import(dataConverter.failureConverterPath ?? 'missing')) as {
      failureConverter: FailureConverter;
    };
    return { payloadConverter: defaultPayloadConverter, failureConverter, payloadCodecs: dataConverter.payloadCodecs ?? [] };
  }

  it('a failure message and stack trace are encrypted in the failure sent to Temporal', async () => {
    const error = ApplicationFailure.nonRetryable(`exchange rejected key ${ORDER.apiSecret}`, 'AuthError');
    const failure = await encodeErrorToFailure(await loaded(), error);
    const wire = Buffer.from(proto.temporal.api.failure.v1.Failure.encode(failure).finish());
    expect(wire.includes(ORDER.apiSecret)).toBe(false);
    expect(wire.includes('payload-codec.test')).toBe(false); // the stack trace's file name
    expect(utf8(failure.encodedAttributes?.metadata?.encoding)).toBe('binary/encrypted');
  });

  it('an encrypted failure decodes back to the original message', async () => {
    const converter = await loaded();
    const failure = await encodeErrorToFailure(converter, ApplicationFailure.nonRetryable('insufficient balance', 'Rejected'));
    const error = await decodeOptionalFailureToOptionalError(converter, failure);
    expect(error?.message).toBe('insufficient balance');
  });
});

describe('codec server handler', () => {
  const json = { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify(ORDER)).toString('base64') }] };

  it('/encode then /decode gives back the proto3 JSON the UI sent', async () => {
    const encoded = await handleCodecRequest(codec, 'encode', json);
    expect(Buffer.from(encoded.payloads[0]?.metadata?.encoding ?? '', 'base64').toString()).toBe('binary/encrypted');
    expect(await handleCodecRequest(codec, 'decode', encoded)).toEqual(json);
  });

  it('a body whose data is not base64 is refused with CodecRequestError', async () => {
    const bad = { payloads: [{ metadata: {}, data: 'not base64!' }] };
    await expect(handleCodecRequest(codec, 'decode', bad)).rejects.toThrow(CodecRequestError);
  });

  it('a body without a payloads array is refused with CodecRequestError', async () => {
    await expect(handleCodecRequest(codec, 'decode', { payload: [] })).rejects.toThrow(/payloads/);
  });
});
