/**
 * The per-account Binance venue of the worker: the caller's stored pair, opened inside the
 * activity; a fresh venue as soon as the pair changes; the environment's pair as the fallback; and
 * failures that name no secret. The repository is stubbed: `sql` answers the stored row.
 */
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { SealedCredentialsRow } from '../../store/exchange-credentials.js';
import { createAccountBinance } from '../../activities/account-venues.js';
import { sealCredentials, type ExchangeCredentials } from '../../store/sealed-credentials.js';
import type { Exchange } from '../../domain/exchange.js';
import type { Sql } from '../../lib/db.js';
import { createSecretBox } from '../../lib/security/secret-box.js';
import { failure as failureOf } from '../helpers/failure.js';

const box = createSecretBox({ keys: { k1: randomBytes(32) }, currentKeyId: 'k1' });
const PAIR = { apiKey: 'user-key-1234', apiSecret: 'user-secret-very-private' };

function harness(initial: SealedCredentialsRow | undefined, options: { fallback?: boolean; now?: () => number } = {}) {
  let row = initial;
  const sql = (async () => (row ? [row] : [])) as unknown as Sql;
  const built: ExchangeCredentials[] = [];
  const fallback = { venue: 'binance', name: 'env' } as unknown as Exchange;
  const binanceFor = createAccountBinance({
    sql,
    box,
    create: (c) => {
      built.push(c);
      return { venue: 'binance', name: `built-${built.length}` } as unknown as Exchange;
    },
    fallback: options.fallback ? fallback : undefined,
    ttlMs: 1000,
    now: options.now,
  });
  return { binanceFor, built, fallback, store: (r: SealedCredentialsRow | undefined) => (row = r) };
}

describe('createAccountBinance', () => {
  it("builds the venue with the account's own pair and reuses it while the pair is unchanged", async () => {
    const h = harness(sealCredentials(box, 'acc-1', 'binance', PAIR));
    const first = await h.binanceFor('acc-1');
    expect(await h.binanceFor('acc-1')).toBe(first);
    expect(h.built).toEqual([PAIR]);
  });

  it('builds a new venue as soon as the pair is stored again', async () => {
    const h = harness(sealCredentials(box, 'acc-1', 'binance', PAIR));
    const first = await h.binanceFor('acc-1');
    h.store(sealCredentials(box, 'acc-1', 'binance', { ...PAIR, apiSecret: 'rotated-secret-0000' }));
    expect(await h.binanceFor('acc-1')).not.toBe(first);
    expect(h.built.map((c) => c.apiSecret)).toEqual([PAIR.apiSecret, 'rotated-secret-0000']);
  });

  it('builds again once the venue is older than its lifetime', async () => {
    let now = 0;
    const h = harness(sealCredentials(box, 'acc-1', 'binance', PAIR), { now: () => now });
    await h.binanceFor('acc-1');
    now = 1500;
    await h.binanceFor('acc-1');
    expect(h.built).toHaveLength(2);
  });

  it('uses the environment pair for an account without one, and rejects for good when there is none either', async () => {
    expect(await harness(undefined, { fallback: true }).binanceFor('acc-1')).toMatchObject({ name: 'env' });
    const failure = (await failureOf(harness(undefined).binanceFor('acc-1'))) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect([failure.type, failure.nonRetryable, (failure.details?.[0] as { code: string }).code]).toEqual(['OrderRejected', true, 'NO_CREDENTIALS']);
  });

  it("refuses a pair sealed for another account (copied row) without naming any part of it", async () => {
    const h = harness(sealCredentials(box, 'someone-else', 'binance', PAIR));
    const failure = (await failureOf(h.binanceFor('acc-1'))) as ApplicationFailure;
    expect((failure.details?.[0] as { code: string }).code).toBe('CREDENTIALS_UNREADABLE');
    const text = JSON.stringify({ message: failure.message, details: failure.details });
    for (const part of [PAIR.apiKey, PAIR.apiSecret]) expect(text).not.toContain(part);
    expect(h.built).toEqual([]);
  });
});
