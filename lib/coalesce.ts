/**
 * Calls per key, at most one in flight: callers that arrive while one runs share the next call,
 * which starts after it ends. Every caller's promise settles with a call that started after the
 * caller arrived, so a "something changed, look again" signal sent this way is never stale, and a
 * burst of a hundred costs two.
 */
export function coalescer() {
  const lanes = new Map<string, { next?: { call: () => Promise<void>; settled: Promise<void>; settle: (err?: unknown) => void } }>();

  async function run(key: string, call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } finally {
      const lane = lanes.get(key)!;
      const next = lane.next;
      if (!next) lanes.delete(key);
      else {
        lane.next = undefined;
        run(key, next.call).then(() => next.settle(), (err: unknown) => next.settle(err ?? new Error('coalesced call failed')));
      }
    }
  }

  return function call(key: string, fn: () => Promise<void>): Promise<void> {
    const lane = lanes.get(key);
    if (!lane) {
      lanes.set(key, {});
      return run(key, fn);
    }
    if (!lane.next) {
      let settle!: (err?: unknown) => void;
      const settled = new Promise<void>((resolve, reject) => {
        settle = (err) => (err === undefined ? resolve() : reject(err));
      });
      lane.next = { call: fn, settled, settle };
    }
    return lane.next.settled;
  };
}
