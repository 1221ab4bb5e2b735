/**
 * POST /api/v3/order parameters checked the way Binance checks them, before the matching engine:
 * the mandatory parameters per order type, enum values, the client order id syntax, and which
 * parameters a type must not carry. The same per-type rules read each leg of an order list under
 * its prefix (`aboveStopPrice`, `pendingBelowTimeInForce`…), see list-params.ts.
 */
import type { OrderType, Side, TimeInForce } from '../../../domain/exchange.js';
import { apiErrors } from './api-error.js';
import type { Dec } from './decimal.js';
import type { OrderIntent } from './orders.js';
import { optionalDecimal, optionalInt, required, requiredDecimal, requiredSymbol } from './params.js';
import { STOP_TYPES } from './trailing.js';
import { defaultRespType, type RespType } from './render.js';
import type { FakeState } from './state.js';

const SIDES: ReadonlySet<string> = new Set<Side>(['BUY', 'SELL']);
const TYPES: ReadonlySet<string> = new Set<OrderType>(['MARKET', 'LIMIT', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']);
const TIFS: ReadonlySet<string> = new Set<TimeInForce>(['GTC', 'IOC', 'FOK']);
const RESP_TYPES: ReadonlySet<string> = new Set<RespType>(['ACK', 'RESULT', 'FULL']);
const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;
const CLIENT_ID_RANGE = '^[\\.A-Z\\:/a-z0-9_-]{1,36}$';

/** What each type needs besides symbol/side/type (rest-api.md, "Additional mandatory parameters"). */
const NEEDS: Record<OrderType, { timeInForce: boolean; price: boolean; stopPrice: boolean }> = {
  MARKET: { timeInForce: false, price: false, stopPrice: false },
  LIMIT: { timeInForce: true, price: true, stopPrice: false },
  LIMIT_MAKER: { timeInForce: false, price: true, stopPrice: false },
  STOP_LOSS: { timeInForce: false, price: false, stopPrice: true },
  TAKE_PROFIT: { timeInForce: false, price: false, stopPrice: true },
  STOP_LOSS_LIMIT: { timeInForce: true, price: true, stopPrice: true },
  TAKE_PROFIT_LIMIT: { timeInForce: true, price: true, stopPrice: true },
};

/** The names one order's type-dependent parameters go by: plain on POST /api/v3/order, prefixed on a list leg. */
export interface TermNames {
  price: string;
  stopPrice: string;
  trailingDelta: string;
  timeInForce: string;
}

const PLAIN_NAMES: TermNames = { price: 'price', stopPrice: 'stopPrice', trailingDelta: 'trailingDelta', timeInForce: 'timeInForce' };

/** `above` → aboveStopPrice, abovePrice… */
export function prefixedNames(prefix: string): TermNames {
  return { price: `${prefix}Price`, stopPrice: `${prefix}StopPrice`, trailingDelta: `${prefix}TrailingDelta`, timeInForce: `${prefix}TimeInForce` };
}

export interface Terms {
  timeInForce?: TimeInForce | undefined;
  price?: Dec | undefined;
  stopPrice?: Dec | undefined;
  trailingDelta?: number | undefined;
}

/**
 * What a type needs and must not carry: stop types want `stopPrice` or `trailingDelta` (or both),
 * the others take neither; timeInForce and price as NEEDS says.
 */
export function parseTerms(params: Map<string, string>, type: OrderType, names: TermNames): Terms {
  const needs = NEEDS[type];
  let timeInForce: TimeInForce | undefined;
  const tif = params.get(names.timeInForce);
  if (needs.timeInForce) {
    if (!TIFS.has(required(params, names.timeInForce))) throw apiErrors.invalidTif();
    timeInForce = tif as TimeInForce;
  } else if (tif !== undefined) {
    throw apiErrors.notRequired(names.timeInForce);
  }
  const price = needs.price ? requiredDecimal(params, names.price) : undefined;
  if (!needs.price && params.has(names.price)) throw apiErrors.notRequired(names.price);
  const trailingDelta = optionalInt(params, names.trailingDelta);
  if (trailingDelta !== undefined && !STOP_TYPES.has(type)) throw apiErrors.notRequired(names.trailingDelta);
  if (trailingDelta !== undefined && trailingDelta <= 0) throw apiErrors.invalidParam(names.trailingDelta);
  const stopPrice = optionalDecimal(params, names.stopPrice);
  if (stopPrice !== undefined && !needs.stopPrice) throw apiErrors.notRequired(names.stopPrice);
  if (needs.stopPrice && stopPrice === undefined && trailingDelta === undefined) throw apiErrors.eitherParam(names.stopPrice, names.trailingDelta);
  return { timeInForce, price, stopPrice, trailingDelta };
}

/** A client order id parameter, generated when absent, in Binance's syntax. */
export function clientId(params: Map<string, string>, name: string, state: FakeState): string {
  const id = params.get(name) ?? state.generateClientOrderId();
  if (!CLIENT_ID.test(id)) throw apiErrors.illegalChars(name, CLIENT_ID_RANGE);
  return id;
}

/** newOrderRespType, or the default for `type`. */
export function respTypeOf(params: Map<string, string>, fallback: RespType): RespType {
  const resp = params.get('newOrderRespType') ?? fallback;
  if (!RESP_TYPES.has(resp)) throw apiErrors.mandatory('newOrderRespType');
  return resp as RespType;
}

export function parseSide(params: Map<string, string>, name: string): Side {
  const side = required(params, name);
  if (!SIDES.has(side)) throw apiErrors.invalidSide();
  return side as Side;
}

export function parseType(params: Map<string, string>, name: string): OrderType {
  const type = required(params, name);
  if (!TYPES.has(type)) throw apiErrors.invalidType();
  return type as OrderType;
}

export interface NewOrderParams {
  intent: OrderIntent;
  respType: RespType;
}

export function parseNewOrder(params: Map<string, string>, state: FakeState): NewOrderParams {
  const { spec } = requiredSymbol(state, params);
  const side = required(params, 'side');
  if (!SIDES.has(side)) throw apiErrors.invalidSide();
  const type = required(params, 'type');
  if (!TYPES.has(type)) throw apiErrors.invalidType();
  const orderType = type as OrderType;
  const { timeInForce, price, stopPrice, trailingDelta } = parseTerms(params, orderType, PLAIN_NAMES);

  let quantity = optionalDecimal(params, 'quantity');
  let quoteOrderQty = optionalDecimal(params, 'quoteOrderQty');
  if (orderType === 'MARKET') {
    if (quantity === undefined && quoteOrderQty === undefined) throw apiErrors.eitherParam('quantity', 'quoteOrderQty');
    if (quantity !== undefined && quoteOrderQty !== undefined) throw apiErrors.notRequired('quoteOrderQty');
  } else {
    quantity = requiredDecimal(params, 'quantity');
    if (quoteOrderQty !== undefined) throw apiErrors.notRequired('quoteOrderQty');
    quoteOrderQty = undefined;
  }

  const clientOrderId = clientId(params, 'newClientOrderId', state);

  const resp = respTypeOf(params, defaultRespType(orderType));

  return {
    intent: { symbol: spec.symbol, side: side as Side, type: orderType, timeInForce, quantity, quoteOrderQty, price, stopPrice, trailingDelta, clientOrderId },
    respType: resp,
  };
}
