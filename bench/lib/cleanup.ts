/** Everything the bench started, stopped in reverse order exactly once, whatever happened. */
import type { Logger } from '../../lib/logger.js';

interface Step {
  name: string;
  stop: () => Promise<void>;
  group: string | undefined;
}

export class Cleanup {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  /** Adjacent steps of the same `group` (e.g. the child processes) are stopped together. */
  push(name: string, stop: () => Promise<void>, group?: string): void {
    this.steps.push({ name, stop, group });
  }

  /** Stops the parts newest first; a part that fails to stop is logged and the rest still stop. */
  run(): Promise<void> {
    this.running ??= (async () => {
      const steps = [...this.steps].reverse();
      for (let i = 0; i < steps.length; ) {
        const first = steps[i]!;
        let j = i + 1;
        while (first.group !== undefined && j < steps.length && steps[j]!.group === first.group) j++;
        await Promise.all(
          steps.slice(i, j).map(async (step) => {
            try {
              await step.stop();
            } catch (err) {
              this.log.error(`failed to stop ${step.name}`, { err });
            }
          }),
        );
        i = j;
      }
    })();
    return this.running;
  }
}
