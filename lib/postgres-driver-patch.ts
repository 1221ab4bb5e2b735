/**
 * A repair to postgres.js 3.4.9, applied by `npm ci` (package.json's postinstall) and checked
 * by `createSql` before the engine opens a pool.
 *
 * When a connection closes, the driver rejects what was in flight, but whoever still holds the
 * connection (a transaction's body, a reserved connection) can go on sending on it
 * (porsager/postgres#1154, #1208; no 3.x release fixes them):
 * - the driver holds back writes under 1 KB until a `setImmediate`, which then writes to a null
 *   socket outside any caller: the process dies;
 * - once the pool has reconnected that connection for someone else, a transaction body's next
 *   statement runs there, outside the transaction, and commits on its own;
 * - closing cancels the held-back write but keeps its handle (and its bytes), so that connection
 *   never schedules a write again: each reconnect sends nothing and times out, for good;
 * - a reserved connection given back after it closed is counted open, with no socket;
 * - statements a transaction or reservation queued behind a busy one never settle;
 * - the pool's next query inherits the error of a server process that ended mid-query.
 * The repair rejects a query on a closed connection, transaction or reservation with
 * CONNECTION_CLOSED before anything is written, which the caller's retry handles; forgets the
 * held-back write and the old session's error on close; and leaves a closed reserved connection
 * to the pool.
 * v4 rewrites the driver but changes how parameters are typed, which is a larger move for money
 * columns than these lines.
 *
 * Node built-ins only: the Docker image runs this before anything else is in place.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** In every file the repair has rewritten; bump it when the repair changes. */
export const DRIVER_PATCH_MARKER = 'durable-trader driver patch 1';
const DRIVER_VERSION = '3.4.9';
const TAG = `// ${DRIVER_PATCH_MARKER} (lib/postgres-driver-patch.ts)`;

interface Edit {
  find: string;
  replace: string;
  /** How many times `find` must occur, so a changed driver is refused rather than half-edited. */
  times: number;
}

const lines = (...xs: string[]) => xs.join('\n');

/** The copies Node loads (`import` takes src/, `require` takes cjs/), each with its edits. */
const FILES: Array<{ file: string; edits: Edit[] }> = ['src', 'cjs/src'].flatMap((dir) => [
  {
    file: `${dir}/connection.js`,
    edits: [
      {
        // Nothing is written for a connection whose socket is gone; `true` keeps the caller from
        // moving it to the pool's full queue, since it stays closed until the pool reconnects it.
        find: lines('    if (terminated)', "      return queryError(q, Errors.connection('CONNECTION_DESTROYED', options))", ''),
        replace: lines(
          '    if (terminated)',
          "      return queryError(q, Errors.connection('CONNECTION_DESTROYED', options))",
          '',
          `    ${TAG}: closed, not yet reconnected`,
          '    if (socket === null)',
          "      return queryError(q, Errors.connection('CONNECTION_CLOSED', options)), true",
          '',
        ),
        times: 1,
      },
      {
        // Unreachable once execute() refuses, but a throw here would take the process down: settle
        // what the dropped bytes carried, without touching the pool's queues or its next query.
        find: lines('  function nextWrite(fn) {', '    const x = socket.write(chunk, fn)', ''),
        replace: lines(
          '  function nextWrite(fn) {',
          `    if (socket === null) { ${TAG}`,
          '      nextWriteTimer !== null && clearImmediate(nextWriteTimer)',
          '      chunk = nextWriteTimer = null',
          "      const err = Errors.connection('CONNECTION_CLOSED', options)",
          '      fn && fn(err)',
          '      query && queryError(query, err)',
          '      while (sent.length) queryError(sent.shift(), err)',
          '      return true',
          '    }',
          '    const x = socket.write(chunk, fn)',
          '',
        ),
        times: 1,
      },
      {
        // terminate() and closed(): the bytes were for the old session, and the handle must go so
        // the next session's first write schedules its own immediate.
        find: lines('    clearImmediate(nextWriteTimer)', '    if (socket) {'),
        replace: lines('    clearImmediate(nextWriteTimer)', `    nextWriteTimer = chunk = null ${TAG}`, '    if (socket) {'),
        times: 1,
      },
      {
        // closed() also drops the old session's error (a server process ended mid-query), which
        // the new session's first ready message would otherwise hand to the pool's next query.
        find: lines('    clearImmediate(nextWriteTimer)', "    socket.removeListener('data', data)"),
        replace: lines('    clearImmediate(nextWriteTimer)', `    nextWriteTimer = chunk = errorResponse = null ${TAG}`, "    socket.removeListener('data', data)"),
        times: 1,
      },
    ],
  },
  {
    file: `${dir}/index.js`,
    edits: [
      {
        // reserve(): once the reserved connection closed, the holder's statements are refused
        // (the pool may have reconnected it for someone else), queued ones too, and giving it back
        // leaves it to the pool, which already has it as closed.
        find: lines('    c.reserved.release = true', ''),
        replace: lines(
          '    c.reserved.release = true',
          `    let closedWith = null ${TAG}`,
          '    const lost = c.onclose = (e) => {',
          '      closedWith = e',
          '      while (queue.length) queue.shift().reject(e)',
          '    }',
          '',
        ),
        times: 1,
      },
      {
        find: lines('    sql.release = () => {', '      c.reserved = null', '      onopen(c)', '    }'),
        replace: lines(
          '    sql.release = () => {',
          `      if (closedWith) ${TAG}`,
          '        return',
          '      c.onclose === lost && (c.onclose = null)',
          '      c.reserved = null',
          '      onopen(c)',
          '    }',
        ),
        times: 1,
      },
      {
        find: lines('    function handler(q) {', '      c.queue === full'),
        replace: lines('    function handler(q) {', `      if (closedWith) ${TAG}`, '        return q.reject(closedWith)', '      c.queue === full'),
        times: 1,
      },
      {
        // begin(): remember that the transaction's connection closed, and settle what waited…
        find: lines('      , prepare = null', ''),
        replace: lines(`      , prepare = null`, `      , closedWith = null ${TAG}`, ''),
        times: 1,
      },
      {
        find: '        new Promise((_, reject) => connection.onclose = reject)',
        replace: lines(
          '        new Promise((_, reject) => connection.onclose = (e) => {',
          '          closedWith = e',
          '          while (queries.length) queries.shift().reject(e)',
          '          reject(e)',
          '        })',
        ),
        times: 1,
      },
      {
        // …and refuse the body's later statements, which would otherwise run outside it.
        find: lines('        q.catch(e => uncaughtError || (uncaughtError = e))', ''),
        replace: lines(
          '        q.catch(e => uncaughtError || (uncaughtError = e))',
          `        if (closedWith) ${TAG}`,
          '          return q.reject(closedWith)',
          '',
        ),
        times: 1,
      },
    ],
  },
]);

