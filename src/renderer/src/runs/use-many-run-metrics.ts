import { useEffect, useMemo, useState } from 'react';
import type { RunRef } from '../../../shared/runs';
import { useApi } from '../api/context';
import { followRunMetrics } from './follow-run-metrics';
import { RunMetricsStore } from './run-metrics';

const keyOf = (r: RunRef): string => `${r.experiment}/${r.model}`;

/** Metrics of several runs at once (Compare): each followed like one run (stored first, then pushed events). */
export function useManyRunMetrics(runs: readonly RunRef[]): { stores: Map<string, RunMetricsStore>; version: number } {
  const api = useApi();
  const ids = runs.map(keyOf).join(',');
  const stores = useMemo(() => new Map(ids ? ids.split(',').map((k) => [k, new RunMetricsStore()]) : []), [ids]);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    const bump = (): void => setVersion((v) => v + 1);
    const offs = [...stores].map(([key, store]) => {
      const [experiment, model] = key.split('/') as [string, string];
      return followRunMetrics(api, experiment, model, store, bump);
    });
    return () => {
      for (const off of offs) off();
    };
  }, [api, stores]);
  return { stores, version };
}
