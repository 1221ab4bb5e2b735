/**
 * The security settings as lib/config.ts reads them, and the processes that must refuse to start
 * without them: one line naming the variable, and never a secret's value.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireSecrets } from '../../lib/config.js';
import { tokenServiceFor } from '../../lib/secrets.js';
import { TEST_CREDENTIALS_KEYS, TEST_JWT_SECRET, TEST_PAYLOAD_KEYS } from '../helpers/keys.js';

const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');

describe('JWT_SECRET', () => {
  it('refuses a secret shorter than 32 bytes with one line that names it and hides its value', () => {
    const secret = 'tooshort-but-readable';
    let message = '';
    try {
      loadConfig({ JWT_SECRET: secret });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Invalid JWT_SECRET=<hidden, 21 characters>: is \d+ bytes after decoding; HS256 needs at least 32 \(example: /);
    expect(message).not.toContain(secret);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('accepts 32 bytes, whatever the encoding, and signs tokens that verify', async () => {
    for (const secret of [`hex:${'ab'.repeat(32)}`, key(5), `raw:${'x'.repeat(32)}`]) {
      const tokens = tokenServiceFor(loadConfig({ JWT_SECRET: secret }));
      const { sub } = await tokens.verify(await tokens.sign({ sub: 'a-1', email: 'a@example.com' }));
      expect(sub).toBe('a-1');
    }
  });

  it('refuses a secret and a key pair together', () => {
    expect(() => loadConfig({ JWT_SECRET: key(1), JWT_PRIVATE_KEY_PATH: './k.pem' })).toThrow(/set a secret or a key pair, not both/);
  });

  it('names an unreadable key file in one line', () => {
    expect(() => tokenServiceFor(loadConfig({ JWT_PRIVATE_KEY_PATH: '/nonexistent/jwt.pem' }))).toThrow(/^Invalid JWT_PRIVATE_KEY_PATH="\/nonexistent\/jwt.pem": cannot read it \(ENOENT\)/);
  });
});

describe('PAYLOAD_KEYS and CREDENTIALS_KEYS', () => {
  it('uses the only key of a ring as the current one', () => {
    const c = loadConfig({ PAYLOAD_KEYS: `p1:${key(1)}`, CREDENTIALS_KEYS: `c1:${key(2)}` });
    expect(c.payloadKeys?.currentKeyId).toBe('p1');
    expect(c.credentialKeys?.currentKeyId).toBe('c1');
    expect(c.payloadKeys?.keys.p1?.equals(Buffer.alloc(32, 1))).toBe(true);
  });

  it('needs the current id of a ring with several keys, and one that is in the ring', () => {
    const ring = `old:${key(1)},new:${key(2)}`;
    expect(() => loadConfig({ PAYLOAD_KEYS: ring })).toThrow(/PAYLOAD_KEY_ID=undefined: PAYLOAD_KEYS has several keys \(old, new\)/);
    expect(() => loadConfig({ PAYLOAD_KEYS: ring, PAYLOAD_KEY_ID: 'other' })).toThrow(/not a key id of PAYLOAD_KEYS/);
    expect(loadConfig({ PAYLOAD_KEYS: ring, PAYLOAD_KEY_ID: 'new' }).payloadKeys?.currentKeyId).toBe('new');
  });

  it('refuses a key of the wrong length without printing the ring', () => {
    const ring = `k1:${Buffer.alloc(16, 9).toString('base64')}`;
    let message = '';
    try {
      loadConfig({ CREDENTIALS_KEYS: ring });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Invalid CREDENTIALS_KEYS=<hidden, \d+ characters>: key "k1" decodes to 16 bytes; AES-256 needs exactly 32/);
    expect(message).not.toContain(ring.slice(3));
  });
});

describe('rate limits and operators', () => {
  it('reads a limit as a count per duration', () => {
    const c = loadConfig({ LOGIN_RATE_LIMIT: '5/10m', ORDER_RATE_LIMIT: '120/1m' });
    expect(c.LOGIN_RATE_LIMIT).toEqual({ limit: 5, windowMs: 600_000 });
    expect(c.ORDER_RATE_LIMIT).toEqual({ limit: 120, windowMs: 60_000 });
    expect(loadConfig({}).AUTH_IP_RATE_LIMIT).toEqual({ limit: 50, windowMs: 900_000 });
    expect(() => loadConfig({ LOGIN_RATE_LIMIT: 'ten per minute' })).toThrow(/^Invalid LOGIN_RATE_LIMIT="ten per minute": expected a count per duration/);
  });

  it('lower-cases operator emails and refuses what is not an email', () => {
    expect(loadConfig({ OPERATOR_EMAILS: 'Ops@Example.com, b@example.com' }).OPERATOR_EMAILS).toEqual(['ops@example.com', 'b@example.com']);
    expect(() => loadConfig({ OPERATOR_EMAILS: 'ops' })).toThrow(/OPERATOR_EMAILS/);
  });

  it("allows the Web UI's origin to call the codec server by default", () => {
    expect(loadConfig({}).codecOrigins).toEqual(['http://localhost:8233']);
    expect(loadConfig({ TEMPORAL_UI_URL: 'https://temporal.example.com/ui/' }).codecOrigins).toEqual(['https://temporal.example.com']);
    expect(() => loadConfig({ CODEC_CORS_ORIGINS: 'http://localhost:8233/path' })).toThrow(/expected an origin/);
  });
});

describe('requireSecrets', () => {
  const all = { JWT_SECRET: TEST_JWT_SECRET, PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, CREDENTIALS_KEYS: TEST_CREDENTIALS_KEYS };
  it('asks the API for a token key, and both processes for the payload and credential keys', () => {
    expect(() => requireSecrets(loadConfig({ ...all, JWT_SECRET: undefined }), 'api')).toThrow(/^JWT_SECRET is not set/);
    expect(() => requireSecrets(loadConfig({ ...all, JWT_SECRET: undefined }), 'worker')).not.toThrow();
    expect(() => requireSecrets(loadConfig({ ...all, PAYLOAD_KEYS: undefined }), 'worker')).toThrow(/^PAYLOAD_KEYS is not set/);
    expect(() => requireSecrets(loadConfig({ ...all, CREDENTIALS_KEYS: undefined }), 'api')).toThrow(/^CREDENTIALS_KEYS is not set/);
    expect(() => requireSecrets(loadConfig(all), 'api')).not.toThrow();
  });
});

describe('start-up without its secrets', () => {
  const base = { ...process.env, DATABASE_URL: 'postgres://x@127.0.0.1:1/x', TEMPORAL_ADDRESS: '127.0.0.1:1', JWT_SECRET: '', PAYLOAD_KEYS: '', CREDENTIALS_KEYS: '' };
  const run = (entry: string, env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ['--import', 'tsx', entry], { env, encoding: 'utf8', timeout: 30_000 });

  it('stops `npm run api` without JWT_SECRET with one line naming it', () => {
    const out = run('api/main.ts', { ...base, PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, CREDENTIALS_KEYS: TEST_CREDENTIALS_KEYS });
    expect(out.status).toBe(1);
    expect(out.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^JWT_SECRET is not set: `npm run api` signs access tokens with it/)]);
  });

  it('stops `npm run api` with a short JWT_SECRET with one line that does not show it', () => {
    const out = run('api/main.ts', { ...base, JWT_SECRET: 'short-secret-value', PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, CREDENTIALS_KEYS: TEST_CREDENTIALS_KEYS });
    expect(out.status).toBe(1);
    expect(out.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Invalid JWT_SECRET=<hidden, 18 characters>: is \d+ bytes after decoding/)]);
    expect(out.stderr).not.toContain('short-secret-value');
  });

  it('stops `npm run worker` without PAYLOAD_KEYS with one line naming it', () => {
    const out = run('workers/main.ts', { ...base, CREDENTIALS_KEYS: TEST_CREDENTIALS_KEYS });
    expect(out.status).toBe(1);
    expect(out.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^PAYLOAD_KEYS is not set/)]);
  });
});
