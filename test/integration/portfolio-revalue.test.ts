import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshPricesInput } from '../../workflows/schedules.js';
import type { refreshPrices } from '../../workflows/refresh-prices.js';
import { startEngine, startMarketDataFakes, type MarketDataFakes, type TestEngine } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait.js';

let fakes: MarketDataFakes;
let e: TestEngine;
beforeAll(async () => {
  fakes = await startMarketDataFakes();
  e = await startEngine(fakes.env);
});
afterAll(async () => {
  await e.stop();
  await fakes.close();
});

describe('a price refresh', () => {
  it('revalues the portfolio of an account holding a symbol whose price moved', async () => {
    const account = await e.newAccount();
    const trade = await e.callAs(account, 'POST', '/v1/trades', { symbol: 'ETHUSDT', side: 'BUY', quantity: '2', price: '1000' });
    expect(trade.status).toBe(201);
    await waitFor(async () => (await e.callAs(account, 'GET', '/v1/positions')).body, (p) => Array.isArray(p) && p.length === 1, { what: 'the position' });

    fakes.binance.setPrice('ETHUSDT', '1500.00');
    const outcome = await e.temporal.workflow.execute<typeof refreshPrices>('refreshPrices', {
      taskQueue: e.config.taskQueues.marketData,
      workflowId: `test-refresh-${randomUUID()}`,
      args: [refreshPricesInput(e.config)],
    });
    expect(outcome.moved).toContain('ETHUSDT');
    expect(outcome.portfoliosNotified).toBeGreaterThanOrEqual(1);

    const [position] = await waitFor(
      async () => (await e.callAs(account, 'GET', '/v1/positions')).body,
      (p) => p?.[0]?.marketPrice === '1500',
      { what: 'the position revalued at 1500' },
    );
    expect(position.marketValue).toBe('3000');
    expect(position.unrealizedPnl).toBe('1000');
  });
});
