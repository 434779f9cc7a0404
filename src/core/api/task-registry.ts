import { ExpmanError } from '../errors.js';

/** Long tasks the UI may cancel, by the taskId it chose. */
export class TaskRegistry {
  private readonly running = new Map<string, AbortController>();

  /** Runs `work` under `taskId` with a signal that `cancel(taskId)` aborts; one task per id at a time. */
  async run<T>(taskId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.running.has(taskId)) throw new ExpmanError('CONFLICT', `task ${taskId} is already running`, { key: 'taskId' });
    const controller = new AbortController();
    this.running.set(taskId, controller);
    try {
      return await work(controller.signal);
    } finally {
      this.running.delete(taskId);
    }
  }

  /** Aborts the task; false when no task has that id (it finished, or never ran). */
  cancel(taskId: string): boolean {
    const controller = this.running.get(taskId);
    controller?.abort();
    return controller !== undefined;
  }
}
