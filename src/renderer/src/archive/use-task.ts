import { useCallback, useEffect, useRef, useState } from 'react';
import type { TaskProgress } from '../../../shared/api';
import { useApi } from '../api/context';
import { addSample, estimate, type ProgressSample, type ProgressEstimate } from './progress-estimate';
import { newTaskId } from './task-id';

export interface TaskProgressView extends ProgressEstimate {
  phase: string;
  done: number;
  total: number;
  unit: TaskProgress['unit'];
  /** 0…1, or null while the total is unknown. */
  fraction: number | null;
}

export interface TaskRunner {
  /** The running task's id, or null. */
  running: string | null;
  progress: TaskProgressView | null;
  /** Whether the user asked this task to stop (so its CANCELLED error is expected, not a failure). */
  cancelRequested: boolean;
  /** The same, read at the moment the call settles (state in a closure would be stale). */
  wasCancelled: () => boolean;
  run: <T>(prefix: 'archive' | 'sync', work: (taskId: string) => Promise<T>) => Promise<T>;
  cancel: () => void;
}

/**
 * One cancellable backend task at a time: a fresh taskId, its `progress` events (subscribed before the
 * call starts, so none are missed) with speed and time left, and `tasks:cancel`.
 */
export function useTask(now: () => number = () => performance.now()): TaskRunner {
  const api = useApi();
  const [running, setRunning] = useState<string | null>(null);
  const [progress, setProgress] = useState<TaskProgressView | null>(null);
  const [cancelRequested, setCancelRequested] = useState(false);
  const cancelledRef = useRef(false);
  const samples = useRef<{ phase: string; window: ProgressSample[] }>({ phase: '', window: [] });
  const live = useRef(true);
  const nowRef = useRef(now);
  nowRef.current = now;

  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);

  const run = useCallback(
    async <T,>(prefix: 'archive' | 'sync', work: (taskId: string) => Promise<T>): Promise<T> => {
      const taskId = newTaskId(prefix);
      samples.current = { phase: '', window: [] };
      setProgress(null);
      setCancelRequested(false);
      cancelledRef.current = false;
      setRunning(taskId);
      const off = api.onProgress((p) => {
        if (p.taskId !== taskId || !live.current) return;
        // A new phase measures a different thing: its speed starts afresh.
        const previous = samples.current.phase === p.phase ? samples.current.window : [];
        const window = addSample(previous, { at: nowRef.current(), done: p.done });
        samples.current = { phase: p.phase, window };
        setProgress({
          phase: p.phase,
          done: p.done,
          total: p.total,
          unit: p.unit,
          fraction: p.total > 0 ? Math.min(1, p.done / p.total) : null,
          ...estimate(window, p.total),
        });
      });
      try {
        return await work(taskId);
      } finally {
        off();
        if (live.current) setRunning(null);
      }
    },
    [api],
  );

  const cancel = useCallback(() => {
    if (!running) return;
    setCancelRequested(true);
    cancelledRef.current = true;
    // The task's own call settles with CANCELLED (or its result, if it had just finished); that is what
    // the dialog reports, so a failed cancel request has nothing to add.
    api.tasksCancel({ taskId: running }).catch(() => undefined);
  }, [api, running]);

  const wasCancelled = useCallback(() => cancelledRef.current, []);
  return { running, progress, cancelRequested, wasCancelled, run, cancel };
}
