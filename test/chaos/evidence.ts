/**
 * What the harness shows about an order that went wrong: the workflow's status and the tail of its
 * history, one line per event with the activity name and any failure message.
 */
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { localActivityTypeOf } from '../../lib/history-steps.js';
import type { Verdict } from './audit.js';
import type { Part } from './processes.js';

const EventType = proto.temporal.api.enums.v1.EventType;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

function failureOf(e: HistoryEvent): string | undefined {
  const f =
    e.activityTaskFailedEventAttributes?.failure ??
    e.workflowExecutionFailedEventAttributes?.failure ??
    e.workflowTaskFailedEventAttributes?.failure ??
    e.activityTaskTimedOutEventAttributes?.failure;
  if (!f) return undefined;
  const typed = (x: typeof f) => `${x.applicationFailureInfo?.type ? `${x.applicationFailureInfo.type}: ` : ''}${x.message ?? ''}`;
  return `${typed(f)}${f.cause ? ` ← ${typed(f.cause)}` : ''}`.slice(0, 300);
}

type Failure = proto.temporal.api.failure.v1.IFailure;

/**
 * With PAYLOAD_KEYS the failure converter moves each failure's message into an encrypted payload
 * (the history shows "Encoded failure"); put the real message back so the excerpt says something.
 */
async function decodeFailures(events: HistoryEvent[], codec: PayloadCodec | undefined): Promise<void> {
  if (!codec) return;
  const decode = async (f: Failure | null | undefined): Promise<void> => {
    for (let x = f; x; x = x.cause) {
      if (!x.encodedAttributes) continue;
      try {
        const [plain] = await codec.decode([x.encodedAttributes as never]);
        const attrs = JSON.parse(Buffer.from(plain?.data ?? new Uint8Array()).toString('utf8')) as { message?: string };
        if (attrs.message) x.message = attrs.message;
      } catch {
        // Left as it is: the excerpt then shows the encoded placeholder.
      }
    }
  };
  for (const e of events) {
    await decode(e.activityTaskFailedEventAttributes?.failure);
    await decode(e.workflowExecutionFailedEventAttributes?.failure);
    await decode(e.workflowTaskFailedEventAttributes?.failure);
    await decode(e.activityTaskTimedOutEventAttributes?.failure);
  }
}

const localLabel = (e: HistoryEvent) => {
  const type = localActivityTypeOf(e);
  return type && `${type} (local)`;
};

/** One line per history event, e.g. `#12 ACTIVITY_TASK_SCHEDULED submitOrder`. */
export function describeEvents(events: HistoryEvent[]): string[] {
  const scheduled = new Map<string, string>();
  return events.map((e) => {
    const id = String(e.eventId ?? '?');
    const type = (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched) scheduled.set(id, sched.activityType?.name ?? '?');
    const ref =
      e.activityTaskStartedEventAttributes?.scheduledEventId ??
      e.activityTaskCompletedEventAttributes?.scheduledEventId ??
      e.activityTaskFailedEventAttributes?.scheduledEventId ??
      e.activityTaskTimedOutEventAttributes?.scheduledEventId;
    const activity = sched?.activityType?.name ?? (ref != null ? scheduled.get(String(ref)) : undefined) ?? localLabel(e);
    const timer = e.timerStartedEventAttributes?.startToFireTimeout?.seconds;
    const failure = failureOf(e);
    return [`#${id} ${type}`, activity, timer != null ? `${String(timer)}s` : undefined, failure && `failure: ${failure}`].filter(Boolean).join(' ');
  });
}

export interface WorkflowStory {
  orderId: string;
  status: string;
  /** The first failure in the history: usually what sent the order down its path ("none" when nothing failed). */
  firstFailure: string;
  /** The last failure in the history ("none" when nothing failed). */
  lastFailure: string;
  /** Status line and the last events, ready to print. */
  excerpt: string;
}

/**
 * Status, last failure and history tail of the workflows of `orderIds` (the current run of each).
 * @example const stories = await workflowStories(address, lostIds);
 */