/** Where the installed driver lives, as Node resolves it from this project. */
export function driverRoot(): string {
  // require's entry is cjs/src/index.js; two levels up is the package.
  return path.resolve(path.dirname(createRequire(import.meta.url).resolve('postgres')), '..', '..');
}

const count = (text: string, part: string) => text.split(part).length - 1;

/**
 * Rewrites the driver's files in place; a second run changes nothing. Throws, changing nothing,
 * when the driver is not the version the repair was written for.
 * @example patchPostgresDriver(driverRoot()) // ['src/connection.js: patched', …]
 */
export function patchPostgresDriver(root: string): string[] {
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const plans = FILES.map(({ file, edits }) => {
    const at = path.join(root, file);
    const text = readFileSync(at, 'utf8');
    if (text.includes(DRIVER_PATCH_MARKER)) return { file, at, text: undefined };
    if (version !== DRIVER_VERSION) {
      throw new Error(
        `postgres ${version} is installed, but lib/postgres-driver-patch.ts repairs ${DRIVER_VERSION}: check whether this version still writes to a closed socket (porsager/postgres#1208), then update or remove the repair`,
      );
    }
    let next = text;
    for (const edit of edits) {
      const found = count(next, edit.find);
      if (found !== edit.times) {
        throw new Error(`${at} does not read as postgres ${DRIVER_VERSION} does (expected ${edit.times} of ${JSON.stringify(edit.find.trim().split('\n')[0])}, found ${found}): reinstall it with npm ci`);
      }
      next = next.split(edit.find).join(edit.replace);
    }
    return { file, at, text: next };
  });
  // Only once every file has been checked, so a refusal leaves the driver as it was; each file is
  // replaced whole, so a file cut short never carries the marker.
  return plans.map(({ file, at, text }) => {
    if (text === undefined) return `${file}: already patched`;
    writeFileSync(`${at}.repair`, text);
    renameSync(`${at}.repair`, at);
    return `${file}: patched`;
  });
}

/** The files of the driver at `root` that lack the repair. */
export function unpatchedDriverFiles(root: string): string[] {
  return FILES.map(({ file }) => file).filter((file) => !readFileSync(path.join(root, file), 'utf8').includes(DRIVER_PATCH_MARKER));
}
