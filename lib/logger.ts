/**
 * A small structured logger: one line per event, `time level [component] message {fields}`.
 * Fields whose key looks secret are replaced before anything is written. Fields bound with
 * {@link withLogContext} (the API binds the request id) join every line written inside it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(component: string, fields?: LogFields): Logger;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /secret|password|apikey|api_key|token|authorization|signature/i;

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

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stderr by default so stdout stays for banners and data. */
  write?: (line: string) => void;
  fields?: LogFields;
}

/**
 * @example const log = createLogger('worker', { level: config.LOG_LEVEL }); log.info('started', { taskQueue });
 */
export function createLogger(component: string, options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const base = options.fields ?? {};
  const emit = (lvl: LogLevel, message: string, fields?: LogFields) => {
    if (order[lvl] < order[level]) return;
    const all = redact({ ...context.getStore(), ...base, ...fields });
    const extra = Object.keys(all).length ? ' ' + JSON.stringify(all) : '';
    write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} [${component}] ${message}${extra}`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub, f) => createLogger(`${component}:${sub}`, { level, write, fields: { ...base, ...f } }),
  };
}