export async function workflowStories(address: string, orderIds: string[], codec?: PayloadCodec, tail = 25): Promise<WorkflowStory[]> {
  if (orderIds.length === 0) return [];
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5000 });
    const client = new Client({ connection });
    const out: WorkflowStory[] = [];
    for (const orderId of orderIds) {
      try {
        const handle = client.workflow.getHandle(`order-${orderId}`);
        const description = await handle.describe();
        const events = (await handle.fetchHistory()).events ?? [];
        await decodeFailures(events, codec);
        const lines = describeEvents(events);
        const failures = events.map(failureOf).filter((f): f is string => f !== undefined);
        // A long history is mostly a loop: its beginning says how the order got there, its end where it is.
        const head = Math.floor(tail / 2);
        const shown = lines.length > tail ? [...lines.slice(0, head), `… ${lines.length - tail} events`, ...lines.slice(head - tail)] : lines;
        out.push({
          orderId,
          status: description.status.name,
          firstFailure: failures[0] ?? 'none',
          lastFailure: failures.at(-1) ?? 'none',
          excerpt: [`workflow order-${orderId}: ${description.status.name} (run ${description.runId}, ${lines.length} events)`, ...shown.map((l) => `  ${l}`)].join('\n'),
        });
      } catch (err) {
        const why = `history unreadable: ${(err as Error).message}`;
        out.push({ orderId, status: 'UNKNOWN', firstFailure: why, lastFailure: why, excerpt: `workflow order-${orderId}: history unreadable (${(err as Error).message})` });
      }
    }
    return out;
  } catch (err) {
    const why = `Temporal unreachable: ${(err as Error).message}`;
    return orderIds.map((orderId) => ({ orderId, status: 'UNKNOWN', firstFailure: why, lastFailure: why, excerpt: '' }));
  } finally {
    await connection?.close();
  }
}

/**
 * The orders among `orderIds` whose workflow has closed (completed, failed, terminated…): an order
 * in that set that is not terminal in Postgres will never become terminal.
 * @example const hopeless = await closedWorkflows(address, openIds);
 */
export async function closedWorkflows(address: string, orderIds: string[]): Promise<string[]> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5000 });
    const client = new Client({ connection });
    const closed: string[] = [];
    for (const id of orderIds) {
      const status = await client.workflow.getHandle(`order-${id}`).describe().then((d) => d.status.name, () => 'UNKNOWN');
      if (status !== 'RUNNING' && status !== 'UNKNOWN') closed.push(id);
    }
    return closed;
  } catch {
    return [];
  } finally {
    await connection?.close();
  }
}

export interface FailureContext {
  verdict: Verdict | undefined;
  error: unknown;
  /** Temporal of the scenario, while it still runs. */
  temporalAddress: string | undefined;
  /** Worker and API, for the tails of their logs. */
  parts: Part[];
  dir: string;
  codec: PayloadCodec | undefined;
}

/**
 * What to print for a failed scenario: the error, the findings, the lost and suspect orders grouped
 * by what their workflow last failed with (one history excerpt per group), and the log tails.
 * @example details.push(...(await explainFailure({ verdict, error, temporalAddress, parts: [worker, api], dir, codec })));
 */
export async function explainFailure(o: FailureContext): Promise<string[]> {
  const { verdict } = o;
  const out: string[] = [];
  if (o.error) out.push(`error: ${o.error instanceof Error ? (o.error.stack ?? o.error.message) : String(o.error)}`);
  if (verdict) {
    out.push(`statuses: ${JSON.stringify(verdict.statuses)}; rejections: ${JSON.stringify(verdict.rejections)}; rested then filled: ${verdict.restedThenFilled}`);
    out.push(...verdict.findings.slice(0, 15));
    if (verdict.findings.length > 15) out.push(`… ${verdict.findings.length - 15} more findings`);
    const ids = [...verdict.lostIds, ...verdict.suspectIds.filter((id) => !verdict.lostIds.includes(id))].slice(0, 40);
    if (o.temporalAddress && ids.length) {
      const stories = await workflowStories(o.temporalAddress, ids, o.codec, 24);
      const groups = new Map<string, WorkflowStory[]>();
      for (const st of stories) {
        // Ids differ per order: without them, orders that failed the same way share one line.
        const anon = (text: string) => text.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>');
        const key = `${st.status}; first failure: ${anon(st.firstFailure)}; last failure: ${anon(st.lastFailure)}`;
        groups.set(key, [...(groups.get(key) ?? []), st]);
      }
      for (const [key, members] of groups) out.push(`${members.length} order(s) ${key} (e.g. ${members.slice(0, 3).map((m) => m.orderId).join(', ')})`);
      for (const members of [...groups.values()].slice(0, 3)) out.push(members[0]!.excerpt);
    }
  }
  for (const part of o.parts) out.push(`--- ${part.name} log (tail) ---\n${part.tail(12)}`);
  out.push(`files: ${o.dir}`);
  return out;
}
