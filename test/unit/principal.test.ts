/**
 * The principal and the error handler without a server: a route that reads the caller without the
 * auth middleware fails closed, and an unexpected failure answers the error shape without its stack.
 */
import { Hono, type Handler } from 'hono';
import { describe, expect, it } from 'vitest';
import { createErrorHandler } from '../../api/errors.js';
import { accountIdOf, requireOperator } from '../../api/principal.js';
import { createLogger } from '../../lib/logger.js';

function appWith(handler: Handler, lines: string[] = []) {
  const app = new Hono();
  app.get('/x', handler);
  app.onError(createErrorHandler(createLogger('test', { write: (l) => lines.push(l) })));
  return app;
}

describe('accountIdOf', () => {
  it('throws on a route the auth middleware did not run for, instead of acting for a default account', async () => {
    const lines: string[] = [];
    const res = await appWith((c) => c.json({ account: accountIdOf(c) }), lines).request('/x');
    expect(res.status).toBe(500);
    expect(lines.join('\n')).toMatch(/MissingPrincipalError: no authenticated account on GET \/x/);
  });

  it('answers the account the middleware set', async () => {
    const app = new Hono();
    app.use(async (c, next) => {
      c.set('accountId', 'a-1');
      await next();
    });
    app.get('/x', (c) => c.json({ account: accountIdOf(c) }));
    expect(await (await app.request('/x')).json()).toEqual({ account: 'a-1' });
  });
});

describe('requireOperator', () => {
  it('refuses an email that is not an operator with 403, and lets one through whatever its case', async () => {
    const route = (email: string) => {
      const app = new Hono();
      app.use(async (c, next) => {
        c.set('email', email);
        await next();
      });
      app.get('/x', (c) => {
        requireOperator(c, ['ops@example.com'], 'do it');
        return c.json({ ok: true });
      });
      app.onError(createErrorHandler(createLogger('test', { level: 'error', write: () => {} })));
      return app.request('/x');
    };
    expect((await route('someone@example.com')).status).toBe(403);
    expect((await route('OPS@example.com')).status).toBe(200);
  });
});

describe('the error handler', () => {
  it('answers an unexpected error with 500, the error shape and the request id, never its message or stack', async () => {
    const res = await appWith(() => {
      throw new Error('database password is hunter2');
    }).request('/x');
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text).error.code).toBe('internal');
    expect(text).not.toContain('hunter2');
    expect(text).not.toMatch(/\.ts:\d+/);
  });
});
