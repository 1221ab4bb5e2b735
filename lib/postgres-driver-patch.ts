/**
 * A repair to postgres.js 3.4.9, applied by `npm ci` (package.json's postinstall) and checked
 * by `createSql` before the engine opens a pool.
 *
 * The driver holds back writes under 1 KB until a `setImmediate`, and two things go wrong when the
 * socket closes before that runs (porsager/postgres#1154, #1208; no 3.x release fixes them):
 * - a query sent on a connection that has just closed (a reserved one, or a transaction's) writes
 *   to a null socket from the immediate, outside any caller: the process dies;
 * - closing cancels the immediate but keeps its handle, so that connection never schedules a write
 *   again: each reconnect sends nothing and times out, and the pool slot is dead for good.
 * The repair settles such a write as CONNECTION_CLOSED, which the caller's retry handles, and
 * forgets the cancelled write on close. v4 rewrites the driver but changes how parameters are
 * typed, which is a larger move for money columns than these lines.
 *
 * Node built-ins only: the Docker image runs this before anything else is in place.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** In every file the repair has rewritten; bump it when the repair changes. */
export const DRIVER_PATCH_MARKER = 'durable-trader driver patch 1';
const DRIVER_VERSION = '3.4.9';
/** The copies Node loads: `import` takes src/, `require` takes cjs/. */
const FILES = ['src/connection.js', 'cjs/src/connection.js'];

interface Edit {
  find: string;
  replace: string;
  /** How many times `find` must occur, so a changed driver is refused rather than half-edited. */
  times: number;
}

const EDITS: Edit[] = [
  {
    find: ['  function nextWrite(fn) {', '    const x = socket.write(chunk, fn)', ''].join('\n'),
    replace: [
      `  // ${DRIVER_PATCH_MARKER} (lib/postgres-driver-patch.ts): a write whose socket is gone`,
      '  // settles its queries as CONNECTION_CLOSED instead of throwing from the immediate, and leaves',
      '  // the connection closed rather than idle.',
      '  function writeAfterClose(fn) {',
      '    nextWriteTimer !== null && clearImmediate(nextWriteTimer)',
      '    chunk = nextWriteTimer = null',
      "    const err = Errors.connection('CONNECTION_CLOSED', options)",
      '    fn && fn(err)',
      '    error(err)',
      '    query = null',
      '    // A pool that still counts it usable (a reserved one given back) gets it as closed, to reconnect.',
      '    connection.queue !== queues.closed && connection.queue !== queues.connecting && connection.queue !== queues.ended && onclose(connection, err)',
      '    return false',
      '  }',
      '',
      '  function nextWrite(fn) {',
      '    if (socket === null)',
      '      return writeAfterClose(fn)',
      '    const x = socket.write(chunk, fn)',
      '',
    ].join('\n'),
    times: 1,
  },
  {
    // terminate() and closed(): the bytes were for the old session, and the handle must go so the
    // next session's first write schedules its own immediate.
    find: '\n    clearImmediate(nextWriteTimer)\n',
    replace: `\n    clearImmediate(nextWriteTimer)\n    nextWriteTimer = chunk = null // ${DRIVER_PATCH_MARKER}\n`,
    times: 2,
  },
];

/** Where the installed driver lives, as Node resolves it from this project. */
export function driverRoot(from: string = import.meta.url): string {
  // require's entry is cjs/src/index.js; two levels up is the package.
  return path.resolve(path.dirname(createRequire(from).resolve('postgres')), '..', '..');
}

const count = (text: string, part: string) => text.split(part).length - 1;

/**
 * Rewrites the driver's files in place; a second run changes nothing. Throws, changing nothing,
 * when the driver is not the version the repair was written for.
 * @example patchPostgresDriver(driverRoot()) // ['src/connection.js: patched', …]
 */
export function patchPostgresDriver(root: string): string[] {
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const plans = FILES.map((file) => {
    const at = path.join(root, file);
    const text = readFileSync(at, 'utf8');
    if (text.includes(DRIVER_PATCH_MARKER)) return { file, at, text: undefined };
    if (version !== DRIVER_VERSION) {
      throw new Error(
        `postgres ${version} is installed, but lib/postgres-driver-patch.ts repairs ${DRIVER_VERSION}: check whether this version still writes to a closed socket (porsager/postgres#1208), then update or remove the repair`,
      );
    }
    let next = text;
    for (const edit of EDITS) {
      const found = count(next, edit.find);
      if (found !== edit.times) {
        throw new Error(`${at} does not read as postgres ${DRIVER_VERSION} does (expected ${edit.times} of ${JSON.stringify(edit.find.trim().split('\n')[0])}, found ${found}): reinstall it with npm ci`);
      }
      next = next.split(edit.find).join(edit.replace);
    }
    return { file, at, text: next };
  });
  // Only once every file has been checked, so a refusal leaves the driver as it was.
  return plans.map(({ file, at, text }) => {
    if (text === undefined) return `${file}: already patched`;
    writeFileSync(at, text);
    return `${file}: patched`;
  });
}

/** The files of the driver at `root` that lack the repair. */
export function unpatchedDriverFiles(root: string): string[] {
  return FILES.filter((file) => !readFileSync(path.join(root, file), 'utf8').includes(DRIVER_PATCH_MARKER));
}
