/**
 * The security primitives of lib/security, built from the configuration: the access-token
 * service, the box that seals exchange credentials, and the codec that encrypts Temporal payloads.
 */
import { readFileSync } from 'node:fs';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { ConfigError, type Config } from './config.js';
import { createTokenService, TokenConfigError, WeakSecretError, type TokenService } from './security/jwt.js';
import { createDataConverter, createEncryptionCodec } from './security/payload-codec.js';
import { createSecretBox, type SecretBox } from './security/secret-box.js';

export const TOKEN_ISSUER = 'durable-trader';
export const TOKEN_AUDIENCE = 'durable-trader-api';
/** The codec sign-in cookie's tokens: good for /codec only, never for the API. */
export const CODEC_TOKEN_AUDIENCE = 'durable-trader-codec';

type TokenConfig = Pick<Config, 'JWT_SECRET' | 'JWT_PRIVATE_KEY_PATH' | 'JWT_PUBLIC_KEY_PATH' | 'JWT_TTL'>;

function readPem(variable: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Invalid ${variable}=${JSON.stringify(file)}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'}) (example: ${variable}=./keys/jwt.pem)`);
  }
}

/**
 * The API's token service: HS256 with JWT_SECRET, or RS256/EdDSA with the key pair. Throws a
 * one-line ConfigError for a missing, unreadable or weak key.
 * @example const tokens = tokenServiceFor(config); const token = await tokens.sign({ sub: id, email });
 */
export function tokenServiceFor(config: TokenConfig, now?: () => Date, audience: string = TOKEN_AUDIENCE): TokenService {
  const privateKeyPem = readPem('JWT_PRIVATE_KEY_PATH', config.JWT_PRIVATE_KEY_PATH);
  const publicKeyPem = readPem('JWT_PUBLIC_KEY_PATH', config.JWT_PUBLIC_KEY_PATH);
  if (config.JWT_SECRET === undefined && !privateKeyPem && !publicKeyPem) {
    throw new ConfigError('JWT_SECRET is not set: the API signs access tokens with it (or with JWT_PRIVATE_KEY_PATH); generate one with `openssl rand -base64 32`');
  }
  try {
    return createTokenService({
      secret: config.JWT_SECRET,
      privateKeyPem,
      publicKeyPem,
      issuer: TOKEN_ISSUER,
      audience,
      ttlSeconds: Math.round(config.JWT_TTL / 1000),
      now,
    });
  } catch (err) {
    if (err instanceof WeakSecretError || err instanceof TokenConfigError) {
      const variable = config.JWT_SECRET !== undefined ? 'JWT_SECRET' : config.JWT_PRIVATE_KEY_PATH !== undefined ? 'JWT_PRIVATE_KEY_PATH' : 'JWT_PUBLIC_KEY_PATH';
      throw new ConfigError(`Invalid ${variable}: ${err.message}`);
    }
    throw err;
  }
}

/** The payload encryption codec, or undefined when PAYLOAD_KEYS is not set. */
export function payloadCodecFor(config: Pick<Config, 'payloadKeys'>): PayloadCodec | undefined {
  return config.payloadKeys ? createEncryptionCodec(config.payloadKeys) : undefined;
}

/**
 * The data converter of every Client and Worker: payloads and failure messages encrypted with
 * PAYLOAD_KEYS. Undefined (Temporal's default, plain JSON) when no keys are set.
 * @example new Client({ connection, dataConverter: dataConverterFor(config) })
 */
export function dataConverterFor(config: Pick<Config, 'payloadKeys'>): DataConverter | undefined {
  const codec = payloadCodecFor(config);
  return codec ? createDataConverter(codec) : undefined;
}

/** The box exchange credentials are sealed in, or undefined when CREDENTIALS_KEYS is not set. */
export function credentialBoxFor(config: Pick<Config, 'credentialKeys'>): SecretBox | undefined {
  return config.credentialKeys ? createSecretBox(config.credentialKeys) : undefined;
}
