/** Polls `read` until `done` holds for its result, or fails with the last value seen. */
export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, { timeoutMs = 30_000, everyMs = 100, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
