import type { JSX } from 'react';
import type { PointValue } from './chart-data';
import { formatMetricValue } from './format-value';

export interface LegendItem {
  readonly id: string;
  readonly label: string;
  readonly colour: string;
  readonly hidden: boolean;
  /** the value under the pointer, or the last value when the pointer is elsewhere */
  readonly value: PointValue | null;
}

export interface ChartLegendProps {
  readonly items: readonly LegendItem[];
  /** "epoch 12" while hovering, else null (the values are then the last ones); '' for no caption */
  readonly xCaption: string | null;
  readonly onToggle: (id: string) => void;
}

/** Series names with their values; a click shows or hides a series. */
export function ChartLegend({ items, xCaption, onToggle }: ChartLegendProps): JSX.Element {
  return (
    <div className="chart-legend">
      {xCaption !== '' && <span className="chart-legend-x">{xCaption ?? 'last'}</span>}
      <ul>
        {items.map((item) => (
          <li key={item.id}>
            <button
              type="button"
              className="chart-legend-item"
              aria-pressed={!item.hidden}
              title={item.hidden ? `Show ${item.label}` : `Hide ${item.label}`}
              onClick={() => onToggle(item.id)}
            >
              <span className="chart-swatch" style={{ background: item.colour }} aria-hidden="true" />
              <span className="chart-legend-label">{item.label}</span>
              {!item.hidden && item.value && (
                <span className="chart-legend-value">
                  {formatMetricValue(item.value.smoothed ?? item.value.raw)}
                  {item.value.smoothed !== undefined && (
                    <span className="chart-legend-raw" title="raw value">
                      {' '}
                      ({formatMetricValue(item.value.raw)})
                    </span>
                  )}
                </span>
              )}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
