import type { JSX } from 'react';
import type { DatasetKind, DatasetSummary } from '../../../shared/datasets';
import { formatBytes, formatCount } from './format';
import './datasets.css';

export interface DatasetRef {
  kind: DatasetKind;
  name: string;
}

export interface DatasetListProps {
  datasets: DatasetSummary[];
  selected?: DatasetRef | null;
  onSelect: (ref: DatasetRef) => void;
}

const sameRef = (a: DatasetRef | null | undefined, d: DatasetSummary): boolean => a?.kind === d.kind && a.name === d.name;

function Item({ dataset, selected, onSelect }: { dataset: DatasetSummary; selected: boolean; onSelect: () => void }): JSX.Element {
  const bytes = dataset.files.reduce((sum, f) => sum + f.bytes, 0);
  const features = dataset.columns.filter((c) => c.role === 'feature').length;
  return (
    <li>
      <button type="button" className={`ds-list-item${selected ? ' ds-selected' : ''}`} aria-current={selected ? 'true' : undefined} onClick={onSelect}>
        <span className="ds-list-name">
          {dataset.name}
          {dataset.error && (
            <span className="ds-badge ds-badge-danger" title={dataset.error}>
              unreadable
            </span>
          )}
        </span>
        {!dataset.error && (
          <span className="ds-list-meta">
            {formatCount(dataset.rows)} rows · {features} features · {formatBytes(bytes)}
            {dataset.split && (
              <>
                {' '}
                · {Math.round(dataset.split.trainFraction * 100)}/{Math.round((1 - dataset.split.trainFraction) * 100)} split, seed {dataset.split.seed}
              </>
            )}
          </span>
        )}
      </button>
    </li>
  );
}

/** Raw files and prepared datasets of the data folder, in two groups. */
export function DatasetList({ datasets, selected, onSelect }: DatasetListProps): JSX.Element {
  const groups: Array<[string, DatasetSummary[]]> = [
    ['Raw files', datasets.filter((d) => d.kind === 'external')],
    ['Prepared', datasets.filter((d) => d.kind === 'prepared')],
  ];
  return (
    <nav className="ds-list" aria-label="Datasets">
      {groups.map(([title, items]) => (
        <section key={title} className="ds-list-group">
          <h3 className="ds-list-title">
            {title} <span className="ds-count">{items.length}</span>
          </h3>
          {items.length === 0 ? (
            <p className="ds-empty">{title === 'Prepared' ? 'None yet: preprocess a raw file.' : 'No CSV files in datasets/external.'}</p>
          ) : (
            <ul>
              {items.map((d) => (
                <Item key={`${d.kind}/${d.name}`} dataset={d} selected={sameRef(selected, d)} onSelect={() => onSelect({ kind: d.kind, name: d.name })} />
              ))}
            </ul>
          )}
        </section>
      ))}
    </nav>
  );
}
