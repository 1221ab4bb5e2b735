/** Links into the Temporal Web UI: one workflow's history, and the list of an account's orders. */
import type { Config } from './config.js';
import { ordersQuery } from '../domain/order-search.js';

export function temporalUiLinks(config: Pick<Config, 'temporalUiUrl' | 'TEMPORAL_NAMESPACE'>) {
  const namespace = `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}`;
  return {
    /**
     * The workflow's page: one run's history when given, otherwise the latest run's (the UI reads
     * a segment after the workflow id as a run id, so `…/{workflowId}/history` answered 400).
     */
    workflow: (workflowId: string, runId?: string) => `${namespace}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${runId}/history` : ''}`,
    /** The workflow list filtered to order workflows, one account's when given. */
    orders: (accountId?: string) => `${namespace}/workflows?query=${encodeURIComponent(ordersQuery(accountId))}`,
  };
}
