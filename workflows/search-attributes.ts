/** The order's search attributes as typed keys, and the values an order has at a given status. */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { OrderRequest, OrderStatus } from '../domain/orders.js';

const keyword = (name: string) => defineSearchAttributeKey(name, SearchAttributeType.KEYWORD);

export const orderKeys = {
  OrderStatus: keyword('OrderStatus'),
  Symbol: keyword('Symbol'),
  Side: keyword('Side'),
  OrderType: keyword('OrderType'),
  Venue: keyword('Venue'),
  AccountId: keyword('AccountId'),
  ClientOrderId: keyword('ClientOrderId'),
};

/** Every attribute of the order; the API sets them at start, the workflow at each transition. */
export function orderSearchAttributes(order: OrderRequest, clientOrderId: string, status: OrderStatus): SearchAttributePair[] {
  return [
    { key: orderKeys.OrderStatus, value: status },
    { key: orderKeys.Symbol, value: order.symbol },
    { key: orderKeys.Side, value: order.side },
    { key: orderKeys.OrderType, value: order.type },
    { key: orderKeys.Venue, value: order.venue },
    { key: orderKeys.AccountId, value: order.accountId },
    { key: orderKeys.ClientOrderId, value: clientOrderId },
  ];
}
