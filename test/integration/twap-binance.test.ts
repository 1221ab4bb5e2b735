import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { recordHistory } from '../helpers/histories.js';
import { waitFor } from '../helpers/wait.js';

const KEY = 'twap-key';
const SECRET = 'twap-secret-never-logged';

let fake: BinanceFake;
let e: TestEngine;
beforeAll(async () => {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
  e = await startEngine({ BINANCE_BASE_URL: fake.url, BINANCE_WS_API_URL: fake.wsApiUrl, BINANCE_API_KEY: KEY, BINANCE_API_SECRET: SECRET, BINANCE_TIMEOUT: '1s' });
  await e.setPrice('BTCUSDT', fake.price('BTCUSDT'));
});
afterAll(async () => {
  await e.stop();
  await fake.close();
});

const read = async (id: string) => (await e.call('GET', `/v1/twap-orders/${id}`)).body;

describe('TWAP orders on Binance (through the faithful fake)', () => {
  it('places each slice once on the venue, rounded to the lot step, the last taking the remainder', async () => {
    const res = await e.call('POST', '/v1/twap-orders', { venue: 'binance', symbol: 'BTCUSDT', side: 'BUY', quantity: '0.001', slices: 3, durationSeconds: 3 });
    expect(res.status).toBe(202);
    const twap = await waitFor(() => read(res.body.id), (t) => t.status === 'COMPLETED', { timeoutMs: 60_000, everyMs: 250, what: 'the TWAP to complete' });
    expect(twap.filledQty).toBe('0.001');
    // 0.001 / 3 on a 0.00001 step: 0.00033, 0.00033, then the remainder 0.00034.
    expect(twap.sliceList.map((s: { quantity: string }) => s.quantity)).toEqual(['0.00033', '0.00033', '0.00034']);
    for (const s of twap.sliceList) {
      const clientOrderId = `dt-${s.orderId.replaceAll('-', '')}`;
      expect(fake.orders().filter((o) => o.clientOrderId === clientOrderId)).toHaveLength(1);
    }
    await recordHistory(e.temporal, `twap-${res.body.id}`, 'twap-binance-completed');
  });

  it('refuses a TWAP slice below the minimum notional of the symbol (the venue rules the workers cached)', async () => {
    const res = await e.call('POST', '/v1/twap-orders', { venue: 'binance', symbol: 'BTCUSDT', side: 'BUY', quantity: '0.0005', slices: 10, durationSeconds: 60 });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(/a TWAP slice below the minimum notional/);
  });
});
