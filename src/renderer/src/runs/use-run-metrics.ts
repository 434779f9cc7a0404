import { useEffect, useState } from 'react';
import { useApi } from '../api/context';
import { followRunMetrics } from './follow-run-metrics';
import { RunMetricsStore } from './run-metrics';

/**
 * A run's metrics, live (see followRunMetrics). Returns the store and its version (changes on every update).
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
    return followRunMetrics(api, experiment, model, fresh, () => setVersion(fresh.version), setError);
  }, [api, experiment, model]);

  return { store, version, error };
}
