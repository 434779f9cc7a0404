import type { JSX } from 'react';
import type { TrialRecord } from '../../../shared/sweeps';
import { label, type Axis } from './sweep-analysis';

const W = 460;
const H = 260;
const L = 56;
const B = 34;

/** The metric against one parameter: a point per trial with a value; best filled large, pruned hollow. */
export function ParamScatter({ axis, metric, trials, best, highlight }: { axis: Axis; metric: Axis; trials: readonly TrialRecord[]; best: number | undefined; highlight: (t: TrialRecord) => boolean }): JSX.Element {
  const px = (u: number): number => L + u * (W - L - 36);
  const py = (u: number): number => 12 + (1 - u) * (H - B - 12);
  return (
    <svg className="param-scatter" viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`${metric.key} against ${axis.key}`} data-testid="sweep-scatter">
      <line x1={L} x2={W - 16} y1={py(0)} y2={py(0)} stroke="var(--fg-muted)" />
      <line x1={L} x2={L} y1={py(0)} y2={py(1)} stroke="var(--fg-muted)" />
      {axis.ticks.map((t) => (
        <text key={`x${t.label}${t.at}`} x={px(t.at)} y={H - B + 16} textAnchor="middle" className="axis-tick">
          {t.label}
        </text>
      ))}
      {metric.ticks.map((t) => (
        <text key={`y${t.label}${t.at}`} x={L - 6} y={py(t.at) + 4} textAnchor="end" className="axis-tick">
          {t.label}
        </text>
      ))}
      <text x={(L + W) / 2} y={H - 2} textAnchor="middle" className="axis-title">
        {axis.key}
        {axis.kind === 'log' ? ' (log)' : ''}
      </text>
      {trials.map((t) => {
        const ux = axis.unit(t.params[axis.key]);
        const uy = metric.unit(t.value);
        if (!Number.isFinite(ux) || !Number.isFinite(uy)) return null;
        const isBest = t.trial === best;
        const on = highlight(t);
        return (
          <circle
            key={t.trial}
            cx={px(ux)}
            cy={py(uy)}
            r={isBest ? 7 : 4}
            fill={t.status === 'pruned' ? 'none' : on ? (isBest ? 'var(--ok)' : 'var(--accent)') : 'var(--border)'}
            stroke={t.status === 'pruned' ? 'var(--fg-muted)' : isBest ? 'var(--fg)' : 'none'}
            data-trial={t.trial}
          >
            <title>{`trial ${t.trial} (${t.status}): ${axis.key} ${label(t.params[axis.key])}, ${metric.key} ${label(t.value)}`}</title>
          </circle>
        );
      })}
    </svg>
  );
}
