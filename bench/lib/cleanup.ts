/** Everything the bench started, stopped in reverse order exactly once, whatever happened. */
import type { Logger } from '../../lib/logger.js';

export class Cleanup {
  private readonly steps: Array<{ name: string; stop: () => Promise<void> }> = [];
  private running: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  push(name: string, stop: () => Promise<void>): void {
    this.steps.push({ name, stop });
  }

  /** Stops the parts newest first; a part that fails to stop is logged and the rest still stop. */
  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.stop();
        } catch (err) {
          this.log.error(`failed to stop ${step.name}`, { err });
        }
      }
    })();
    return this.running;
  }
}
