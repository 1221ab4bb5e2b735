/**
 * A create retried after a lost answer makes nothing twice: the same Idempotency-Key and body name
 * the same TWAP, DCA plan or price alert; the same key with another body is a 422.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../helpers/engine.js';

describe('Idempotency-Key on creates', () => {
  let e: TestEngine;
  beforeAll(async () => {
    e = await startEngine();
    await e.setPrice('ETHUSDT', '2000');
  });
  afterAll(async () => e?.stop());

  const cases = [
    { path: '/v1/twap-orders', body: { venue: 'paper', symbol: 'ETHUSDT', side: 'BUY', quantity: '0.2', slices: 2, durationSeconds: 3600 }, other: { quantity: '0.4' }, table: 'twap_orders', cleanup: (id: string) => `/v1/twap-orders/${id}/cancel` },
    { path: '/v1/dca-plans', body: { venue: 'paper', symbol: 'ETHUSDT', quoteAmount: '50', interval: '1d' }, other: { quoteAmount: '60' }, table: 'dca_plans', cleanup: undefined },
    { path: '/v1/alerts', body: { symbol: 'ETHUSDT', condition: 'ABOVE', threshold: '5000' }, other: { threshold: '6000' }, table: 'price_alerts', cleanup: undefined },
  ];

  it.each(cases)('$path: the same key and body answer the same one; another body under the key is a 422', async ({ path, body, other, table, cleanup }) => {
    const key = `create-${table}-1`;
    const first = await e.call('POST', path, body, { 'Idempotency-Key': key });
    expect([201, 202]).toContain(first.status);
    const again = await e.call('POST', path, body, { 'Idempotency-Key': key });
    expect(again.status).toBe(first.status);
    expect(again.body.id).toBe(first.body.id);
    const [row] = await e.sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table} WHERE account_id = $1`, [e.account.id]);
    expect(row?.n).toBe(1);
    const changed = await e.call('POST', path, { ...body, ...other }, { 'Idempotency-Key': key });
    expect(changed.status).toBe(422);
    expect(changed.body.error.code).toBe('idempotency_key_reused');
    if (cleanup) await e.call('POST', cleanup(first.body.id), {});
  });
});
