/**
 * What every endpoint handler of the fake sees: the market, the account, the book, the faults,
 * the server clock, and the shape of a route.
 */
import type { Account } from './account.js';
import type { Book } from './book.js';
import type { FakeOrder } from './orders.js';
import type { FaultBook } from './faults.js';
import type { Market } from './market.js';
import type { RateLimits } from './rate-limits.js';
import type { Dec } from './decimal.js';
import type { Credentials } from './signing.js';
import type { SymbolEntry } from './symbols.js';

export interface FakeState {
  symbols: Map<string, SymbolEntry>;
  market: Market;
  account: Account;
  book: Book;
  faults: FaultBook;
  /** Request weight (per IP: REST and WebSocket API alike) and order counts against the configured limits. */
  limits: RateLimits;
  creds: Credentials;
  /** e.g. 0.001 for 0.1 %, on maker and taker fills alike. */
  commissionRate: Dec;
  /** Local clock plus the simulated skew: what `GET /api/v3/time` answers. */
  serverNow(): number;
  /** Binance generates a client order id when none is sent. */
  generateClientOrderId(): string;
}

export interface RouteRequest {
  method: string;
  path: string;
  /** Query parameters over body parameters, as Binance merges them. */
  params: Map<string, string>;
}

export interface RouteResult {
  status?: number;
  body: unknown;
  /** Set by POST /api/v3/order (and the order list endpoints, to a list's first leg) on success: drives the order-count headers and order faults. */
  acceptedOrder?: FakeOrder;
  /** Every order a new order list created: a fault that hides an accepted order hides them all. */
  acceptedLegs?: FakeOrder[];
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  signed: boolean;
  /** Places an order: subject to the ORDERS limits (-1015) once the request is authenticated. */
  placesOrder?: boolean;
  /** Request weight, which can depend on the parameters (e.g. openOrders without a symbol). */
  weight: (params: Map<string, string>) => number;
  handle: (req: RouteRequest, state: FakeState) => RouteResult;
}
