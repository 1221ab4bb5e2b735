/** The secrets `npm start` generates for a zero-configuration local run. */
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, requireSecrets } from '../../lib/config.js';
import { ensureLocalSecrets, LOCAL_SECRETS_FILE } from '../../lib/local-secrets.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'secrets-'));

describe('ensureLocalSecrets', () => {
  it('generates a token secret and both key rings on the first start, in a file only its owner can read, that the API accepts', () => {
    const d = dir();
    const local = ensureLocalSecrets(d, {});
    expect(local.generated).toEqual(['JWT_SECRET', 'PAYLOAD_KEYS', 'CREDENTIALS_KEYS']);
    expect(statSync(path.join(d, LOCAL_SECRETS_FILE)).mode & 0o777).toBe(0o600);
    const config = loadConfig(local.env);
    expect(() => requireSecrets(config, 'api')).not.toThrow();
  });

  it('gives the same secrets on the next start and generates nothing', () => {
    const d = dir();
    const first = ensureLocalSecrets(d, {});
    const second = ensureLocalSecrets(d, {});
    expect(second.generated).toEqual([]);
    expect(second.env).toEqual(first.env);
  });

  it('leaves alone what the environment sets, and no JWT_SECRET when a key pair is configured', () => {
    const d = dir();
    const local = ensureLocalSecrets(d, { PAYLOAD_KEYS: 'mine:AAAA', JWT_PRIVATE_KEY_PATH: './jwt.pem' });
    expect(Object.keys(local.env)).toEqual(['CREDENTIALS_KEYS']);
    expect(readFileSync(path.join(d, LOCAL_SECRETS_FILE), 'utf8')).not.toContain('mine:AAAA');
  });

  it('narrows a secrets file that others could read to 0600', () => {
    const d = dir();
    ensureLocalSecrets(d, {});
    const file = path.join(d, LOCAL_SECRETS_FILE);
    chmodSync(file, 0o644);
    expect(ensureLocalSecrets(d, {}).narrowed).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('adds a secret that a newer version needs to an existing file, keeping the others', () => {
    const d = dir();
    const file = path.join(d, LOCAL_SECRETS_FILE);
    writeFileSync(file, JSON.stringify({ JWT_SECRET: `base64:${Buffer.alloc(32, 1).toString('base64')}` }), { mode: 0o600 });
    const local = ensureLocalSecrets(d, {});
    expect(local.generated).toEqual(['PAYLOAD_KEYS', 'CREDENTIALS_KEYS']);
    expect(local.env.JWT_SECRET).toBe(`base64:${Buffer.alloc(32, 1).toString('base64')}`);
  });
});
