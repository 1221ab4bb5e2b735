import { describe, expect, it } from 'vitest';
import { coalescer } from '../../lib/coalesce.js';

/** A call that ends when the test says so. */
function gate() {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { done, open, fail };
}

describe('coalescer', () => {
  it('runs one call per key at a time; everyone who arrived meanwhile shares the next one', async () => {
    const call = coalescer();
    const started: number[] = [];
    const gates = [gate(), gate()];
    const fn = (i: number) => () => {
      started.push(i);
      return gates[started.length - 1]!.done;
    };
    const first = call('p', fn(1));
    const late = [call('p', fn(2)), call('p', fn(3)), call('p', fn(4))];
    let lateSettled = false;
    void Promise.all(late).then(() => (lateSettled = true));
    expect(started).toEqual([1]);
    gates[0]!.open();
    await first;
    await new Promise((r) => setImmediate(r));
    // The late callers wait for a call that started after they arrived, not for the first one.
    expect(started).toEqual([1, 2]);
    expect(lateSettled).toBe(false);
    gates[1]!.open();
    await Promise.all(late);
    expect(started).toEqual([1, 2]);
  });

  it('keeps keys apart, and a failed call fails exactly the callers who shared it', async () => {
    const call = coalescer();
    const a = gate();
    const b = gate();
    const firstA = call('a', () => a.done);
    const otherKey = call('b', async () => undefined);
    const sharedA = call('a', () => b.done);
    await otherKey;
    a.open();
    await firstA;
    b.fail(new Error('signal refused'));
    await expect(sharedA).rejects.toThrow('signal refused');
    // The lane is free again afterwards.
    await expect(call('a', async () => undefined)).resolves.toBeUndefined();
  });
});
