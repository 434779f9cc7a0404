import { useState, type JSX } from 'react';
import type { DatasetStats, FeatureHistogram } from '../../../shared/datasets';
import { formatCount, formatNumber, seriesColor } from './format';
import './datasets.css';

export interface FeatureHistogramsProps {
  stats: DatasetStats;
  /** Stack the bars by class (when the file has a label column); the user can toggle it. */
  byClass?: boolean;
}

// SVG user units; the drawing scales to its cell (preserveAspectRatio="none"), text is HTML beside it.
const WIDTH = 200;
const HEIGHT = 80;

function Histogram({ histogram, classes, stacked }: { histogram: FeatureHistogram; classes: string[]; stacked: boolean }): JSX.Element {
  const { counts, edges } = histogram;
  const peak = Math.max(1, ...counts);
  const barWidth = WIDTH / Math.max(1, counts.length);
  const gap = counts.length > 40 ? 0 : Math.min(1, barWidth * 0.1);
  const range = (i: number): string => `${formatNumber(edges[i]!)} – ${formatNumber(edges[i + 1]!)}`;
  return (
    <figure className="ds-hist">
      <figcaption className="ds-hist-title">{histogram.column}</figcaption>
      <svg
        className="ds-hist-plot"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Histogram of ${histogram.column}: ${counts.length} bins, peak ${peak} rows`}
      >
        {counts.map((count, i) => {
          const x = i * barWidth + gap / 2;
          const w = Math.max(0.5, barWidth - gap);
          if (!stacked || !histogram.byClass) {
            const h = (count / peak) * HEIGHT;
            return (
              <rect key={i} className="ds-hist-bar" x={x} y={HEIGHT - h} width={w} height={h}>
                <title>{`${range(i)}: ${formatCount(count)} rows`}</title>
              </rect>
            );
          }
          let y = HEIGHT;
          return (
            <g key={i}>
              {histogram.byClass.map((perClass, k) => {
                const n = perClass[i]!;
                if (n === 0) return null;
                const h = (n / peak) * HEIGHT;
                y -= h;
                return (
                  <rect key={k} x={x} y={y} width={w} height={h} style={{ fill: seriesColor(k) }}>
                    <title>{`${range(i)}: ${formatCount(n)} ${classes[k] ?? ''} of ${formatCount(count)} rows`}</title>
                  </rect>
                );
              })}
            </g>
          );
        })}
        <line className="ds-hist-axis" x1={0} x2={WIDTH} y1={HEIGHT - 0.25} y2={HEIGHT - 0.25} vectorEffect="non-scaling-stroke" />
      </svg>
      <div className="ds-hist-scale" aria-hidden="true">
        <span>{edges.length ? formatNumber(edges[0]!) : ''}</span>
        <span>{edges.length ? formatNumber(edges[edges.length - 1]!) : ''}</span>
      </div>
    </figure>
  );
}

/** One small histogram per numeric column, on the same grid, optionally stacked by class. */
export function FeatureHistograms({ stats, byClass = true }: FeatureHistogramsProps): JSX.Element {
  const [stacked, setStacked] = useState(byClass);
  const classes = stats.classBalance.map((c) => c.label);
  const canStack = classes.length > 0 && stats.histograms.some((h) => h.byClass !== null);
  return (
    <section className="ds-card" aria-label="Histograms">
      <header className="ds-card-head">
        <h3>Histograms</h3>
        <span className="ds-muted">{stats.histograms[0]?.counts.length ?? 0} bins per feature</span>
        {canStack && (
          <label className="ds-field-inline ds-push-right">
            <input type="checkbox" checked={stacked} onChange={(e) => setStacked(e.target.checked)} /> Stack by class
          </label>
        )}
      </header>
      {canStack && stacked && (
        <ul className="ds-legend" aria-label="Classes">
          {classes.map((label, i) => (
            <li key={label}>
              <span className="ds-swatch" style={{ background: seriesColor(i) }} />
              {label}
            </li>
          ))}
        </ul>
      )}
      {stats.histograms.length === 0 ? (
        <p className="ds-empty">No numeric columns.</p>
      ) : (
        <div className="ds-hist-grid">
          {stats.histograms.map((h) => (
            <Histogram key={h.column} histogram={h} classes={classes} stacked={canStack && stacked} />
          ))}
        </div>
      )}
    </section>
  );
}
