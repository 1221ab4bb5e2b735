/**
 * POST /api/v3/order parameters checked the way Binance checks them, before the matching engine:
 * the mandatory parameters per order type, enum values, the client order id syntax, and which
 * parameters a type must not carry.
 */
import type { OrderType, Side, TimeInForce } from '../../../domain/exchange.js';
import { apiErrors } from './api-error.js';
import type { OrderIntent } from './orders.js';
import { optionalDecimal, required, requiredDecimal, requiredSymbol } from './params.js';
import { defaultRespType, type RespType } from './render.js';
import type { FakeState } from './state.js';

const SIDES: ReadonlySet<string> = new Set<Side>(['BUY', 'SELL']);
const TYPES: ReadonlySet<string> = new Set<OrderType>(['MARKET', 'LIMIT', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']);
const TIFS: ReadonlySet<string> = new Set<TimeInForce>(['GTC', 'IOC', 'FOK']);
const RESP_TYPES: ReadonlySet<string> = new Set<RespType>(['ACK', 'RESULT', 'FULL']);
const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;
const CLIENT_ID_RANGE = '^[\\.A-Z\\:/a-z0-9_-]{1,36}$';

/** What each type needs besides symbol/side/type (rest-api.md, "Additional mandatory parameters"). */
const NEEDS: Record<OrderType, { timeInForce: boolean; price: boolean; stopPrice: boolean }> = {
  MARKET: { timeInForce: false, price: false, stopPrice: false },
  LIMIT: { timeInForce: true, price: true, stopPrice: false },
  STOP_LOSS: { timeInForce: false, price: false, stopPrice: true },
  TAKE_PROFIT: { timeInForce: false, price: false, stopPrice: true },
  STOP_LOSS_LIMIT: { timeInForce: true, price: true, stopPrice: true },
  TAKE_PROFIT_LIMIT: { timeInForce: true, price: true, stopPrice: true },
};

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
  const needs = NEEDS[orderType];

  let timeInForce: TimeInForce | undefined;
  const tif = params.get('timeInForce');
  if (needs.timeInForce) {
    if (!TIFS.has(required(params, 'timeInForce'))) throw apiErrors.invalidTif();
    timeInForce = tif as TimeInForce;
  } else if (tif !== undefined) {
    throw apiErrors.notRequired('timeInForce');
  }

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

  const price = needs.price ? requiredDecimal(params, 'price') : undefined;
  if (!needs.price && params.has('price')) throw apiErrors.notRequired('price');
  const stopPrice = needs.stopPrice ? requiredDecimal(params, 'stopPrice') : undefined;
  if (!needs.stopPrice && params.has('stopPrice')) throw apiErrors.notRequired('stopPrice');

  const clientOrderId = params.get('newClientOrderId') ?? state.generateClientOrderId();
  if (!CLIENT_ID.test(clientOrderId)) throw apiErrors.illegalChars('newClientOrderId', CLIENT_ID_RANGE);

  const resp = params.get('newOrderRespType') ?? defaultRespType(orderType);
  if (!RESP_TYPES.has(resp)) throw apiErrors.mandatory('newOrderRespType');

  return {
    intent: { symbol: spec.symbol, side: side as Side, type: orderType, timeInForce, quantity, quoteOrderQty, price, stopPrice, clientOrderId },
    respType: resp as RespType,
  };
}
