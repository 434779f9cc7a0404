import type { ExpmanApi } from '../../../shared/api';
import type { RunMetricsStore } from './run-metrics';

/**
 * Keeps a run's metrics store current: the stored metrics.jsonl first (`runs:metrics`), then the events the
 * data-folder watcher pushes as the file grows (`runs:appended`, whoever writes the run), and the launching
 * job's own events (`runs:event`, a faster path for runs this app started). Overlaps are harmless (the store
 * keeps an epoch's last record and each batch once); a push that starts past what was read (a gap) is
 * applied and the gap is read with `since`, as is everything after a reconnect. Returns the unsubscribe function.
 */
export function followRunMetrics(
  api: ExpmanApi,
  experiment: string,
  model: string,
  store: RunMetricsStore,
  onChange: () => void,
  onError: (error: Error) => void = () => undefined,
): () => void {
  let alive = true;
  /** Bytes of metrics.jsonl folded in so far. */
  let offset = 0;
  let reading = false;
  let readAgain = false;
  const read = (): void => {
    if (reading) {
      readAgain = true;
      return;
    }
    reading = true;
    api
      .runsMetrics({ experiment, model, since: offset })
      .then(
        (metrics) => {
          if (!alive) return;
          offset = metrics.offset;
          store.addStored(metrics);
          onChange();
        },
        (e: unknown) => {
          // A queued run has no folder yet; its events will come.
          if (alive && !(e instanceof Error && 'code' in e && e.code === 'RUN_MISSING')) onError(e instanceof Error ? e : new Error(String(e)));
        },
      )
      .finally(() => {
        reading = false;
        if (readAgain && alive) {
          readAgain = false;
          read();
        }
      });
  };
  const offAppended = api.onRunsAppended((push) => {
    if (push.experiment !== experiment || push.model !== model) return;
    store.addEvents(push.events);
    onChange();
    if (push.from <= offset || push.from === 0) offset = Math.max(push.from === 0 ? 0 : offset, push.offset);
    else read(); // a gap: fetch what lies between
  });
  const offEvents = api.onRunsEvent((batch) => {
    if (batch.experiment !== experiment || batch.model !== model) return;
    store.addEvents(batch.events);
    onChange();
  });
  const offExit = api.onRunsExited((exit) => {
    if (exit.experiment === experiment && exit.model === model) read();
  });
  // Appends pushed while the connection was down are lost: read on from the offset reached.
  const offRestored = api.onConnectionRestored(() => read());
  read();
  return () => {
    alive = false;
    offRestored();
    offAppended();
    offEvents();
    offExit();
  };
}
