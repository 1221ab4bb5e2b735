/**
 * What an operator does to an order's workflow from outside the engine: `temporal workflow cancel`
 * and `temporal workflow terminate` with the real CLI binary, and a look at the workflow's current
 * run (to see the reconciler start tracking a terminated order again).
 */
import { execFile } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';

export type WorkflowAction = 'cancel' | 'terminate';

/**
 * Runs `temporal workflow <action> --workflow-id order-<id>` against the scenario's server
 * (namespace default); rejects with the CLI's own output when it fails.
 * @example await workflowCli(stack.temporalBinary, stack.temporal.address, 'terminate', orderId);
 */
export function workflowCli(binary: string, address: string, action: WorkflowAction, orderId: string): Promise<string> {
  const args = ['workflow', action, '--workflow-id', `order-${orderId}`, '--address', address, '--namespace', 'default'];
  if (action === 'terminate') args.push('--reason', 'chaos: operator terminated the workflow');
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`temporal ${args.slice(0, 4).join(' ')} failed: ${(stderr || stdout || err.message).trim().slice(0, 300)}`));
      else resolve(stdout.trim());
    });
  });
}

export interface RunInfo {
  status: string;
  runId: string;
}

/**
 * Status and run id of the current run of each order's workflow (UNREACHABLE when the server does
 * not answer, NOT_FOUND when it has no such workflow).
 * @example const runs = await currentRuns(address, ids); runs.get(id)?.status === 'RUNNING'
 */
export async function currentRuns(address: string, orderIds: string[]): Promise<Map<string, RunInfo>> {
  const out = new Map<string, RunInfo>();
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5000 });
    const client = new Client({ connection });
    for (const id of orderIds) {
      const info = await client.workflow
        .getHandle(`order-${id}`)
        .describe()
        .then(
          (d) => ({ status: d.status.name, runId: d.runId }),
          (err: unknown) => ({ status: (err as Error).name === 'WorkflowNotFoundError' ? 'NOT_FOUND' : 'UNREACHABLE', runId: '' }),
        );
      out.set(id, info);
    }
  } catch {
    for (const id of orderIds) if (!out.has(id)) out.set(id, { status: 'UNREACHABLE', runId: '' });
  } finally {
    await connection?.close();
  }
  return out;
}
