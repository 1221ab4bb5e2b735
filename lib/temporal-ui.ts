/** Links into the Temporal Web UI: one workflow's history, and the list of an account's orders. */
import type { Config } from './config.js';
import { ordersQuery } from '../domain/order-search.js';

export function temporalUiLinks(config: Pick<Config, 'temporalUiUrl' | 'TEMPORAL_NAMESPACE'>) {
  const namespace = `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}`;
  return {
    /** The workflow's history page (of one run, when given). */
    workflow: (workflowId: string, runId?: string) => `${namespace}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${runId}` : ''}/history`,
    /** The workflow list filtered to order workflows, one account's when given. */
    orders: (accountId?: string) => `${namespace}/workflows?query=${encodeURIComponent(ordersQuery(accountId))}`,
  };
}
