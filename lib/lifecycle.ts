/** Process lifecycle helpers shared by the entry points. */

/**
 * When started by the supervisor (with an IPC channel), stop as soon as the supervisor is gone,
 * even if it was killed with SIGKILL, so no part is left orphaned.
 */
export function onParentExit(stop: () => void): void {
  if (!process.send) return;
  // It writes to the supervisor's stdout and stderr: when their reader goes away (`npm start | tee
  // log`), it must not crash on EPIPE any more than the supervisor does.
  surviveClosedOutput();
  process.on('disconnect', stop);
  // The IPC channel must not keep the process alive once its own work is done.
  process.channel?.unref();
}

/**
 * Keeps the process alive when whoever reads its stdout or stderr goes away (`npm start | tee log`,
 * then Ctrl-C: tee dies first, and the next write fails with EPIPE). Without this the write error
 * is an uncaught exception that kills the process mid-shutdown; with it, output to the closed
 * stream stops and everything else goes on.
 * @example surviveClosedOutput((name, err) => void 0);
 */
export function surviveClosedOutput(onClosed?: (stream: 'stdout' | 'stderr', err: Error) => void): void {
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    let reported = false;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (reported) return;
      reported = true;
      onClosed?.(name, err);
    });
  }
}

/** Whether writing to this stream can still reach anyone. */
export function canWrite(stream: NodeJS.WriteStream): boolean {
  return stream.writable && !stream.destroyed;
}
