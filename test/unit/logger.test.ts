import { context as otelContext, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { addLogContext, createLogger, defaultLogFormat, sdkLogger, withLogContext } from '../../lib/logger.js';

function capture(format: 'json' | 'text') {
  const lines: string[] = [];
  return { lines, log: createLogger('test', { level: 'debug', format, write: (l) => lines.push(l) }) };
}

const manager = new AsyncLocalStorageContextManager().enable();
otelContext.setGlobalContextManager(manager);
afterAll(() => otelContext.disable());

describe('the logger', () => {
  it('writes one JSON object per line with time, level, component and message when LOG_FORMAT=json', () => {
    const { lines, log } = capture('json');
    log.info('order accepted', { orderId: 'o1' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', component: 'test', msg: 'order accepted', orderId: 'o1', time: expect.any(String) });
  });

  it('writes readable text in a terminal', () => {
    const { lines, log } = capture('text');
    log.warn('slow', { ms: 3 });
    expect(lines[0]).toMatch(/^\S+Z WARN {2}\[test\] slow \{"ms":3\}$/);
  });

  it('defaults to text when stdout is a terminal and JSON otherwise, unless LOG_FORMAT says', () => {
    expect(defaultLogFormat({}, true)).toBe('text');
    expect(defaultLogFormat({}, false)).toBe('json');
    expect(defaultLogFormat({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(defaultLogFormat({ LOG_FORMAT: 'text' }, false)).toBe('text');
  });

  it('adds the request id, and the account id bound later in the same request, to every line inside the context', async () => {
    const { lines, log } = capture('json');
    await withLogContext({ requestId: 'r1' }, async () => {
      addLogContext({ accountId: 'a1' });
      await Promise.resolve();
      log.debug('request');
    });
    log.info('outside');
    expect(JSON.parse(lines[0]!)).toMatchObject({ requestId: 'r1', accountId: 'a1' });
    expect(JSON.parse(lines[1]!)).not.toHaveProperty('requestId');
  });

  it("carries the trace id of the active OpenTelemetry span", () => {
    const { lines, log } = capture('json');
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const span = trace.wrapSpanContext({ traceId, spanId: 'b7ad6b7169203331', traceFlags: 1 });
    otelContext.with(trace.setSpan(otelContext.active(), span), () => log.info('inside a span'));
    log.info('no span');
    expect(JSON.parse(lines[0]!).traceId).toBe(traceId);
    expect(JSON.parse(lines[1]!)).not.toHaveProperty('traceId');
  });

  it('names the workflow of the activity it is called in', async () => {
    const { lines, log } = capture('json');
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'order-42', runId: 'r' }, activityType: 'submitOrder' });
    await env.run(async () => log.info('placed'));
    expect(JSON.parse(lines[0]!)).toMatchObject({ workflowId: 'order-42', activityType: 'submitOrder' });
  });

  it('replaces fields whose key looks secret, in both formats', () => {
    for (const format of ['json', 'text'] as const) {
      const { lines, log } = capture(format);
      log.info('x', { password: 'hunter2', apiSecret: 's3cr3t', accessToken: 'eyJ', authorization: 'Bearer eyJ', CREDENTIALS_KEYS: 'k1:abc', ok: 'visible' });
      for (const hidden of ['hunter2', 's3cr3t', 'eyJ', 'k1:abc']) expect(lines[0]).not.toContain(hidden);
      expect(lines[0]).toContain('visible');
    }
  });

  it("turns the Temporal SDK's lines and metadata into ours", () => {
    const { lines, log } = capture('json');
    sdkLogger(log).warn('Activity failed', { workflowId: 'order-1', activityType: 'submitOrder' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', msg: 'Activity failed', workflowId: 'order-1', activityType: 'submitOrder' });
  });
});
