import { describe, expect, it } from 'vitest';
import { dcaQuantity, dcaRulesOf, parseDcaInterval } from '../../domain/dca.js';

const binanceBtc = { stepSize: '0.00001', minQty: '0.00001', minNotional: '5' };

describe('DCA sizing', () => {
  it('rounds the quantity down to the step, counted from the minimum quantity', () => {
    expect(dcaQuantity('100', '60000', binanceBtc)).toEqual({ ok: true, quantity: '0.00166', notional: '99.6' });
    expect(dcaQuantity('100', '60000', { stepSize: '0.001', minQty: '0.0005', minNotional: '0' })).toMatchObject({ ok: true, quantity: '0.0015' });
  });

  it('refuses a buy whose rounded notional is below the minimum, saying so', () => {
    expect(dcaQuantity('5', '60000', binanceBtc)).toEqual({ ok: false, reason: '5 buys 0.00008 at 60000: a notional of 4.8, below the minimum 5' });
  });

  it('refuses a buy below the minimum quantity', () => {
    expect(dcaQuantity('0.1', '60000', binanceBtc)).toMatchObject({ ok: false, reason: expect.stringMatching(/below the minimum quantity 0\.00001/) });
  });

  it('takes the MARKET_LOT_SIZE step unless it is zero, and the notional only where it applies to MARKET', () => {
    const rules = {
      symbol: 'BTCUSDT',
      status: 'TRADING',
      baseAsset: 'BTC',
      quoteAsset: 'USDT',
      orderTypes: ['MARKET' as const],
      lotSize: { minQty: '0.00001', maxQty: '9000', stepSize: '0.00001' },
      marketLotSize: { minQty: '0', maxQty: '120', stepSize: '0' },
      notional: { minNotional: '5', applyMinToMarket: false, applyMaxToMarket: false, avgPriceMins: 5 },
    };
    expect(dcaRulesOf(rules)).toEqual({ stepSize: '0.00001', minQty: '0.00001', minNotional: '0' });
    expect(dcaRulesOf({ ...rules, marketLotSize: { minQty: '0.001', maxQty: '120', stepSize: '0.001' } }).stepSize).toBe('0.001');
  });

  it('reads intervals of minutes to weeks, from 1m to 366d', () => {
    expect(parseDcaInterval('1h')).toEqual({ ok: true, ms: 3_600_000 });
    expect(parseDcaInterval('2w')).toEqual({ ok: true, ms: 14 * 86_400_000 });
    expect(parseDcaInterval('90s').ok).toBe(false);
    expect(parseDcaInterval('0d').ok).toBe(false);
    expect(parseDcaInterval('367d')).toEqual({ ok: false, reason: 'must be between 1m and 366d' });
  });
});
