/**
 * OpenTelemetry tracing of one process: one trace per order, from `POST /v1/orders` through the
 * workflow start, the workflow and its activities to the venue call. Off unless
 * OTEL_EXPORTER_OTLP_ENDPOINT is set; then no provider is registered, no interceptor is added and
 * the `@opentelemetry/api` calls in the API and the venues are the API's no-ops. The SDK itself is
 * loaded only when tracing is on.
 */
import { createRequire } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import type { ClientInterceptors } from '@temporalio/client';
import type { InjectedSink, WorkerOptions } from '@temporalio/worker';
import type { OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import type { Config } from './config.js';

/** The instrumentation scope of our own spans (the API request, the venue calls). */
export const TRACER_NAME = 'durable-trader';

/**
 * The SDK's workflow-side module (its `interceptors()` traces a workflow run, its activities,
 * signals and child workflows), for `workflowInterceptorModules`. Designed for replay: it adds no
 * command, and gates every later addition behind an SDK flag, so histories recorded without it
 * replay with it (test/unit/replay.test.ts).
 */
export const WORKFLOW_TRACING_INTERCEPTORS = createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface Tracing {
  /** For a Temporal Client: starts, signals, updates and queries carry the caller's trace (W3C trace context in the headers). */
  readonly clientInterceptors: ClientInterceptors;
  /**
   * For `Worker.create`: activity spans under the workflow's, and the workflow's spans (made in
   * its sandbox) exported through a sink. The workflow interceptors themselves are in the bundle:
   * build it with `workflowInterceptorModules`.
   */
  readonly workerOptions: Required<Pick<WorkerOptions, 'interceptors' | 'sinks'>>;
  /** For `bundleWorkflowCode`: the module whose `interceptors()` traces the workflows. */
  readonly workflowInterceptorModules: string[];
  /** Sends every finished span now (tests, and before a process exits). */
  forceFlush(): Promise<void>;
  /** Flushes, then unregisters the provider: spans made after it are no-ops. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** service.name when OTEL_SERVICE_NAME is unset, e.g. `durable-trader-api`. */
  defaultServiceName: string;
  /** Milliseconds between batch exports (OTel's default 5000). */
  scheduledDelayMillis?: number;
}

/**
 * Registers the process's tracer provider, exporting over OTLP/HTTP (JSON) to
 * `${OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces`; resolves to undefined, having done nothing, when the
 * endpoint is unset. Call once per process, before building Temporal clients and workers.
 * @example
 * const tracing = await startTracing(config, { defaultServiceName: 'durable-trader-worker' });
 * const client = new Client({ connection, interceptors: tracing?.clientInterceptors });
 */
export async function startTracing(
  config: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME'>,
  options: TracingOptions,
): Promise<Tracing | undefined> {
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined) return undefined;
  const [{ OTLPTraceExporter }, { Resource }, { BatchSpanProcessor }, { NodeTracerProvider }, { ATTR_SERVICE_NAME }, otel] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/semantic-conventions'),
    import('@temporalio/interceptors-opentelemetry'),
  ]);
  const resource = Resource.default().merge(new Resource({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME ?? options.defaultServiceName }));
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  const spanProcessor = new BatchSpanProcessor(exporter, options.scheduledDelayMillis === undefined ? {} : { scheduledDelayMillis: options.scheduledDelayMillis });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // AsyncLocalStorage context and the W3C trace-context and baggage propagators.
  provider.register();
  const clientInterceptors: ClientInterceptors = { workflow: [new otel.OpenTelemetryWorkflowClientInterceptor()] };
  return {
    clientInterceptors,
    workerOptions: {
      interceptors: {
        client: clientInterceptors,
        activity: [
          (ctx) => ({
            inbound: new otel.OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: withWorkflowIdentity(otel.makeWorkflowExporter(spanProcessor, resource)) },
    },
    workflowInterceptorModules: [WORKFLOW_TRACING_INTERCEPTORS],
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** What of a workflow's info its spans carry: its identity, not its memo, search attributes or last result. */
const WORKFLOW_SPAN_INFO = ['workflowId', 'runId', 'workflowType', 'taskQueue', 'namespace', 'attempt'] as const;

/**
 * The SDK's exporter copies the whole WorkflowInfo onto every workflow span; we keep only the
 * identity fields, so nothing a workflow was started with (memo, search attributes) leaves in a span.
 */
function withWorkflowIdentity(sink: InjectedSink<OpenTelemetryWorkflowExporter>): InjectedSink<OpenTelemetryWorkflowExporter> {
  const inner = sink.export;
  return {
    export: {
      ...inner,
      fn: (info, spans) => inner.fn(Object.fromEntries(WORKFLOW_SPAN_INFO.map((k) => [k, info[k]])) as unknown as typeof info, spans),
    },
  };
}
