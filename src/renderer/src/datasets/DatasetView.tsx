import { useState, type JSX } from 'react';
import { DEFAULT_HISTOGRAM_BINS, type DatasetPage, type DatasetPart, type DatasetStats, type DatasetSummary } from '../../../shared/datasets';
import { DatasetPreview } from './DatasetPreview';
import { DatasetStatsPanel } from './DatasetStatsPanel';
import { FeatureHistograms } from './FeatureHistograms';
import { formatBytes, formatCount } from './format';
import { useAsync } from '../state/use-async';
import './datasets.css';

export interface DatasetViewProps {
  dataset: DatasetSummary;
  loadPage: (part: DatasetPart, offset: number, limit: number) => Promise<DatasetPage>;
  loadStats: (part: DatasetPart, bins: number) => Promise<DatasetStats>;
  /** Shown for raw files: opens the Preprocess dialog for this file. */
  onPreprocess?: () => void;
  bins?: number;
}

type Tab = 'preview' | 'stats';

const PART_LABEL: Record<DatasetPart, string> = { raw: 'Raw', train: 'Train', test: 'Test', data: 'All (data.csv)' };

function StatsSection({ load, source }: { load: () => Promise<DatasetStats>; source: string }): JSX.Element {
  const { data: value, error, loading } = useAsync(load, [source]);
  if (error !== undefined)
    return (
      <p className="ds-error" role="alert">
        {error.message}
      </p>
    );
  if (!value) return <p className="ds-muted ds-loading">{loading ? 'Computing statistics…' : ''}</p>;
  return (
    <div className={`ds-stack${loading ? ' ds-stale' : ''}`}>
      <DatasetStatsPanel stats={value} />
      <FeatureHistograms stats={value} />
    </div>
  );
}

/** One dataset: what it is, its files (parts), a paged preview and its statistics. */
export function DatasetView({ dataset, loadPage, loadStats, onPreprocess, bins = DEFAULT_HISTOGRAM_BINS }: DatasetViewProps): JSX.Element {
  const parts = dataset.files.map((f) => f.part);
  const [chosen, setPart] = useState<DatasetPart | undefined>(parts[0]);
  const part = chosen !== undefined && parts.includes(chosen) ? chosen : parts[0];
  const [tab, setTab] = useState<Tab>('preview');
  const file = dataset.files.find((f) => f.part === part);
  const source = `${dataset.kind}/${dataset.name}/${part ?? ''}`;
  const split = dataset.split;

  return (
    <article className="ds-view" aria-label={`Dataset ${dataset.name}`}>
      <header className="ds-view-head">
        <div className="ds-view-title">
          <h2>{dataset.name}</h2>
          <span className={`ds-badge${dataset.kind === 'prepared' ? ' ds-badge-accent' : ''}`}>{dataset.kind === 'prepared' ? 'prepared' : 'raw'}</span>
          {onPreprocess && dataset.kind === 'external' && (
            <button type="button" className="btn primary ds-push-right" onClick={onPreprocess}>
              Preprocess…
            </button>
          )}
        </div>
        {dataset.error ? (
          <p className="ds-error" role="alert">
            {dataset.error}
          </p>
        ) : (
          <dl className="ds-facts">
            <div>
              <dt>Rows</dt>
              <dd>{formatCount(dataset.rows)}</dd>
            </div>
            <div>
              <dt>Columns</dt>
              <dd>{dataset.columns.length}</dd>
            </div>
            <div>
              <dt>Label</dt>
              <dd>{dataset.label ?? '—'}</dd>
            </div>
            {split && (
              <div>
                <dt>Split</dt>
                <dd>
                  {formatCount(split.trainRows)} train / {formatCount(split.testRows)} test ({split.trainFraction}, seed {split.seed}
                  {split.stratified ? ', stratified' : ''})
                </dd>
              </div>
            )}
            {dataset.source && (
              <div>
                <dt>Source</dt>
                <dd className="ds-mono">{dataset.source}</dd>
              </div>
            )}
            <div>
              <dt>{dataset.kind === 'prepared' ? 'Created' : 'Modified'}</dt>
              <dd>{dataset.created ? new Date(dataset.created).toLocaleString() : '—'}</dd>
            </div>
          </dl>
        )}
      </header>
      {part !== undefined && file && (
        <>
          <div className="ds-tabs-row">
            {parts.length > 1 && (
              <div className="ds-segmented" role="group" aria-label="File">
                {dataset.files.map((f) => (
                  <button key={f.part} type="button" aria-pressed={f.part === part} onClick={() => setPart(f.part)}>
                    {PART_LABEL[f.part]} <span className="ds-muted">{formatCount(f.rows)}</span>
                  </button>
                ))}
              </div>
            )}
            <div className="ds-tabs" role="tablist" aria-label="View">
              <button type="button" role="tab" aria-selected={tab === 'preview'} onClick={() => setTab('preview')}>
                Preview
              </button>
              <button type="button" role="tab" aria-selected={tab === 'stats'} onClick={() => setTab('stats')}>
                Statistics
              </button>
            </div>
            <span className="ds-muted ds-mono ds-push-right" title={file.path}>
              {file.path} · {formatBytes(file.bytes)}
            </span>
          </div>
          <div role="tabpanel" className="ds-panel">
            {tab === 'preview' ? (
              <DatasetPreview source={source} loadPage={(offset, limit) => loadPage(part, offset, limit)} />
            ) : (
              <StatsSection source={`${source}/${bins}`} load={() => loadStats(part, bins)} />
            )}
          </div>
        </>
      )}
    </article>
  );
}
