/**
 * SIGNED endpoints: new order, query, cancel, open orders, all orders, account and myTrades. The
 * signature and timing checks happen in the server before these run. An order a fault hides is
 * left out of every order query (order, openOrders, allOrders) while it trades on unseen.
 */
import { apiErrors } from './api-error.js';
import type { FakeOrder } from './orders.js';
import { fmt } from './decimal.js';
import { parseNewOrder } from './order-params.js';
import { optionalInt, requiredSymbol, knownSymbol } from './params.js';
import { renderCanceled, renderNewOrder, renderQueried, renderTrade } from './render.js';
import type { FakeState, Route } from './state.js';

const DAY_MS = 86_400_000;

function visibleNow(state: FakeState): (o: FakeOrder) => boolean {
  const now = state.serverNow();
  return (o) => !state.faults.isHidden(o.orderId, now);
}

/** The order named by `orderId` and/or `origClientOrderId` on `symbol` (among `visible` ones), or undefined. */
function lookup(params: Map<string, string>, state: FakeState, visible?: (o: FakeOrder) => boolean): FakeOrder | undefined {
  const { spec } = requiredSymbol(state, params);
  const orderId = optionalInt(params, 'orderId');
  const clientOrderId = params.get('origClientOrderId');
  if (orderId === undefined && (clientOrderId === undefined || clientOrderId === '')) {
    throw apiErrors.eitherParam('origClientOrderId', 'orderId');
  }
  return state.book.find(spec.symbol, { orderId, clientOrderId }, visible);
}

export const tradingRoutes: Route[] = [
  {
    method: 'POST',
    path: '/api/v3/order',
    signed: true,
    placesOrder: true,
    weight: () => 1,
    handle: ({ params }, state) => {
      const { intent, respType } = parseNewOrder(params, state);
      const { order, fills } = state.book.place(intent);
      return { body: renderNewOrder(order, fills, respType, order.time), acceptedOrder: order };
    },
  },
  {
    method: 'GET',
    path: '/api/v3/order',
    signed: true,
    weight: () => 4,
    handle: ({ params }, state) => {
      const order = lookup(params, state, visibleNow(state));
      if (!order) throw apiErrors.noSuchOrder();
      return { body: renderQueried(order) };
    },
  },
  {
    method: 'DELETE',
    path: '/api/v3/order',
    signed: true,
    weight: () => 1,
    handle: ({ params }, state) => {
      const order = lookup(params, state);
      if (!order) throw apiErrors.unknownOrder();
      const cancelId = params.get('newClientOrderId') ?? state.generateClientOrderId();
      state.book.cancel(order, cancelId);
      return { body: renderCanceled(order, cancelId, order.updateTime) };
    },
  },
  {
    method: 'GET',
    path: '/api/v3/openOrders',
    signed: true,
    weight: (params) => (params.has('symbol') ? 6 : 80),
    handle: ({ params }, state) => {
      const symbol = params.get('symbol');
      if (symbol !== undefined) knownSymbol(state, symbol);
      const visible = visibleNow(state);
      const open = state.book.orders.filter((o) => state.book.isOpen(o) && visible(o) && (symbol === undefined || o.symbol === symbol));
      return { body: open.map(renderQueried) };
    },
  },
  {
    // rest-api.md "All orders": orders >= orderId, or within [startTime, endTime] (24 h at most),
    // oldest first; with neither, the most recent `limit`.
    method: 'GET',
    path: '/api/v3/allOrders',
    signed: true,
    weight: () => 20,
    handle: ({ params }, state) => {
      const { spec } = requiredSymbol(state, params);
      const orderId = optionalInt(params, 'orderId');
      const startTime = optionalInt(params, 'startTime');
      const endTime = optionalInt(params, 'endTime');
      const limit = optionalInt(params, 'limit') ?? 500;
      if (limit < 1 || limit > 1000) throw apiErrors.invalidParam('limit');
      if (startTime !== undefined && endTime !== undefined && endTime - startTime > DAY_MS) throw apiErrors.moreThanHours(24);
      const visible = visibleNow(state);
      const rows = state.book.orders.filter(
        (o) =>
          o.symbol === spec.symbol &&
          visible(o) &&
          (orderId === undefined || o.orderId >= orderId) &&
          (startTime === undefined || o.time >= startTime) &&
          (endTime === undefined || o.time <= endTime),
      );
      const fromTheStart = orderId !== undefined || startTime !== undefined;
      return { body: (fromTheStart ? rows.slice(0, limit) : rows.slice(-limit)).map(renderQueried) };
    },
  },
  {
    method: 'GET',
    path: '/api/v3/account',
    signed: true,
    weight: () => 20,
    handle: ({ params }, state) => ({
      body: {
        // Binance counts these in units of 0.01 %.
        makerCommission: state.commissionRate.times(10_000).toNumber(),
        takerCommission: state.commissionRate.times(10_000).toNumber(),
        buyerCommission: 0,
        sellerCommission: 0,
        commissionRates: { maker: fmt(state.commissionRate), taker: fmt(state.commissionRate), buyer: fmt(0), seller: fmt(0) },
        canTrade: true,
        canWithdraw: true,
        canDeposit: true,
        brokered: false,
        requireSelfTradePrevention: false,
        preventSor: false,
        updateTime: state.account.updateTime,
        accountType: 'SPOT',
        balances: state.account.list(params.get('omitZeroBalances') === 'true'),
        permissions: ['SPOT'],
        uid: 354937868,
      },
    }),
  },
  {
    method: 'GET',
    path: '/api/v3/myTrades',
    signed: true,
    weight: (params) => (params.has('orderId') ? 5 : 20),
    handle: ({ params }, state) => {
      const { spec } = requiredSymbol(state, params);
      const orderId = optionalInt(params, 'orderId');
      const fromId = optionalInt(params, 'fromId');
      const limit = optionalInt(params, 'limit') ?? 500;
      if (limit < 1 || limit > 1000) throw apiErrors.invalidParam('limit');
      const rows = state.book.trades.filter(
        (t) => t.symbol === spec.symbol && (orderId === undefined || t.orderId === orderId) && (fromId === undefined || t.id >= fromId),
      );
      const chosen = fromId === undefined ? rows.slice(-limit) : rows.slice(0, limit);
      return { body: chosen.map(renderTrade) };
    },
  },
];
