/** Everything the bench started, stopped newest first, whatever happened. */
import type { Logger } from '../../lib/logger.js';

interface Step {
  name: string;
  stop: () => Promise<void>;
  group: string | undefined;
}

export class Cleanup {
  private readonly steps: Step[] = [];
  private chain: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(private readonly log: Logger) {}

  /** Adjacent steps of the same `group` (e.g. the child processes) are stopped together. */
  push(name: string, stop: () => Promise<void>, group?: string): void {
    this.steps.push({ name, stop, group });
  }

  /** True once stopping has begun: start-up checks it and starts nothing more. */
  get closed(): boolean {
    return this.stopping;
  }

  /**
   * Stops every part registered so far, newest first; a part that fails to stop is logged and the
   * rest still stop. Call it again for parts registered meanwhile (a server that was coming up).
   */
  run(): Promise<void> {
    this.stopping = true;
    this.chain = this.chain.then(() => this.drain());
    return this.chain;
  }

  private async drain(): Promise<void> {
    while (this.steps.length > 0) {
      const last = this.steps.pop()!;
      const batch = [last];
      while (last.group !== undefined && this.steps.at(-1)?.group === last.group) batch.push(this.steps.pop()!);
      await Promise.all(
        batch.map(async (step) => {
          try {
            await step.stop();
          } catch (err) {
            this.log.error(`failed to stop ${step.name}`, { err });
          }
        }),
      );
    }
  }
}
