/** Process lifecycle helpers shared by the entry points. */

/**
 * When started by the supervisor (with an IPC channel), stop as soon as the supervisor is gone,
 * even if it was killed with SIGKILL, so no part is left orphaned.
 */
export function onParentExit(stop: () => void): void {
  if (!process.send) return;
  process.on('disconnect', stop);
  // The IPC channel must not keep the process alive once its own work is done.
  process.channel?.unref();
}
