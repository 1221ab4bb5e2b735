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

/** The lines of 3.4.9's connection.js that the repair edits, as that version has them. */
const ORIGINAL = `
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
`;

const FILES = ['src/connection.js', 'cjs/src/connection.js'];
let dir: string;

function driver(version: string, text = ORIGINAL): string {
  dir = mkdtempSync(path.join(tmpdir(), 'pg-driver-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'postgres', version }));
  for (const file of FILES) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}
const contents = (root: string) => FILES.map((file) => readFileSync(path.join(root, file), 'utf8'));

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('patchPostgresDriver', () => {
  it('guards the deferred write and forgets it on both teardown paths, in both copies', () => {
    const root = driver('3.4.9');
    expect(unpatchedDriverFiles(root)).toEqual(FILES);
    expect(patchPostgresDriver(root)).toEqual(['src/connection.js: patched', 'cjs/src/connection.js: patched']);
    for (const text of contents(root)) {
      expect(text).toContain(DRIVER_PATCH_MARKER);
      expect(text).toMatch(/function nextWrite\(fn\) \{\n {4}if \(socket === null\)\n {6}return writeAfterClose\(fn\)/);
      expect(text.match(/clearImmediate\(nextWriteTimer\)\n {4}nextWriteTimer = chunk = null/g)).toHaveLength(2);
    }
    expect(unpatchedDriverFiles(root)).toEqual([]);
  });

  it('changes nothing the second time', () => {
    const root = driver('3.4.9');
    patchPostgresDriver(root);
    const once = contents(root);
    expect(patchPostgresDriver(root)).toEqual(['src/connection.js: already patched', 'cjs/src/connection.js: already patched']);
    expect(contents(root)).toEqual(once);
  });

  it('refuses another version of the driver, naming it, and leaves it as it was', () => {
    const root = driver('3.5.0');
    expect(() => patchPostgresDriver(root)).toThrow(/postgres 3\.5\.0 is installed, but .* repairs 3\.4\.9/);
    expect(contents(root)).toEqual([ORIGINAL, ORIGINAL]);
  });

  it('refuses a file that does not read as 3.4.9 does, and writes neither copy', () => {
    const root = driver('3.4.9');
    const changed = ORIGINAL.replace('  async function closed(hadError) {\n    clearImmediate(nextWriteTimer)\n', '  async function closed(hadError) {\n');
    writeFileSync(path.join(root, FILES[1]!), changed);
    expect(() => patchPostgresDriver(root)).toThrow(/cjs[\\/]src[\\/]connection\.js does not read as postgres 3\.4\.9 does \(expected 2 .* found 1\)/);
    expect(contents(root)).toEqual([ORIGINAL, changed]);
  });
});
