import { useEffect, useState, type JSX } from 'react';
import type { DatasetSummary, DatasetsClient } from '../../../shared/datasets';
import { DatasetList, type DatasetRef } from './DatasetList';
import { DatasetView } from './DatasetView';
import { PreprocessDialog } from './PreprocessDialog';
import { useAsync } from '../state/use-async';
import './datasets.css';

export interface DatasetsPageProps {
  client: DatasetsClient;
  /** Controlled selection (e.g. from the app sidebar); without it the page keeps its own. */
  selected?: DatasetRef | null;
  onSelect?: (ref: DatasetRef) => void;
  /** Hide the page's own list when the shell's sidebar already lists the datasets. */
  showList?: boolean;
}

/** The Datasets view: the list, the selected dataset and the Preprocess dialog, over a DatasetsClient. */
export function DatasetsPage({ client, selected: controlled, onSelect, showList = true }: DatasetsPageProps): JSX.Element {
  const list = useAsync(() => client.list(), [client]);
  // The list as the data-folder watcher last pushed it (newer than the pull until the pull is redone).
  const [pushed, setPushed] = useState<DatasetSummary[]>();
  useEffect(() => client.onListChanged?.(setPushed), [client]);
  useEffect(() => setPushed(undefined), [list.data]);
  const [own, setOwn] = useState<DatasetRef | null>(null);
  const [dialog, setDialog] = useState<string | null>(null);
  const datasets = pushed ?? list.data ?? [];
  const wanted = controlled !== undefined ? controlled : own;
  const current = datasets.find((d) => d.kind === wanted?.kind && d.name === wanted.name) ?? (wanted ? undefined : datasets[0]);
  const select = (ref: DatasetRef): void => {
    setOwn(ref);
    onSelect?.(ref);
  };
  const sources = datasets.filter((d) => d.kind === 'external' && !d.error).map((d) => ({ name: d.name, rows: d.rows, columns: d.columns.map((c) => c.name) }));

  return (
    <div className={`ds-page${showList ? '' : ' ds-page-single'}`}>
      {showList && (
        <aside className="ds-page-list">
          <div className="ds-page-list-head">
            <h2>Datasets</h2>
            <button type="button" className="btn primary" disabled={sources.length === 0} onClick={() => setDialog(current?.kind === 'external' ? current.name : (sources[0]?.name ?? ''))}>
              Preprocess…
            </button>
          </div>
          {list.error !== undefined && (
            <p className="ds-error" role="alert">
              {list.error.message}
            </p>
          )}
          {list.data && <DatasetList datasets={datasets} selected={current ?? null} onSelect={select} />}
        </aside>
      )}
      <div className="ds-page-main">
        {current ? (
          <DatasetView
            key={`${current.kind}/${current.name}`}
            dataset={current}
            loadPage={(part, offset, limit) => client.page({ name: current.name, part, offset, limit })}
            loadStats={(part, bins) => client.stats({ name: current.name, part, bins })}
            onPreprocess={() => setDialog(current.name)}
          />
        ) : (
          <p className="ds-empty ds-page-empty">{list.loading ? 'Loading datasets…' : wanted ? `Dataset “${wanted.name}” is not in this data folder.` : 'No datasets in this data folder.'}</p>
        )}
      </div>
      {dialog !== null && (
        <PreprocessDialog
          sources={sources}
          defaultSource={dialog}
          existing={datasets.filter((d) => d.kind === 'prepared').map((d) => d.name)}
          preprocess={(request, onProgress, signal) => client.preprocess(request, onProgress, signal)}
          onDone={(outcome) => {
            list.reload();
            select({ kind: 'prepared', name: outcome.dataset.name });
            if (!outcome.unchanged) setDialog(null);
          }}
          onClose={() => setDialog(null)}
        />
      )}
    </div>
  );
}
