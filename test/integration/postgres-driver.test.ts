/**
 * The installed postgres.js with the repair of lib/postgres-driver-patch.ts, against a real
 * PostgreSQL: a connection that closes under a pending write costs the queries on it a
 * CONNECTION_CLOSED, never the process and never the pool slot. The cases that used to kill the
 * process run in a child, so a regression fails its test instead of taking vitest down.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/embedded/temporal-cli.js';
import { driverRoot, unpatchedDriverFiles } from '../../lib/postgres-driver-patch.js';

const run = promisify(execFile);

/** Runs `body` as an ES module in a fresh node, with `sql` (two connections) and `url` in scope. */
async function inChild(body: string): Promise<{ code: number; out: string }> {
  const script = [
    "import postgres from 'postgres';",
    'const url = process.env.DT_TEST_URL;',
    "const sql = postgres(url, { max: 2, onnotice: () => {} });",
    'const code = (e) => e?.code ?? String(e);',
    body,
    'await sql.end({ timeout: 5 });',
    "console.log('ended');",
  ].join('\n');
  try {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: PROJECT_ROOT, env: { ...process.env, DT_TEST_URL: inject('databaseUrl') }, timeout: 30_000 });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('the postgres.js driver this project installs', () => {
  it('carries the repair in both the files Node may load', () => {
    expect(unpatchedDriverFiles(driverRoot())).toEqual([]);
  });

  it("rejects a transaction's query sent after its server process died, and the process lives on", async () => {
    const { code, out } = await inChild(`
      let body;
      const outcome = await sql.begin((tx) => (body = (async () => {
        const [{ pid }] = await tx\`select pg_backend_pid() as pid\`;
        await sql\`select pg_terminate_backend(\${pid})\`;
        await new Promise((r) => setTimeout(r, 300));
        await tx\`select 1\`;
      })())).then(() => 'committed', (e) => 'begin ' + code(e));
      const after = await body.then(() => 'ran', (e) => 'query ' + code(e));
      console.log(outcome, after);
      console.log('pool', (await sql\`select 7 as n\`)[0].n);
    `);
    expect(out).toContain('begin CONNECTION_CLOSED query CONNECTION_CLOSED');
    expect(out).toContain('pool 7');
    expect(out).toContain('ended');
    expect(code).toBe(0);
  });

  it('rejects a query on a reserved connection whose server process died; the pool still ends', async () => {
    const { code, out } = await inChild(`
      const reserved = await sql.reserve();
      const [{ pid }] = await reserved\`select pg_backend_pid() as pid\`;
      await sql\`select pg_terminate_backend(\${pid})\`;
      await new Promise((r) => setTimeout(r, 300));
      console.log('reserved', await reserved\`select 1\`.then(() => 'ran', code));
      reserved.release();
    `);
    expect(out).toContain('reserved CONNECTION_CLOSED');
    expect(out).toContain('ended');
    expect(code).toBe(0);
  });

  it('reconnects a connection that closed while a short write waited for its turn', async () => {
    const url = new URL(inject('databaseUrl'));
    const sockets: net.Socket[] = [];
    // Our own sockets, so the test can close one at the exact moment a write is pending (`socket`
    // is in the driver's README but not in 3.4.9's types).
    const options = {
      max: 1,
      connect_timeout: 3,
      onnotice: () => {},
      socket: async () => {
        const s = net.connect(Number(url.port), url.hostname);
        await once(s, 'connect');
        sockets.push(s);
        return s;
      },
    };
    const sql = postgres(url.toString(), options);
    try {
      await sql`select 1`;
      // Inside an immediate, the driver's own immediate for the write waits for the next turn of
      // the loop, and the socket's close comes first.
      const first = await new Promise<unknown>((resolve) =>
        setImmediate(async () => {
          const pending = sql`select 2`.execute();
          for (let i = 0; i < 5; i++) await Promise.resolve();
          sockets.at(-1)!.destroy();
          pending.then(resolve, resolve);
        }),
      );
      expect((first as { code?: string }).code).toBe('CONNECTION_CLOSED');
      const started = Date.now();
      const [row] = await sql`select 3 as n`;
      expect(row!.n).toBe(3);
      // Unrepaired, the reconnect never sends its startup message and fails at connect_timeout.
      expect(Date.now() - started).toBeLessThan(2000);
      expect(sockets.length).toBe(2);
    } finally {
      await sql.end({ timeout: 2 });
    }
  });
});
