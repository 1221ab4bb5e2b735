/**
 * The installer of the postgres.js repair (lib/postgres-driver-patch.ts) on a stand-in driver: it
 * edits both files once, leaves a repaired driver alone, and refuses a driver it was not written
 * for without touching it. What the repair does is tested on the real driver, against a real
 * PostgreSQL, in test/integration/postgres-driver.test.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DRIVER_PATCH_MARKER, patchPostgresDriver, unpatchedDriverFiles } from '../../lib/postgres-driver-patch.js';

/** The lines of 3.4.9's connection.js and index.js that the repair edits, as that version has them. */
const ORIGINAL = {
  connection: `
  function execute(q) {
    if (terminated)
      return queryError(q, Errors.connection('CONNECTION_DESTROYED', options))

    if (stream)
  }

  function nextWrite(fn) {
    const x = socket.write(chunk, fn)
    nextWriteTimer !== null && clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = null
    return x
  }

  function terminate() {
    clearImmediate(nextWriteTimer)
    if (socket) {
    }
  }

  async function closed(hadError) {
    clearImmediate(nextWriteTimer)
    socket.removeListener('data', data)
    socket = null
  }
`,
  index: `
    c.reserved.release = true

    sql.release = () => {
      c.reserved = null
      onopen(c)
    }

    function handler(q) {
      c.queue === full
    }
    let savepoints = 0
      , connection
      , prepare = null

        new Promise((_, reject) => connection.onclose = reject)
      function handler(q) {
        q.catch(e => uncaughtError || (uncaughtError = e))
        c.queue === full
`,
};

const FILES = ['src/connection.js', 'src/index.js', 'cjs/src/connection.js', 'cjs/src/index.js'];
const original = (file: string) => (file.endsWith('connection.js') ? ORIGINAL.connection : ORIGINAL.index);
let dir: string;

function driver(version: string): string {
  dir = mkdtempSync(path.join(tmpdir(), 'pg-driver-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'postgres', version }));
  for (const file of FILES) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), original(file));
  }
  return dir;
}
const contents = (root: string) => FILES.map((file) => readFileSync(path.join(root, file), 'utf8'));

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('patchPostgresDriver', () => {
  it('edits every copy: refusals on a closed connection, teardown, reserve() and begin()', () => {
    const root = driver('3.4.9');
    expect(unpatchedDriverFiles(root)).toEqual(FILES);
    expect(patchPostgresDriver(root)).toEqual(FILES.map((file) => `${file}: patched`));
    const [connection, index] = contents(root);
    for (const text of contents(root)) expect(text).toContain(DRIVER_PATCH_MARKER);
    expect(connection).toMatch(/if \(socket === null\)\n {6}return queryError\(q, Errors\.connection\('CONNECTION_CLOSED', options\)\), true/);
    expect(connection).toMatch(/function nextWrite\(fn\) \{\n {4}if \(socket === null\) \{/);
    expect(connection).toMatch(/clearImmediate\(nextWriteTimer\)\n {4}nextWriteTimer = chunk = null .*\n {4}if \(socket\) \{/);
    expect(connection).toMatch(/clearImmediate\(nextWriteTimer\)\n {4}nextWriteTimer = chunk = errorResponse = null .*\n {4}socket\.removeListener/);
    expect(index).toMatch(/const lost = c\.onclose = \(e\) => \{\n {6}closedWith = e\n {6}while \(queue\.length\) queue\.shift\(\)\.reject\(e\)/);
    expect(index).toMatch(/sql\.release = \(\) => \{\n {6}if \(closedWith\).*\n {8}return\n/);
    expect(index).toMatch(/ {4}function handler\(q\) \{\n {6}if \(closedWith\).*\n {8}return q\.reject\(closedWith\)/);
    expect(index).toMatch(/connection\.onclose = \(e\) => \{\n {10}closedWith = e\n {10}while \(queries\.length\) queries\.shift\(\)\.reject\(e\)\n {10}reject\(e\)/);
    expect(index).toMatch(/q\.catch\(.*\n {8}if \(closedWith\).*\n {10}return q\.reject\(closedWith\)/);
    expect(contents(root).slice(2)).toEqual([connection, index]);
    expect(unpatchedDriverFiles(root)).toEqual([]);
  });

  it('changes nothing the second time', () => {
    const root = driver('3.4.9');
    patchPostgresDriver(root);
    const once = contents(root);
    expect(patchPostgresDriver(root)).toEqual(FILES.map((file) => `${file}: already patched`));
    expect(contents(root)).toEqual(once);
  });

  it('refuses another version of the driver, naming it, and leaves it as it was', () => {
    const root = driver('3.5.0');
    expect(() => patchPostgresDriver(root)).toThrow(/postgres 3\.5\.0 is installed, but .* repairs 3\.4\.9/);
    expect(contents(root)).toEqual(FILES.map(original));
  });

  it('refuses a file that does not read as 3.4.9 does, and writes no copy', () => {
    const root = driver('3.4.9');
    const changed = ORIGINAL.connection.replace('  function nextWrite(fn) {\n', '  function nextWrite(fn, extra) {\n');
    writeFileSync(path.join(root, 'cjs/src/connection.js'), changed);
    expect(() => patchPostgresDriver(root)).toThrow(/cjs[\\/]src[\\/]connection\.js does not read as postgres 3\.4\.9 does \(expected 1 .* found 0\)/);
    expect(contents(root)).toEqual([ORIGINAL.connection, ORIGINAL.index, changed, ORIGINAL.index]);
  });
});
