/**
 * Response bodies in Yahoo's shapes, carrying every field yahoo-finance2 3.x requires in its
 * quote and chart schemas (QuoteBase's required list, ChartMeta's required list, the
 * indicators.quote arrays). Prices are written into the JSON as the decimal text they are held
 * in, so no float ever touches them on the fake's side.
 */
import { Decimal } from 'decimal.js';
import type { Bar, FakeInstrument, FakeQuoteType } from './market.js';

const D = Decimal.clone({ toExpNeg: -30, toExpPos: 30 });
const MARK = '~yahoo-fake-decimal~';

/** A number emitted verbatim into JSON. */
class JsonDecimal {
  constructor(readonly text: string) {}
}

const num = (value: Decimal.Value) => new JsonDecimal(new D(value).toString());

export function toJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof JsonDecimal ? MARK + v.text : v));
  return text.replace(new RegExp(`"${MARK}(-?[0-9]+(?:\\.[0-9]+)?)"`, 'g'), '$1');
}

/** Yahoo's error envelope, e.g. {"finance":{"result":null,"error":{"code":"Unauthorized",...}}}. */
export function yahooError(root: 'finance' | 'chart' | 'quoteResponse', code: string, description: string): string {
  return toJson({ [root]: { result: null, error: { code, description } } });
}

interface Venue {
  exchange: string;
  fullExchangeName: string;
  typeDisp: string;
  quoteSourceName: string;
}

const VENUES: Record<FakeQuoteType, Venue> = {
  EQUITY: { exchange: 'NMS', fullExchangeName: 'NasdaqGS', typeDisp: 'Equity', quoteSourceName: 'Nasdaq Real Time Price' },
  ETF: { exchange: 'PCX', fullExchangeName: 'NYSEArca', typeDisp: 'ETF', quoteSourceName: 'Nasdaq Real Time Price' },
  INDEX: { exchange: 'SNP', fullExchangeName: 'SNP', typeDisp: 'Index', quoteSourceName: 'Free Realtime Quote' },
  MUTUALFUND: { exchange: 'NAS', fullExchangeName: 'Nasdaq', typeDisp: 'Fund', quoteSourceName: 'Delayed Quote' },
};

/** The fake trades around the clock but speaks New York time like Yahoo's US listings. */
const NEW_YORK = { exchangeTimezoneName: 'America/New_York', exchangeTimezoneShortName: 'EDT', gmtOffsetS: -14_400 };
const FIRST_TRADE_S = 345_479_400;

export interface QuoteState {
  instrument: FakeInstrument;
  price: string;
  atMs: number;
  /** Today's bar (UTC day) from the same walk, for open/high/low/previous close. */
  today: Bar | undefined;
}

/**
 * One element of quoteResponse.result. A mutual fund is priced once a day at its NAV and trades
 * no volume on the exchange: Yahoo sends it without the day's volume, open, high and low.
 */
