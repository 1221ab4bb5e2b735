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
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);

/**
 * Runs `body` as an ES module in a fresh node, with `sql` (a pool of ONE connection, so a slot
 * lost is a pool lost), `killer` (another pool, to end `sql`'s server process), `closes` (the ids
 * of the connections the pool saw close), `closed()` (waits for the first), `big`, `code(err)` and
 * `answer(query)` ('ran', the error's code, or no answer in 3 s) in scope. Both pools must end
 * without a timeout.
 */
async function inChild(body: string): Promise<{ code: number | null; out: string }> {
  const script = [
    "import postgres from 'postgres';",
    'const url = process.env.DT_TEST_URL;',
    'const closes = [];',
    "const sql = postgres(url, { max: 1, onnotice: () => {}, onclose: (id) => closes.push(id) });",
    "const killer = postgres(url, { max: 1, onnotice: () => {} });",
    'const code = (e) => e?.code ?? String(e);',
    "// 2 KB of parameter: a write the driver sends at once instead of holding it back.",
    "const big = 'x'.repeat(2000);",
    "const answer = (p) => Promise.race([p.then(() => 'ran', code), new Promise((r) => setTimeout(() => r('no answer in 3 s'), 3000).unref())]);",
    'const closed = async () => {',
    '  for (let waited = 0; closes.length === 0; waited += 10) {',
    "    if (waited > 5000) throw new Error('the connection never closed');",
    '    await new Promise((r) => setTimeout(r, 10));',
    '  }',
    '};',
    body,
    'await sql.end();',
    'await killer.end();',
    "console.log('ended');",
  ].join('\n');
  try {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: PROJECT_ROOT, env: { ...process.env, DT_TEST_URL: inject('databaseUrl') }, timeout: 20_000 });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; killed?: boolean };
    return { code: typeof e.code === 'number' ? e.code : null, out: `${e.killed ? '(killed after 20 s)\n' : ''}${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Both pools ended by themselves and the child exited normally. */
function expectCleanEnd({ code, out }: { code: number | null; out: string }): void {
  expect(out).toContain('ended');
  expect(code).toBe(0);
}

describe('the postgres.js driver this project installs', () => {
  it('carries the repair in every file Node may load', () => {
    expect(unpatchedDriverFiles(driverRoot())).toEqual([]);
  });

  it("refuses a transaction's statements once its connection died, even after the pool reconnected it, and the process lives on", async () => {
    const table = `driver_test_${process.pid}`;
    const { code, out } = await inChild(`
      await killer\`create table ${table} (n int)\`;
      let body, resume;
      const gate = new Promise((r) => (resume = r));
      const outcome = await sql.begin((tx) => (body = (async () => {
        const [{ pid }] = await tx\`select pg_backend_pid() as pid\`;
        await killer\`select pg_terminate_backend(\${pid})\`;
        await gate;
        await tx\`insert into ${table} values (1)\`;
      })())).then(() => 'committed', (e) => 'begin ' + code(e));
      console.log(outcome);
      console.log('pool', (await sql\`select 7 as n\`)[0].n);
      resume();
      console.log('body', await body.then(() => 'ran', (e) => 'refused ' + code(e)));
      console.log('rows', (await sql\`select count(*)::int as n from ${table}\`)[0].n);
      console.log('big', (await sql\`select \${big}::text as t\`)[0].t.length);
      await killer\`drop table ${table}\`;
    `);
    expect(out).toContain('begin CONNECTION_CLOSED');
    expect(out).toContain('pool 7');
    // Unrepaired, the insert ran on the reconnected session, outside the transaction, and stayed.
    expect(out).toContain('body refused CONNECTION_CLOSED');
    expect(out).toContain('rows 0');
    expect(out).toContain('big 2000');
    expectCleanEnd({ code, out });
  });

  it("settles a transaction's statements queued behind a busy one when its connection dies", async () => {
    const { code, out } = await inChild(`
      let busy, queued;
      const outcome = await sql.begin(async (tx) => {
        const [{ pid }] = await tx\`select pg_backend_pid() as pid\`;
        // A statement with a parameter is described first, so the next one waits in the transaction's queue.
        busy = tx\`select \${1}::int as x, pg_sleep(2)\`.execute();
        queued = tx\`select 2 as y\`.execute();
        busy.catch(() => {});
        queued.catch(() => {});
        await killer\`select pg_terminate_backend(\${pid})\`;
        await busy;
      }).then(() => 'committed', (e) => 'begin ' + code(e));
      console.log(outcome);
      console.log('busy', await answer(busy), '/ queued', await answer(queued));
      console.log('pool', (await sql\`select 6 as n\`)[0].n);
    `);
    expect(out).toContain('begin CONNECTION_CLOSED');
    // Unrepaired, the queued statement never settles (and then neither does end()).
    expect(out).toContain('busy CONNECTION_CLOSED / queued CONNECTION_CLOSED');
    expect(out).toContain('pool 6');
    expectCleanEnd({ code, out });
  });

  it('refuses a reserved connection whose server process died, even once the pool has reconnected it, and keeps the pool whole', async () => {
    const { code, out } = await inChild(`
      const reserved = await sql.reserve();
      const [{ pid }] = await reserved\`select pg_backend_pid() as pid\`;
      const busy = reserved\`select \${1}::int as x, pg_sleep(2)\`.execute();
      const queued = reserved\`select 2 as y\`.execute();
      busy.catch(() => {});
      queued.catch(() => {});
      await killer\`select pg_terminate_backend(\${pid})\`;
      await closed();
      console.log('busy', await answer(busy), '/ queued', await answer(queued));
      console.log('small', await answer(reserved\`select 1\`));
      console.log('large', await answer(reserved\`select \${big}::text\`));
      // The pool reconnects the one slot while the reservation is still held.
      console.log('pool', (await sql\`select 8 as n\`)[0].n);
      console.log('stale', await answer(reserved\`select 1\`));
      reserved.release();
      console.log('after', (await sql\`select \${big}::text as t\`)[0].t.length);
    `);
    expect(out).toContain('busy CONNECTION_CLOSED / queued CONNECTION_CLOSED');
    expect(out).toContain('small CONNECTION_CLOSED');
    expect(out).toContain('large CONNECTION_CLOSED');
    expect(out).toContain('pool 8');
    // Unrepaired, the old holder's statement runs on the pool's new session.
    expect(out).toContain('stale CONNECTION_CLOSED');
    expect(out).toContain('after 2000');
    expectCleanEnd({ code, out });
  });

  it("gives the pool's next query a fresh session, not the error of a server process that ended mid-query", async () => {
    const closes: number[] = [];
    const sql = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {}, onclose: (id: number) => void closes.push(id) });
    const killer = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} });
    try {
      const pid = (await sql<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid;
      const long = sql`select pg_sleep(5)`.execute();
      long.catch(() => {});
      await killer`select pg_terminate_backend(${pid})`;
      await expect(long).rejects.toBeDefined();
      await waitFor(async () => closes.length, (n) => n > 0, { timeoutMs: 5000, everyMs: 10, what: 'the connection to close' });
      // Unrepaired, this fails with the ended process's 57P01.
      const [row] = await sql<{ n: number }[]>`select 1 as n`;
      expect(row!.n).toBe(1);
    } finally {
      await Promise.all([sql.end({ timeout: 2 }), killer.end({ timeout: 2 })]);
    }
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
