import type { JSX } from 'react';
import type { ColumnDescribe, DatasetStats } from '../../../shared/datasets';
import { formatCount, formatNumber, seriesColor } from './format';
import './datasets.css';

export interface DatasetStatsPanelProps {
  stats: DatasetStats;
}

const ROWS: Array<[string, keyof ColumnDescribe]> = [
  ['count', 'count'],
  ['mean', 'mean'],
  ['std', 'std'],
  ['min', 'min'],
  ['25%', 'q25'],
  ['50%', 'q50'],
  ['75%', 'q75'],
  ['max', 'max'],
];

/** pandas-style describe() table (statistics as rows, columns as columns) and the class balance. */
export function DatasetStatsPanel({ stats }: DatasetStatsPanelProps): JSX.Element {
  const largest = Math.max(1, ...stats.classBalance.map((c) => c.count));
  const labelled = stats.classBalance.reduce((sum, c) => sum + c.count, 0);
  return (
    <div className="ds-stats">
      <section className="ds-card" aria-label="Summary statistics">
        <header className="ds-card-head">
          <h3>describe()</h3>
          <span className="ds-muted">
            {formatCount(stats.rows)} rows · {stats.describe.length} numeric columns · {stats.engine === 'danfojs' ? 'danfojs' : 'streaming pass'} · {stats.elapsedMs} ms
          </span>
        </header>
        {stats.describe.length === 0 ? (
          <p className="ds-empty">No numeric columns.</p>
        ) : (
          <div className="ds-table-scroll ds-table-auto">
            <table className="ds-table ds-describe">
              <thead>
                <tr>
                  <th scope="col" />
                  {stats.describe.map((d) => (
                    <th key={d.column} scope="col" className="ds-num">
                      {d.column}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {ROWS.map(([label, key]) => (
                  <tr key={key}>
                    <th scope="row">{label}</th>
                    {stats.describe.map((d) => (
                      <td key={d.column} className="ds-num" title={String(d[key])}>
                        {key === 'count' ? formatCount(d.count) : formatNumber(d[key] as number)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="ds-card" aria-label="Class balance">
        <header className="ds-card-head">
          <h3>Class balance</h3>
          {stats.label && <span className="ds-muted">label column “{stats.label}” · {stats.classBalance.length} classes</span>}
        </header>
        {stats.classBalance.length === 0 ? (
          <p className="ds-empty">No label column: the last column of this file holds numbers.</p>
        ) : (
          <ul className="ds-balance">
            {stats.classBalance.map((c, i) => (
              <li key={c.label} className="ds-balance-row">
                <span className="ds-balance-label" title={c.label}>
                  <span className="ds-swatch" style={{ background: seriesColor(i) }} />
                  {c.label}
                </span>
                <span className="ds-balance-track">
                  <span className="ds-balance-bar" style={{ width: `${(100 * c.count) / largest}%`, background: seriesColor(i) }} />
                </span>
                <span className="ds-num ds-balance-count">
                  {formatCount(c.count)} <span className="ds-muted">({labelled ? ((100 * c.count) / labelled).toFixed(1) : '0'}%)</span>
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
