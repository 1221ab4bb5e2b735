/**
 * The activities a workflow history shows, ordinary and local: an ordinary one is an
 * ACTIVITY_TASK_SCHEDULED event, a local one a `core_local_activity` marker whose `data` payload is
 * plain JSON written by Temporal Core (never passed through the payload codec).
 */
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface ActivityStep {
  name: string;
  local: boolean;
}

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** The activity type of a local activity marker, or undefined for any other event. */
export function localActivityTypeOf(event: HistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== LOCAL_ACTIVITY_MARKER) return undefined;
  const payload = marker.details?.['data']?.payloads?.[0];
  const encoding = payload?.metadata?.['encoding'] ? Buffer.from(payload.metadata['encoding']).toString() : '';
  if (encoding !== 'json/plain' || !payload?.data) return '(local activity)';
  try {
    return (JSON.parse(Buffer.from(payload.data).toString()) as { activity_type?: string }).activity_type ?? '(local activity)';
  } catch {
    return '(local activity)';
  }
}

/**
 * @example activitySteps(history.events) // [{ name: 'recordOrderReceived', local: true }, …, { name: 'submitOrder', local: false }, …]
 */
export function activitySteps(events: readonly HistoryEvent[]): ActivityStep[] {
  const steps: ActivityStep[] = [];
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) steps.push({ name: scheduled, local: false });
    const local = localActivityTypeOf(e);
    if (local) steps.push({ name: local, local: true });
  }
  return steps;
}
