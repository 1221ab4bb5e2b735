/** Every workflow the workers host (the worker's workflowsPath). */
export * from './order-lifecycle.js';
export * from './refresh-prices.js';
export * from './portfolio.js';
export * from './reconcile-orders.js';
export * from './dca-buy.js';
export * from './twap.js';
export * from './order-list.js';
export * from './account-balances.js';
