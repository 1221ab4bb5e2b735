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
    socket = null
  }
`,
  index: `
    sql.release = () => {
      c.reserved = null
      onopen(c)
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
  it('edits every copy: refusal on a closed connection, teardown, reserve and begin', () => {
    const root = driver('3.4.9');
    expect(unpatchedDriverFiles(root)).toEqual(FILES);
    expect(patchPostgresDriver(root)).toEqual(FILES.map((file) => `${file}: patched`));
    const [connection, index] = contents(root);
    for (const text of contents(root)) expect(text).toContain(DRIVER_PATCH_MARKER);
    expect(connection).toMatch(/if \(socket === null\)\n {6}return queryError\(q, Errors\.connection\('CONNECTION_CLOSED', options\)\), true/);
    expect(connection).toMatch(/function nextWrite\(fn\) \{\n {4}if \(socket === null\) \{/);
    expect(connection!.match(/clearImmediate\(nextWriteTimer\)\n {4}nextWriteTimer = chunk = null/g)).toHaveLength(2);
    expect(index).toMatch(/c\.queue === closed \|\| c\.queue === connecting \|\| c\.queue === ended \|\| onopen\(c\)/);
    expect(index).toContain('connection.onclose = (e) => reject(closedWith = e)');
    expect(index).toMatch(/if \(closedWith\).*\n {10}return q\.reject\(closedWith\)/);
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
    const changed = ORIGINAL.connection.replace('  async function closed(hadError) {\n    clearImmediate(nextWriteTimer)\n', '  async function closed(hadError) {\n');
    writeFileSync(path.join(root, 'cjs/src/connection.js'), changed);
    expect(() => patchPostgresDriver(root)).toThrow(/cjs[\\/]src[\\/]connection\.js does not read as postgres 3\.4\.9 does \(expected 2 .* found 1\)/);
    expect(contents(root)).toEqual([ORIGINAL.connection, ORIGINAL.index, changed, ORIGINAL.index]);
  });
});
