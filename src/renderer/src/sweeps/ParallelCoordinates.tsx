import { useRef, useState, type JSX, type PointerEvent } from 'react';
import type { TrialRecord } from '../../../shared/sweeps';
import { inBrushes, label, type Axis, type Brushes } from './sweep-analysis';

const HEIGHT = 260;
const TOP = 28;
const BOTTOM = 36;
const PLOT = HEIGHT - TOP - BOTTOM;
const snap = (u: number): number => (u < 0.03 ? 0 : u > 0.97 ? 1 : u);

/**
 * One vertical axis per parameter and one for the metric; a polyline per trial, coloured by its metric
 * (pruned trials dashed, the best trial drawn thick on top). Drag along an axis to brush: trials outside
 * every brush fade; click an axis without dragging to clear its brush.
 */
export function ParallelCoordinates({ axes, metric, trials, best, brushes, onBrush, goal }: { axes: Axis[]; metric: Axis; trials: readonly TrialRecord[]; best: number | undefined; brushes: Brushes; onBrush: (b: Brushes) => void; goal: 'minimize' | 'maximize' }): JSX.Element {
  const all = [...axes, metric];
  const width = Math.max(480, all.length * 150);
  const x = (i: number): number => 60 + (i * (width - 120)) / Math.max(1, all.length - 1);
  const y = (u: number): number => TOP + (1 - u) * PLOT;
  const [drag, setDrag] = useState<{ key: string; from: number; to: number } | null>(null);
  const svg = useRef<SVGSVGElement>(null);
  const unitAt = (event: PointerEvent): number => {
    const box = svg.current!.getBoundingClientRect();
    const py = ((event.clientY - box.top) / box.height) * HEIGHT;
    return Math.min(1, Math.max(0, 1 - (py - TOP) / PLOT));
  };
  const color = (t: TrialRecord): string => {
    const u = metric.unit(t.value);
    if (!Number.isFinite(u)) return 'var(--fg-muted)';
    const good = goal === 'maximize' ? u : 1 - u;
    return `hsl(${Math.round(10 + good * 200)} 70% 45%)`;
  };
  const ordered = [...trials].sort((a, b) => (a.trial === best ? 1 : b.trial === best ? -1 : 0));
  return (
    <svg ref={svg} className="parallel-coordinates" viewBox={`0 0 ${width} ${HEIGHT}`} width="100%" role="img" aria-label="parallel coordinates of the trials" data-testid="sweep-parallel">
      {ordered.map((t) => {
        const points = all.map((a, i) => [x(i), a.unit(i === axes.length ? t.value : t.params[a.key])] as const);
        if (points.some(([, u]) => !Number.isFinite(u))) return null;
        const inside = inBrushes(t, axes, metric, brushes);
        const isBest = t.trial === best;
        return (
          <polyline
            key={t.trial}
            points={points.map(([px, u]) => `${px},${y(u)}`).join(' ')}
            fill="none"
            stroke={inside ? color(t) : 'var(--border)'}
            strokeWidth={isBest ? 3.5 : 1.4}
            strokeDasharray={t.status === 'pruned' ? '4 3' : undefined}
            opacity={inside ? 0.9 : 0.35}
            data-trial={t.trial}
            data-best={isBest || undefined}
            data-inside={inside}
          >
            <title>{`trial ${t.trial} (${t.status}): ${metric.key} ${label(t.value)}`}</title>
          </polyline>
        );
      })}
      {all.map((a, i) => {
        const brush = drag?.key === a.key ? [Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)] : brushes[a.key];
        return (
          <g key={a.key} transform={`translate(${x(i)},0)`}>
            <line y1={TOP} y2={TOP + PLOT} stroke="var(--fg-muted)" />
            <text y={TOP - 12} textAnchor="middle" className="axis-title">
              {a.key}
            </text>
            {a.ticks.map((tick) => (
              <text key={tick.label + tick.at} x={-6} y={y(tick.at) + 4} textAnchor="end" className="axis-tick">
                {tick.label}
              </text>
            ))}
            {brush && <rect x={-7} width={14} y={y(brush[1]!)} height={Math.max(2, (brush[1]! - brush[0]!) * PLOT)} className="brush" />}
            <rect
              x={-14}
              width={28}
              y={TOP}
              height={PLOT}
              fill="transparent"
              style={{ cursor: 'ns-resize' }}
              data-axis={a.key}
              onPointerDown={(e) => {
                (e.target as Element).setPointerCapture(e.pointerId);
                const u = unitAt(e);
                setDrag({ key: a.key, from: u, to: u });
              }}
              onPointerMove={(e) => drag?.key === a.key && setDrag({ ...drag, to: unitAt(e) })}
              onPointerUp={() => {
                if (!drag) return;
                const next = { ...brushes };
                if (Math.abs(drag.to - drag.from) < 0.01) delete next[a.key];
                // A drag that ends near an end of the axis means "to the end": the extreme trial is in.
                else next[a.key] = [snap(Math.min(drag.from, drag.to)), snap(Math.max(drag.from, drag.to))];
                setDrag(null);
                onBrush(next);
              }}
            />
          </g>
        );
      })}
    </svg>
  );
}