export function quoteObject({ instrument, price, atMs, today }: QuoteState): Record<string, unknown> {
  const venue = VENUES[instrument.quoteType];
  const open = new D(today?.open ?? price);
  const change = new D(price).minus(open);
  const session =
    instrument.quoteType === 'MUTUALFUND'
      ? {}
      : {
          regularMarketDayHigh: num(D.max(open, price, today?.high ?? price)),
          regularMarketDayLow: num(D.min(open, price, today?.low ?? price)),
          regularMarketVolume: today?.volume ?? 0,
          regularMarketOpen: num(open),
        };
  return {
    language: 'en-US',
    region: 'US',
    quoteType: instrument.quoteType,
    typeDisp: venue.typeDisp,
    quoteSourceName: venue.quoteSourceName,
    triggerable: true,
    customPriceAlertConfidence: 'HIGH',
    currency: instrument.currency,
    marketState: 'REGULAR',
    tradeable: false,
    cryptoTradeable: false,
    exchange: venue.exchange,
    shortName: instrument.name,
    longName: instrument.name,
    exchangeTimezoneName: NEW_YORK.exchangeTimezoneName,
    exchangeTimezoneShortName: NEW_YORK.exchangeTimezoneShortName,
    gmtOffSetMilliseconds: NEW_YORK.gmtOffsetS * 1000,
    market: 'us_market',
    esgPopulated: false,
    regularMarketChange: num(change),
    regularMarketChangePercent: num(open.isZero() ? 0 : change.div(open).times(100).toDecimalPlaces(6)),
    regularMarketTime: Math.floor(atMs / 1000),
    regularMarketPrice: num(price),
    ...session,
    regularMarketPreviousClose: num(open),
    fullExchangeName: venue.fullExchangeName,
    ...(instrument.quoteType === 'INDEX' ? {} : { financialCurrency: instrument.currency }),
    sourceInterval: 15,
    exchangeDataDelayedBy: 0,
    priceHint: 2,
    hasPrePostMarketData: instrument.quoteType !== 'INDEX',
    firstTradeDateMilliseconds: FIRST_TRADE_S * 1000,
    symbol: instrument.symbol,
  };
}

export function quoteResponse(results: Record<string, unknown>[]): string {
  return toJson({ quoteResponse: { result: results, error: null } });
}

function tradingPeriod(startS: number, endS: number) {
  return { timezone: NEW_YORK.exchangeTimezoneShortName, start: startS, end: endS, gmtoffset: NEW_YORK.gmtOffsetS };
}

export interface ChartState {
  instrument: FakeInstrument;
  price: string;
  atMs: number;
  interval: string;
  bars: Bar[];
}

/** The body of /v8/finance/chart/:symbol for a period1/period2 request. */
export function chartResponse({ instrument, price, atMs, interval, bars }: ChartState): string {
  const day = Math.floor(atMs / 86_400_000) * 86_400;
  const venue = VENUES[instrument.quoteType];
  const meta = {
    currency: instrument.currency,
    symbol: instrument.symbol,
    exchangeName: venue.exchange,
    fullExchangeName: venue.fullExchangeName,
    instrumentType: instrument.quoteType,
    firstTradeDate: FIRST_TRADE_S,
    regularMarketTime: Math.floor(atMs / 1000),
    hasPrePostMarketData: instrument.quoteType !== 'INDEX',
    gmtoffset: NEW_YORK.gmtOffsetS,
    timezone: NEW_YORK.exchangeTimezoneShortName,
    exchangeTimezoneName: NEW_YORK.exchangeTimezoneName,
    regularMarketPrice: num(price),
    longName: instrument.name,
    shortName: instrument.name,
    chartPreviousClose: num(bars[0]?.open ?? price),
    priceHint: 2,
    currentTradingPeriod: {
      pre: tradingPeriod(day + 28_800, day + 48_600),
      regular: tradingPeriod(day + 48_600, day + 72_000),
      post: tradingPeriod(day + 72_000, day + 86_400),
    },
    dataGranularity: interval,
    range: '',
    validRanges: ['1d', '5d', '1mo', '3mo', '6mo', '1y', '2y', '5y', '10y', 'ytd', 'max'],
  };
  // Yahoo leaves out `timestamp` and sends one empty quote object when a range has no bars.
  const series =
    bars.length === 0
      ? { indicators: { quote: [{}], adjclose: [{}] } }
      : {
          timestamp: bars.map((b) => b.time),
          indicators: {
            quote: [
              {
                open: bars.map((b) => num(b.open)),
                high: bars.map((b) => num(b.high)),
                low: bars.map((b) => num(b.low)),
                close: bars.map((b) => num(b.close)),
                volume: bars.map((b) => b.volume),
              },
            ],
            adjclose: [{ adjclose: bars.map((b) => num(b.close)) }],
          },
        };
  return toJson({ chart: { result: [{ meta, ...series }], error: null } });
}
