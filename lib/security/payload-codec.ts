/**
 * Encryption of everything Temporal stores for us (workflow and activity arguments, results,
 * failure messages): a PayloadCodec doing AES-256-GCM over the whole serialized Payload, plus the
 * framework-free core of the codec server the Temporal Web UI and CLI call to read it back.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { z } from 'zod';
import { type Keys, toKeyring } from './keys.js';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A payload encrypted with a key id this process does not have. */
export class UnknownKeyIdError extends Error {
  override name = 'UnknownKeyIdError';
}

/** An encrypted payload that is incomplete or fails authentication. Carries no payload bytes. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/** A codec-server request body that is not `{ payloads: [{ metadata, data }] }` with base64 values. */
export class CodecRequestError extends Error {
  override name = 'CodecRequestError';
}

export interface EncryptionCodecOptions {
  /** Key id → 32-byte key (e.g. `parseKeyring(env.PAYLOAD_KEYS)`); keep old ids to read old histories. */
  keys: Keys;
  /** Key id new payloads are encrypted with. */
  currentKeyId: string;
}

const text = (bytes: Uint8Array | null | undefined): string | undefined =>
  bytes ? Buffer.from(bytes).toString('utf8') : undefined;

/**
 * Creates the encryption codec. Payload layout: `data = iv(12) ‖ ciphertext ‖ tag(16)` over the
 * protobuf-serialized original Payload, metadata `encoding: binary/encrypted` and
 * `encryption-key-id: <id>` — the layout of Temporal's encryption samples in every SDK.
 *
 * @example
 * const codec = createEncryptionCodec({ keys: parseKeyring(env.PAYLOAD_KEYS), currentKeyId: env.PAYLOAD_KEY_ID });
 * const client = new Client({ connection, dataConverter: createDataConverter(codec) });
 */
export function createEncryptionCodec(options: EncryptionCodecOptions): PayloadCodec {
  const { keys, currentKeyId } = toKeyring(options.keys, options.currentKeyId);

  function encrypt(payload: Payload): Payload {
    const key = keys.get(currentKeyId);
    if (!key) throw new UnknownKeyIdError(`current key id "${currentKeyId}" is not configured`);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    const plaintext = PayloadMessage.encode(payload).finish();
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: Buffer.from(currentKeyId),
      },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  function decrypt(payload: Payload): Payload {
    if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!keyId) throw new PayloadDecryptionError(`encrypted payload has no ${KEY_ID_METADATA} metadata`);
    const key = keys.get(keyId);
    if (!key) {
      throw new UnknownKeyIdError(`payload was encrypted with key id "${keyId}", which is not configured (have: ${[...keys.keys()].join(', ')})`);
    }
    const data = payload.data ?? new Uint8Array();
    if (data.byteLength < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload is too short');
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(data.subarray(data.byteLength - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.byteLength - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`payload encrypted with key id "${keyId}" failed authentication (altered, or a different key under that id)`);
    }
    return PayloadMessage.decode(plaintext);
  }

  return {
    encode: async (payloads) => payloads.map(encrypt),
    decode: async (payloads) => payloads.map(decrypt),
  };
}

/**
 * Absolute path of the failure converter module, without extension: Node's `require` (with tsx's
 * `.ts` hook when run from source) and the workflow bundler's resolver both add the right one.
 */
export const failureConverterPath = fileURLToPath(new URL('./failure-converter', import.meta.url));

/**
 * The data converter for the Client and every Worker. In SDK 1.24 a DataConverter names its
 * failure converter by path (there is no `failureConverter` instance field), so this points at
 * `failure-converter.ts`, a `DefaultFailureConverter({ encodeCommonAttributes: true })`: failure
 * messages and stack traces become payloads and go through the codec.
 *
 * @example
 * await Worker.create({ connection, taskQueue, workflowsPath, activities, dataConverter: createDataConverter(codec) });
 */
export function createDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath };
}

// proto3 JSON writes bytes as base64; accept both alphabets, padded or not.
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'expected base64');
const codecRequest = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).nullish(), data: base64.nullish() })),
});

/** One payload in proto3 JSON form, as the Web UI and `temporal --codec-endpoint` send it. */
export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/**
 * The body of a codec server's `POST /encode` and `POST /decode`: `{ payloads: JsonPayload[] }` in,
 * the same shape out. Throws {@link CodecRequestError} for a malformed body (answer 400) and the
 * codec's errors ({@link UnknownKeyIdError}, {@link PayloadDecryptionError}) otherwise. The route
 * must sit behind authentication: it decrypts anything it is given.
 *
 * @example
 * app.post('/decode', requireAuth, async (c) => c.json(await handleCodecRequest(codec, 'decode', await c.req.json())));
 */
export async function handleCodecRequest(
  codec: PayloadCodec,
  kind: 'encode' | 'decode',
  body: unknown,
): Promise<{ payloads: JsonPayload[] }> {
  const parsed = codecRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CodecRequestError(`invalid codec request at ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'malformed'}`);
  }
  const input: Payload[] = parsed.data.payloads.map(({ metadata, data }) => ({
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(data ?? '', 'base64'),
  }));
  const output = kind === 'encode' ? await codec.encode(input) : await codec.decode(input);
  return {
    payloads: output.map(({ metadata, data }) => ({
      metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      ...(data && data.byteLength > 0 ? { data: Buffer.from(data).toString('base64') } : {}),
    })),
  };
}
