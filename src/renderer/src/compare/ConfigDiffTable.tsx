import { useId, useMemo, useState, type JSX } from 'react';
import { diffConfigs, formatConfigValue, type ConfigRun } from './config-diff';
import './compare.css';

export interface ConfigDiffTableProps {
  readonly runs: readonly ConfigRun[];
  /** start with every key shown instead of only those that differ */
  readonly initiallyShowAll?: boolean;
}

/** The runs' configs side by side: only the keys whose values differ, or all of them on request. */
export function ConfigDiffTable({ runs, initiallyShowAll = false }: ConfigDiffTableProps): JSX.Element {
  const [showAll, setShowAll] = useState(initiallyShowAll);
  const id = useId();
  const rows = useMemo(() => diffConfigs(runs), [runs]);
  const differing = rows.filter((row) => row.differs).length;
  const shown = showAll ? rows : rows.filter((row) => row.differs);
  return (
    <section className="cmp-config" aria-labelledby={`${id}-title`}>
      <header className="cmp-header">
        <h3 id={`${id}-title`} className="cmp-title">
          Config
        </h3>
        <span className="cmp-summary">
          {differing} of {rows.length} {rows.length === 1 ? 'key differs' : 'keys differ'}
        </span>
        <label className="cmp-toggle">
          <input type="checkbox" checked={showAll} onChange={(event) => setShowAll(event.currentTarget.checked)} />
          Show all keys
        </label>
      </header>
      {shown.length === 0 ? (
        <p className="cmp-empty">{rows.length === 0 ? 'No config to compare.' : `All ${rows.length} keys are the same in every run.`}</p>
      ) : (
        <div className="cmp-scroll">
          <table className="cmp-table">
            <thead>
              <tr>
                <th scope="col">key</th>
                {runs.map((run) => (
                  <th scope="col" key={run.id} title={run.id}>
                    {run.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map((row) => (
                <tr key={row.key} className={row.differs ? 'cmp-differs' : undefined}>
                  <th scope="row" className="cmp-key">
                    {row.key}
                  </th>
                  {row.values.map((value, i) => (
                    <td key={runs[i]!.id} className={value === undefined ? 'cmp-missing' : undefined}>
                      {formatConfigValue(value)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
