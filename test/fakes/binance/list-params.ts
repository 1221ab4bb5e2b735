/**
 * POST /api/v3/orderList/oco and /orderList/otoco parameters (rest-api.md "Order lists"), read with
 * the same per-type rules as a single order under each leg's prefix. The pair's own rules (which
 * types, which side of the last price) are the book's, in order-lists.ts.
 */
import type { Side } from '../../../domain/exchange.js';
import { apiErrors, BinanceApiError } from './api-error.js';
import type { Dec } from './decimal.js';
import { type ListIntent, OCO_LEG_TYPES } from './order-lists.js';
import { clientId, parseSide, parseTerms, parseType, prefixedNames, respTypeOf } from './order-params.js';
import type { OrderIntent } from './orders.js';
import { requiredDecimal, requiredSymbol } from './params.js';
import type { RespType } from './render.js';
import type { FakeState } from './state.js';

export interface NewListParams {
  intent: ListIntent;
  respType: RespType;
}

/** One leg of an OCO pair: `prefix` is above, below, pendingAbove or pendingBelow. */
function pairLeg(params: Map<string, string>, state: FakeState, prefix: string, symbol: string, side: Side, quantity: Dec): OrderIntent {
  const type = parseType(params, `${prefix}Type`);
  if (!OCO_LEG_TYPES.has(type)) throw new BinanceApiError(400, -1158, 'Order type not supported in OCO.');
  const terms = parseTerms(params, type, prefixedNames(prefix));
  return { symbol, side, type, quantity, ...terms, clientOrderId: clientId(params, `${prefix}ClientOrderId`, state) };
}

function listClientId(params: Map<string, string>, state: FakeState): string {
  return clientId(params, 'listClientOrderId', state);
}

export function parseNewOco(params: Map<string, string>, state: FakeState): NewListParams {
  const { spec } = requiredSymbol(state, params);
  const side = parseSide(params, 'side');
  const quantity = requiredDecimal(params, 'quantity');
  const above = pairLeg(params, state, 'above', spec.symbol, side, quantity);
  const below = pairLeg(params, state, 'below', spec.symbol, side, quantity);
  return {
    intent: { kind: 'OCO', symbol: spec.symbol, listClientOrderId: listClientId(params, state), above, below },
    respType: respTypeOf(params, 'FULL'),
  };
}

export function parseNewOtoco(params: Map<string, string>, state: FakeState): NewListParams {
  const { spec } = requiredSymbol(state, params);
  const workingType = parseType(params, 'workingType');
  if (workingType !== 'LIMIT' && workingType !== 'LIMIT_MAKER') throw apiErrors.invalidParam('workingType');
  const workingSide = parseSide(params, 'workingSide');
  const workingQuantity = requiredDecimal(params, 'workingQuantity');
  const workingTerms = parseTerms(params, workingType, prefixedNames('working'));
  const working: OrderIntent = {
    symbol: spec.symbol,
    side: workingSide,
    type: workingType,
    quantity: workingQuantity,
    ...workingTerms,
    clientOrderId: clientId(params, 'workingClientOrderId', state),
  };
  const pendingSide = parseSide(params, 'pendingSide');
  const pendingQuantity = requiredDecimal(params, 'pendingQuantity');
  const above = pairLeg(params, state, 'pendingAbove', spec.symbol, pendingSide, pendingQuantity);
  const below = pairLeg(params, state, 'pendingBelow', spec.symbol, pendingSide, pendingQuantity);
  return {
    intent: { kind: 'OTOCO', symbol: spec.symbol, listClientOrderId: listClientId(params, state), working, above, below },
    respType: respTypeOf(params, 'FULL'),
  };
}
