import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskDatabaseUrl, parseDurationMs } from '../../lib/config.js';

describe('loadConfig', () => {
  it('uses the embedded defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c.embeddedTemporal).toBe(true);
    expect(c.embeddedPostgres).toBe(true);
    expect(c.temporalAddress).toBe('127.0.0.1:7233');
    expect(c.temporalUiUrl).toBe('http://localhost:8233');
    expect(c.PORT).toBe(3000);
    expect(c.PRICE_REFRESH_INTERVAL).toBe(15_000);
  });

  it('uses an external Temporal and PostgreSQL when their addresses are set', () => {
    const c = loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', DATABASE_URL: 'postgres://u:p@db:5432/x' });
    expect(c.embeddedTemporal).toBe(false);
    expect(c.embeddedPostgres).toBe(false);
    expect(c.temporalAddress).toBe('temporal:7233');
  });

  it('names the variable, the problem and an example for a bad value', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/^Invalid PORT="abc": .+ \(example: PORT=3000\)$/);
    expect(() => loadConfig({ PRICE_REFRESH_INTERVAL: '15 seconds' })).toThrow(/PRICE_REFRESH_INTERVAL.*duration.*example: PRICE_REFRESH_INTERVAL=15s/);
  });

  it('lets the codec server trust the local UI only while the API listens on loopback', () => {
    expect(loadConfig({ CODEC_TRUST_LOCAL_UI: '1' }).CODEC_TRUST_LOCAL_UI).toBe(true);
    expect(loadConfig({}).CODEC_TRUST_LOCAL_UI).toBe(false);
    expect(() => loadConfig({ CODEC_TRUST_LOCAL_UI: '1', HOST: '0.0.0.0' })).toThrow(/CODEC_TRUST_LOCAL_UI=1 with HOST="0.0.0.0".*loopback/);
    // A name may resolve anywhere; behind a proxy no request is known to be local.
    expect(() => loadConfig({ CODEC_TRUST_LOCAL_UI: '1', HOST: 'localhost' })).toThrow(/loopback/);
    expect(() => loadConfig({ CODEC_TRUST_LOCAL_UI: '1', TRUST_PROXY_HOPS: '1' })).toThrow(/TRUST_PROXY_HOPS=1/);
  });

  it('refuses half a key pair', () => {
    expect(() => loadConfig({ BINANCE_API_KEY: 'k' })).toThrow(/BINANCE_API_KEY\/BINANCE_API_SECRET: set both or neither/);
  });

  it('parses durations in ms, s, m and h', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('15s')).toBe(15_000);
    expect(parseDurationMs('2m')).toBe(120_000);
    expect(parseDurationMs('1h')).toBe(3_600_000);
  });

  it('masks the password of a database URL', () => {
    expect(maskDatabaseUrl('postgres://trader:s3cret@db:5432/x')).toBe('postgres://trader:***@db:5432/x');
  });
});

describe('start-up with a bad variable', () => {
  for (const entry of ['scripts/start.ts', 'api/main.ts', 'workers/main.ts']) {
    it(`stops ${entry} with one line naming the variable`, () => {
      const out = spawnSync(process.execPath, ['--import', 'tsx', entry], {
        env: { ...process.env, PORT: 'not-a-port', DATABASE_URL: 'postgres://x@127.0.0.1:1/x', TEMPORAL_ADDRESS: '127.0.0.1:1' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(out.status).toBe(1);
      const lines = out.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^Invalid PORT="not-a-port": .*example: PORT=3000/);
    });
  }
});
