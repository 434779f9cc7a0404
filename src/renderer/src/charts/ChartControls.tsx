import { useId, type JSX } from 'react';
import { MAX_SMOOTHING } from './smoothing';
import './charts.css';

export interface ChartControlsProps {
  readonly smoothing: number;
  readonly onSmoothingChange: (weight: number) => void;
  readonly logScale: boolean;
  readonly onLogScaleChange: (log: boolean) => void;
}

/** The settings shared by a view's charts: smoothing weight (TensorBoard's slider) and a log y axis. */
export function ChartControls({ smoothing, onSmoothingChange, logScale, onLogScaleChange }: ChartControlsProps): JSX.Element {
  const id = useId();
  return (
    <div className="chart-controls">
      <label htmlFor={`${id}-smoothing`}>Smoothing</label>
      <input
        id={`${id}-smoothing`}
        type="range"
        min={0}
        max={MAX_SMOOTHING}
        step={0.001}
        value={smoothing}
        onChange={(event) => onSmoothingChange(Number(event.currentTarget.value))}
      />
      <output htmlFor={`${id}-smoothing`} className="chart-controls-value">
        {smoothing.toFixed(smoothing === 0 ? 0 : 3).replace(/0+$/, '').replace(/\.$/, '') || '0'}
      </output>
      <label className="chart-controls-check">
        <input type="checkbox" checked={logScale} onChange={(event) => onLogScaleChange(event.currentTarget.checked)} />
        Log scale
      </label>
    </div>
  );
}
