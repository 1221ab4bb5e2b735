/**
 * SIGNED order list endpoints (rest-api.md "Order lists", "Query Order list", "Query all Order
 * lists", "Query Open Order lists"): new OCO and OTOCO, query, cancel, open and all lists. A list
 * whose legs a fault hides is hidden from the list queries too.
 */
import { apiErrors, BinanceApiError } from './api-error.js';
import { parseNewOco, parseNewOtoco, type NewListParams } from './list-params.js';
import type { FakeOrderList } from './order-lists.js';
import { optionalInt, requiredSymbol } from './params.js';
import { renderCanceledList, renderList, renderNewList } from './render.js';
import type { FakeState, Route, RouteResult } from './state.js';

const DAY_MS = 86_400_000;

/** Not in errors.md; what Binance has been seen to answer for a list it does not know (binance-spot-api-docs PR #43). */
const noSuchList = (): BinanceApiError => new BinanceApiError(400, -2018, 'Order list does not exist.');

function visibleList(state: FakeState): (l: FakeOrderList) => boolean {
  const now = state.serverNow();
  return (l) => !l.legs.some((o) => state.faults.isHidden(o.orderId, now));
}

function placeList({ intent, respType }: NewListParams, state: FakeState): RouteResult {
  const { list, reports, fills } = state.book.placeList(intent);
  return { body: renderNewList(list, reports, fills, respType), acceptedOrder: list.legs[0], acceptedLegs: list.legs };
}

/** GET /api/v3/orderList takes no symbol: Binance refuses parameters it does not read (-1104). */
function onlyReads(params: Map<string, string>, names: readonly string[]): void {
  const sent = [...params.keys()].filter((k) => k !== 'signature');
  const read = sent.filter((k) => names.includes(k)).length;
  if (read < sent.length) throw new BinanceApiError(400, -1104, `Not all sent parameters were read; read '${read}' parameter(s) but was sent '${sent.length}'.`);
}

export const listRoutes: Route[] = [
  {
    method: 'POST',
    path: '/api/v3/orderList/oco',
    signed: true,
    placesOrder: true,
    weight: () => 1,
    handle: ({ params }, state) => placeList(parseNewOco(params, state), state),
  },
  {
    method: 'POST',
    path: '/api/v3/orderList/otoco',
    signed: true,
    placesOrder: true,
    weight: () => 1,
    handle: ({ params }, state) => placeList(parseNewOtoco(params, state), state),
  },
  {
    method: 'GET',
    path: '/api/v3/orderList',
    signed: true,
    weight: () => 4,
    handle: ({ params }, state) => {
      onlyReads(params, ['orderListId', 'origClientOrderId', 'recvWindow', 'timestamp']);
      const orderListId = optionalInt(params, 'orderListId');
      const listClientOrderId = params.get('origClientOrderId');
      if (orderListId === undefined && !listClientOrderId) {
        throw new BinanceApiError(400, -1128, "Combination of optional parameters invalid. Recommendation: 'orderListId' should also be sent.");
      }
      const list = state.book.findList({ orderListId, listClientOrderId });
      if (!list || !visibleList(state)(list)) throw noSuchList();
      return { body: renderList(list) };
    },
  },
  {
    method: 'DELETE',
    path: '/api/v3/orderList',
    signed: true,
    weight: () => 1,
    handle: ({ params }, state) => {
      const { spec } = requiredSymbol(state, params);
      const orderListId = optionalInt(params, 'orderListId');
      const listClientOrderId = params.get('listClientOrderId');
      if (orderListId === undefined && !listClientOrderId) throw apiErrors.eitherParam('orderListId', 'listClientOrderId');
      const list = state.book.findList({ orderListId, listClientOrderId });
      if (!list || list.symbol !== spec.symbol) throw new BinanceApiError(400, -2011, 'Order list does not exist.');
      const cancelId = params.get('newClientOrderId') ?? state.generateClientOrderId();
      state.book.cancelList(list, cancelId);
      return { body: renderCanceledList(list, cancelId) };
    },
  },
  {
    method: 'GET',
    path: '/api/v3/openOrderList',
    signed: true,
    weight: () => 6,
    handle: (_req, state) => {
      const visible = visibleList(state);
      return { body: state.book.lists.filter((l) => l.listOrderStatus === 'EXECUTING' && visible(l)).map(renderList) };
    },
  },
  {
    method: 'GET',
    path: '/api/v3/allOrderList',
    signed: true,
    weight: () => 20,
    handle: ({ params }, state) => {
      const fromId = optionalInt(params, 'fromId');
      const startTime = optionalInt(params, 'startTime');
      const endTime = optionalInt(params, 'endTime');
      const limit = optionalInt(params, 'limit') ?? 500;
      if (limit < 1 || limit > 1000) throw apiErrors.invalidParam('limit');
      if (fromId !== undefined && (startTime !== undefined || endTime !== undefined)) throw apiErrors.notRequired(startTime !== undefined ? 'startTime' : 'endTime');
      if (startTime !== undefined && endTime !== undefined && endTime - startTime > DAY_MS) throw apiErrors.moreThanHours(24);
      const visible = visibleList(state);
      const rows = state.book.lists.filter(
        (l) =>
          visible(l) &&
          (fromId === undefined || l.orderListId >= fromId) &&
          (startTime === undefined || l.legs[0]!.time >= startTime) &&
          (endTime === undefined || l.legs[0]!.time <= endTime),
      );
      const fromTheStart = fromId !== undefined || startTime !== undefined;
      return { body: (fromTheStart ? rows.slice(0, limit) : rows.slice(-limit)).map(renderList) };
    },
  },
];
