import { useEffect, useState } from 'react';
import { useApi } from '../api/context';
import { RunMetricsStore } from './run-metrics';

/**
 * A run's metrics, live: the stored metrics.jsonl first, then the run's pushed events as they arrive, and
 * a final catch-up read when its job exits (so nothing between the read and the subscription is lost).
 * Returns the store and its version (changes on every update).
 */
export function useRunMetrics(experiment: string, model: string): { store: RunMetricsStore; version: number; error: Error | undefined } {
  const api = useApi();
  const [store, setStore] = useState(() => new RunMetricsStore());
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<Error>();

  useEffect(() => {
    const fresh = new RunMetricsStore();
    setStore(fresh);
    setError(undefined);
    let offset = 0;
    let alive = true;
    const bump = (): void => {
      if (alive) setVersion(fresh.version);
    };
    const read = (): void => {
      api.runsMetrics({ experiment, model, since: offset }).then(
        (metrics) => {
          offset = metrics.offset;
          fresh.addStored(metrics);
          bump();
        },
        (e: unknown) => {
          // A queued run has no folder yet; its events will come.
          if (alive && !(e instanceof Error && 'code' in e && e.code === 'RUN_MISSING')) setError(e instanceof Error ? e : new Error(String(e)));
        },
      );
    };
    const offEvents = api.onRunsEvent((batch) => {
      if (batch.experiment !== experiment || batch.model !== model) return;
      fresh.addEvents(batch.events);
      bump();
    });
    const offExit = api.onRunsExited((exit) => {
      if (exit.experiment === experiment && exit.model === model) read();
    });
    read();
    return () => {
      alive = false;
      offEvents();
      offExit();
    };
  }, [api, experiment, model]);

  return { store, version, error };
}
