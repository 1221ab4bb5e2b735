/**
 * A small structured logger: one line per event, as JSON (`LOG_FORMAT=json`, the default when
 * stdout is not a terminal) or as text (`time level [component] message {fields}`). Fields whose
 * key looks secret are replaced before anything is written. Every line carries the correlation ids
 * known where it is written: those bound with {@link withLogContext} (the API binds the request id
 * and, once authenticated, the account id), the active OpenTelemetry trace id, and inside an
 * activity its workflow id.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';
import { asyncLocalStorage as activityContext } from '@temporalio/activity';
import type { LogLevel as SdkLogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(component: string, fields?: LogFields): Logger;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /secret|password|apikey|api_key|token|authorization|signature|cookie|credentials?_?keys?|payload_?keys?/i;

export function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_KEY.test(k)) out[k] = '[redacted]';
    else if (v instanceof Error) out[k] = `${v.name}: ${v.message}`;
    else out[k] = v;
  }
  return out;
}

const context = new AsyncLocalStorage<LogFields>();

/**
 * Runs `fn` with `fields` added to every line any logger writes until it settles.
 * @example await withLogContext({ requestId }, () => next());
 */
export function withLogContext<T>(fields: LogFields, fn: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, fn);
}

/**
 * Adds fields to the context already bound (by {@link withLogContext}) for the rest of it, e.g.
 * the account id once a request is authenticated. Outside a bound context it does nothing.
 * @example addLogContext({ accountId: principal.accountId });
 */
export function addLogContext(fields: LogFields): void {
  const store = context.getStore();
  if (store) Object.assign(store, fields);
}

/** The correlation ids known here: the bound context, the active span's trace, the activity's workflow. */
function correlation(): LogFields {
  const out: LogFields = { ...context.getStore() };
  const span = trace.getActiveSpan()?.spanContext();
  if (span && span.traceId !== '00000000000000000000000000000000') out.traceId = span.traceId;
  const info = activityContext.getStore()?.info;
  if (info) {
    if (info.workflowExecution?.workflowId) out.workflowId ??= info.workflowExecution.workflowId;
    out.activityType ??= info.activityType;
  }
  return out;
}

/** `LOG_FORMAT` when set, else text in a terminal and JSON otherwise (files, pipes, log shippers). */
export function defaultLogFormat(env: NodeJS.ProcessEnv = process.env, isTty = Boolean(process.stdout.isTTY)): LogFormat {
  if (env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'text') return env.LOG_FORMAT;
  return isTty ? 'text' : 'json';
}

export interface LoggerOptions {
  level?: LogLevel;
  /** `json` or `text`; {@link defaultLogFormat} when absent. */
  format?: LogFormat;
  /** Where lines go; stderr by default so stdout stays for banners and data. */
  write?: (line: string) => void;
  fields?: LogFields;
}

/**
 * @example const log = createLogger('worker', { level: config.LOG_LEVEL, format: config.LOG_FORMAT }); log.info('started', { taskQueue });
 */
export function createLogger(component: string, options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const format = options.format ?? defaultLogFormat();
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const base = options.fields ?? {};
  const emit = (lvl: LogLevel, message: string, fields?: LogFields) => {
    if (order[lvl] < order[level]) return;
    const all = redact({ ...correlation(), ...base, ...fields });
    const time = new Date().toISOString();
    if (format === 'json') {
      write(JSON.stringify({ time, level: lvl, component, msg: message, ...all }));
      return;
    }
    const extra = Object.keys(all).length ? ' ' + JSON.stringify(all) : '';
    write(`${time} ${lvl.toUpperCase().padEnd(5)} [${component}] ${message}${extra}`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub, f) => createLogger(`${component}:${sub}`, { level, format, write, fields: { ...base, ...f } }),
  };
}

const fromSdk: Record<SdkLogLevel, LogLevel> = { TRACE: 'debug', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * The Temporal SDK's logger (`Runtime.install({ logger })`) writing through ours, so the worker's
 * and the activities' lines share one format; the SDK's metadata (workflowId, activityType, …)
 * becomes fields.
 * @example Runtime.install({ logger: sdkLogger(createLogger('temporal', { level: 'warn' })) });
 */
export function sdkLogger(log: Logger): SdkLogger {
  const at = (lvl: SdkLogLevel) => (message: string, meta?: LogMetadata) => log[fromSdk[lvl]](message, meta as LogFields | undefined);
  return { log: (lvl, message, meta) => at(lvl)(message, meta), trace: at('TRACE'), debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
}
