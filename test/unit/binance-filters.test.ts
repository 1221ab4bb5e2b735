import { describe, expect, it } from 'vitest';
import { parseSymbolRules, validateOrderAgainstRules } from '../../domain/venue-rules.js';
import type { PlaceOrderRequest, SymbolRules } from '../../domain/exchange.js';

const rules: SymbolRules = {
  symbol: 'BTCUSDT',
  status: 'TRADING',
  baseAsset: 'BTC',
  quoteAsset: 'USDT',
  orderTypes: ['LIMIT', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
  priceFilter: { minPrice: '0.01', maxPrice: '1000000', tickSize: '0.01' },
  lotSize: { minQty: '0.00001', maxQty: '9000', stepSize: '0.00001' },
  marketLotSize: { minQty: '0', maxQty: '120', stepSize: '0' },
  notional: { minNotional: '5', maxNotional: '9000000', applyMinToMarket: true, applyMaxToMarket: false, avgPriceMins: 5 },
};

function limit(overrides: Partial<PlaceOrderRequest> = {}): PlaceOrderRequest {
  return { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '60000.00', clientOrderId: 'c1', ...overrides };
}

function market(quantity: string): PlaceOrderRequest {
  return { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity, clientOrderId: 'c1' };
}

function failedFilter(req: PlaceOrderRequest, r: SymbolRules = rules, reference?: string): string | undefined {
  const check = validateOrderAgainstRules(req, r, reference);
  return check.ok ? undefined : check.filter;
}

describe('validateOrderAgainstRules', () => {
  it('accepts a limit order on the tick, on the step and above the minimum notional', () => {
    expect(validateOrderAgainstRules(limit(), rules)).toEqual({ ok: true });
  });

  it('answers Binance code -1013 with the message "Filter failure: PRICE_FILTER" for a price off the tick', () => {
    const check = validateOrderAgainstRules(limit({ price: '60000.005' }), rules);
    expect(check).toMatchObject({ ok: false, code: -1013, filter: 'PRICE_FILTER', message: 'Filter failure: PRICE_FILTER' });
  });

  it('rejects a price below minPrice with PRICE_FILTER', () => {
    expect(failedFilter(limit({ price: '0.001', quantity: '9000' }))).toBe('PRICE_FILTER');
  });

  it('treats a zero maxPrice as no upper bound', () => {
    const open = { ...rules, priceFilter: { minPrice: '0.01', maxPrice: '0', tickSize: '0.01' } };
    expect(failedFilter(limit({ price: '5000000.00' }), open)).toBeUndefined();
  });

  it('applies the price filter to the stop price of a stop-market order', () => {
    expect(failedFilter({ ...market('0.001'), type: 'STOP_LOSS', side: 'SELL', stopPrice: '59000.001' })).toBe('PRICE_FILTER');
  });

  it('rejects a quantity below minQty with LOT_SIZE', () => {
    expect(failedFilter(limit({ quantity: '0.000001', price: '999999.00' }))).toBe('LOT_SIZE');
  });

  it('measures the step from minQty, not from zero', () => {
    const offset = { ...rules, lotSize: { minQty: '0.15', maxQty: '100', stepSize: '0.1' }, notional: undefined };
    expect(failedFilter(limit({ quantity: '0.25' }), offset)).toBeUndefined();
    expect(failedFilter(limit({ quantity: '0.3' }), offset)).toBe('LOT_SIZE');
  });

  it('checks MARKET_LOT_SIZE for market orders only', () => {
    expect(failedFilter(market('150'), rules, '1')).toBe('MARKET_LOT_SIZE');
    expect(failedFilter(limit({ quantity: '150', price: '1.00' }))).toBeUndefined();
  });

  it('rejects a limit order whose price times quantity is below minNotional with NOTIONAL', () => {
    expect(failedFilter(limit({ quantity: '0.00008' }))).toBe('NOTIONAL');
  });

  it('checks a market order notional against the reference price when applyMinToMarket is set', () => {
    expect(failedFilter(market('0.00008'), rules, '60000')).toBe('NOTIONAL');
  });

  it('skips the minimum notional of a market order when applyMinToMarket is off', () => {
    const lenient = { ...rules, notional: { ...rules.notional!, applyMinToMarket: false } };
    expect(failedFilter(market('0.00008'), lenient, '60000')).toBeUndefined();
  });

  it('applies maxNotional to market orders only with applyMaxToMarket', () => {
    const capped = { ...rules, notional: { ...rules.notional!, maxNotional: '1000' } };
    expect(failedFilter(market('1'), capped, '60000')).toBeUndefined();
    expect(failedFilter(market('1'), { ...capped, notional: { ...capped.notional, applyMaxToMarket: true } }, '60000')).toBe('NOTIONAL');
  });

  it('uses the stop price as the notional price of a stop-market order', () => {
    expect(failedFilter({ ...market('0.0001'), type: 'STOP_LOSS', side: 'SELL', stopPrice: '40000.00' })).toBe('NOTIONAL');
  });
});

const symbolInfo = (filters: object[]) => ({
  symbol: 'ETHBTC',
  status: 'TRADING',
  baseAsset: 'ETH',
  quoteAsset: 'BTC',
  orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT'],
  filters,
});

describe('parseSymbolRules', () => {
  it('reads PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE and NOTIONAL from an exchangeInfo symbol', () => {
    const parsed = parseSymbolRules(
      symbolInfo([
        { filterType: 'PRICE_FILTER', minPrice: '0.00001000', maxPrice: '922327.00000000', tickSize: '0.00001000' },
        { filterType: 'LOT_SIZE', minQty: '0.00010000', maxQty: '100000.00000000', stepSize: '0.00010000' },
        { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: '2000.00000000', stepSize: '0.00000000' },
        { filterType: 'NOTIONAL', minNotional: '0.00010000', applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
      ]),
    );
    expect(parsed).toMatchObject({
      priceFilter: { tickSize: '0.00001000' },
      lotSize: { stepSize: '0.00010000' },
      marketLotSize: { maxQty: '2000.00000000' },
      notional: { minNotional: '0.00010000', maxNotional: '9000000.00000000', applyMinToMarket: true, applyMaxToMarket: false, avgPriceMins: 5 },
    });
  });

  it('normalises the legacy MIN_NOTIONAL filter, whose applyToMarket covers the minimum only', () => {
    const parsed = parseSymbolRules(symbolInfo([{ filterType: 'MIN_NOTIONAL', minNotional: '10.00000000', applyToMarket: true, avgPriceMins: 5 }]));
    expect(parsed.notional).toEqual({ minNotional: '10.00000000', applyMinToMarket: true, applyMaxToMarket: false, avgPriceMins: 5 });
  });

  it('ignores filters and order types the engine does not model', () => {
    const parsed = parseSymbolRules(symbolInfo([{ filterType: 'ICEBERG_PARTS', limit: 10 }]));
    expect(parsed.orderTypes).toEqual(['LIMIT', 'MARKET', 'STOP_LOSS_LIMIT']);
    expect(parsed.priceFilter).toBeUndefined();
  });
});
