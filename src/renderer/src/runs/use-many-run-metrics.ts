import { useEffect, useMemo, useState } from 'react';
import type { RunRef } from '../../../shared/runs';
import { useApi } from '../api/context';
import { RunMetricsStore } from './run-metrics';

const keyOf = (r: RunRef): string => `${r.experiment}/${r.model}`;

/** Metrics of several runs at once (Compare): stored first, then live events, one subscription for all. */
export function useManyRunMetrics(runs: readonly RunRef[]): { stores: Map<string, RunMetricsStore>; version: number } {
  const api = useApi();
  const ids = runs.map(keyOf).join(',');
  const stores = useMemo(() => new Map(ids ? ids.split(',').map((k) => [k, new RunMetricsStore()]) : []), [ids]);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let alive = true;
    const bump = (): void => {
      if (alive) setVersion((v) => v + 1);
    };
    for (const [key, store] of stores) {
      const [experiment, model] = key.split('/') as [string, string];
      api.runsMetrics({ experiment, model }).then((m) => {
        store.addStored(m);
        bump();
      }, () => undefined);
    }
    const off = api.onRunsEvent((batch) => {
      const store = stores.get(`${batch.experiment}/${batch.model}`);
      if (!store) return;
      store.addEvents(batch.events);
      bump();
    });
    return () => {
      alive = false;
      off();
    };
  }, [api, stores]);
  return { stores, version };
}
