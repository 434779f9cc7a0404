import { useMemo, type JSX } from 'react';
import type { DatasetsClient } from '../../../shared/datasets';
import { useApi } from '../api/context';
import { DatasetsPage } from '../datasets/DatasetsPage';

let nextTask = 1;

/** The Datasets view over the app's API: browse, statistics, histograms, Preprocess with progress and cancel. */
export function DatasetsView(): JSX.Element {
  const api = useApi();
  const client = useMemo<DatasetsClient>(
    () => ({
      list: () => api.datasetsList({}),
      page: (request) => api.datasetsPage(request),
      stats: (request) => api.datasetsStats(request),
      onListChanged: (listener) => api.onDatasetsChanged(({ datasets }) => listener(datasets)),
      preprocess: async (request, onProgress, signal) => {
        const taskId = `preprocess-${Date.now().toString(36)}-${nextTask++}`;
        const off = api.onProgress((p) => {
          if (p.taskId === taskId) onProgress({ phase: p.phase, done: p.done, total: p.total, unit: p.unit });
        });
        const cancel = (): void => void api.tasksCancel({ taskId });
        signal.addEventListener('abort', cancel, { once: true });
        try {
          return await api.datasetsPreprocess({ ...request, taskId });
        } finally {
          off();
          signal.removeEventListener('abort', cancel);
        }
      },
    }),
    [api],
  );
  return (
    <section className="view" aria-label="Datasets">
      <DatasetsPage client={client} />
    </section>
  );
}
