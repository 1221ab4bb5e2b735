import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, ownProcessIn, procStat, sleep, writePidFile } from '../../lib/embedded/process.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pid-files-'));
const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

function sleeper(): ChildProcess {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

describe('pid files', () => {
  it('name a live process of ours by pid, start time and command line', () => {
    const child = sleeper();
    const file = path.join(dir, 'ours.pid');
    writePidFile(file, child.pid!);
    expect(ownProcessIn(file, 'sleep')).toBe(child.pid);
    expect(ownProcessIn(file, 'scripts/start.ts')).toBeUndefined();
  });

  it('do not name a process the kernel gave the same pid later (another start time)', () => {
    const child = sleeper();
    const file = path.join(dir, 'reused.pid');
    writeFileSync(file, `${child.pid} 1`);
    expect(ownProcessIn(file, 'sleep')).toBeUndefined();
  });

  it('do not name a process that is gone, or a missing file', () => {
    const file = path.join(dir, 'gone.pid');
    writeFileSync(file, '2147483646');
    expect(ownProcessIn(file, 'sleep')).toBeUndefined();
    expect(ownProcessIn(path.join(dir, 'none.pid'), 'sleep')).toBeUndefined();
  });

  it('take a zombie for dead: it answers signal 0 but runs nothing', async () => {
    // `sleep 0` exits while its parent (exec'd into `sleep 30`) never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(parent);
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d) => resolve(String(d).trim()))));
    for (let i = 0; i < 50 && procStat(zombie)?.state !== 'Z'; i++) await sleep(20);
    expect(procStat(zombie)?.state).toBe('Z');
    expect(isAlive(zombie)).toBe(false);
    const file = path.join(dir, 'zombie.pid');
    writeFileSync(file, String(zombie));
    expect(ownProcessIn(file, '')).toBeUndefined();
  });
});
