/** A workflow-safe mutex: handlers and the main loop never talk to the exchange at the same time. */
import { condition } from '@temporalio/workflow';

export class Mutex {
  private held = false;

  async runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    await condition(() => !this.held);
    this.held = true;
    try {
      return await fn();
    } finally {
      this.held = false;
    }
  }
}
