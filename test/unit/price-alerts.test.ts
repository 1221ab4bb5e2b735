import { describe, expect, it } from 'vitest';
import { alertFires, conditionalOrder, creationProblem, crossFrom, describeAlert, type AlertRule } from '../../domain/price-alerts.js';

describe('alertFires', () => {
  it('fires ABOVE at the threshold and over it, not under it', () => {
    const rule: AlertRule = { condition: 'ABOVE', threshold: '70000' };
    expect(alertFires(rule, '69999.99')).toBe(false);
    expect(alertFires(rule, '70000')).toBe(true);
    expect(alertFires(rule, '70000.00000001')).toBe(true);
  });

  it('fires BELOW at the threshold and under it, not over it', () => {
    const rule: AlertRule = { condition: 'BELOW', threshold: '0.1' };
    expect(alertFires(rule, '0.10000001')).toBe(false);
    expect(alertFires(rule, '0.1')).toBe(true);
    expect(alertFires(rule, '0.05')).toBe(true);
  });

  it('fires a CROSS from below when the price reaches the threshold, and never on a fall', () => {
    const rule: AlertRule = { condition: 'CROSS', threshold: '100', referencePrice: '90' };
    expect(crossFrom('90', '100')).toBe('below');
    expect(alertFires(rule, '80')).toBe(false);
    expect(alertFires(rule, '99.99')).toBe(false);
    expect(alertFires(rule, '100')).toBe(true);
    expect(alertFires(rule, '120')).toBe(true);
  });

  it('fires a CROSS from above when the price falls to the threshold, and never on a rise', () => {
    const rule: AlertRule = { condition: 'CROSS', threshold: '100', referencePrice: '110' };
    expect(crossFrom('110', '100')).toBe('above');
    expect(alertFires(rule, '130')).toBe(false);
    expect(alertFires(rule, '100.01')).toBe(false);
    expect(alertFires(rule, '100')).toBe(true);
    expect(alertFires(rule, '95')).toBe(true);
  });

  it('fires MOVE_PCT UP on a rise of pct percent from the window low, not on a smaller one or a fall', () => {
    const rule: AlertRule = { condition: 'MOVE_PCT', pct: '5', direction: 'UP' };
    expect(alertFires(rule, '104.99', { low: '100', high: '104.99' })).toBe(false);
    expect(alertFires(rule, '105', { low: '100', high: '105' })).toBe(true);
    expect(alertFires(rule, '90', { low: '90', high: '100' })).toBe(false);
  });

  it('fires MOVE_PCT DOWN on a fall of pct percent from the window high, not on a rise', () => {
    const rule: AlertRule = { condition: 'MOVE_PCT', pct: '10', direction: 'DOWN' };
    expect(alertFires(rule, '90.01', { low: '90.01', high: '100' })).toBe(false);
    expect(alertFires(rule, '90', { low: '90', high: '100' })).toBe(true);
    expect(alertFires(rule, '200', { low: '100', high: '200' })).toBe(false);
  });

  it('fires MOVE_PCT ANY either way, counts the current price in the range, and never without one', () => {
    const rule: AlertRule = { condition: 'MOVE_PCT', pct: '2.5', direction: 'ANY' };
    expect(alertFires(rule, '102.5', { low: '100', high: '100' })).toBe(true);
    expect(alertFires(rule, '97.5', { low: '100', high: '100' })).toBe(true);
    expect(alertFires(rule, '101', { low: '100', high: '101' })).toBe(false);
    expect(alertFires(rule, '150')).toBe(false);
  });
});

describe('creationProblem', () => {
  it('refuses ABOVE and BELOW thresholds the current price already satisfies, naming the price', () => {
    expect(creationProblem({ condition: 'ABOVE', threshold: '100' }, '100')).toMatch(/must be above the current price 100/);
    expect(creationProblem({ condition: 'ABOVE', threshold: '100.01' }, '100')).toBeUndefined();
    expect(creationProblem({ condition: 'BELOW', threshold: '100' }, '99')).toMatch(/must be below the current price 99/);
    expect(creationProblem({ condition: 'BELOW', threshold: '98' }, '99')).toBeUndefined();
  });

  it('refuses a CROSS at the current price (no side to cross from) and takes one on either side', () => {
    expect(creationProblem({ condition: 'CROSS', threshold: '100', referencePrice: '100' }, '100')).toMatch(/needs a side/);
    expect(creationProblem({ condition: 'CROSS', threshold: '100', referencePrice: '90' }, '90')).toBeUndefined();
    expect(creationProblem({ condition: 'CROSS', threshold: '100', referencePrice: '110' }, '110')).toBeUndefined();
  });
});

describe('conditionalOrder', () => {
  it('places the terms under the fixed order id, naming the alert and the run that fired it as parent', () => {
    const order = conditionalOrder(
      { alertId: 'a1', accountId: 'acc', orderId: 'o1', firedBy: 'refresh-1' },
      { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000', timeInForce: 'GTC', venue: 'paper' },
    );
    expect(order).toMatchObject({ orderId: 'o1', accountId: 'acc', venue: 'paper', symbol: 'BTCUSDT', price: '60000', parent: { kind: 'alert', id: 'a1', workflowId: 'refresh-1', role: 'conditional order' } });
  });

  it('describes each kind in one line', () => {
    expect(describeAlert('BTCUSDT', { condition: 'CROSS', threshold: '100', referencePrice: '90' })).toBe('BTCUSDT crosses 100 from below');
    expect(describeAlert('AAPL', { condition: 'MOVE_PCT', pct: '5', direction: 'DOWN' }, 3600)).toBe('AAPL moves down 5% within 3600 s');
  });
});
