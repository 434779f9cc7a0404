// Runs grouped (e.g. the seeds of one parameter point) drawn as one line, their mean, inside a shaded
// band of ± one standard deviation: the series MetricChart draws for it.
import type { ChartSeries } from './chart-data';

export interface SeriesGroup {
  id: string;
  label: string;
  members: readonly ChartSeries[];
}

/**
 * Per group, at every x any member has: the mean of the members' finite values there, and the mean ± the
 * sample standard deviation (n − 1; 0 for one value) as the band's edges. Members need not share their x
 * (a run that stopped early simply leaves the later means to the others).
 */
export function meanStdBands(groups: readonly SeriesGroup[]): ChartSeries[] {
  const out: ChartSeries[] = [];
  for (const group of groups) {
    const byX = new Map<number, number[]>();
    for (const s of group.members) {
      const length = s.length ?? Math.min(s.x.length, s.y.length);
      for (let i = 0; i < length; i++) {
        const y = s.y[i]!;
        if (!Number.isFinite(y)) continue;
        const list = byX.get(s.x[i]!);
        if (list) list.push(y);
        else byX.set(s.x[i]!, [y]);
      }
    }
    const xs = [...byX.keys()].sort((a, b) => a - b);
    const mean = new Float64Array(xs.length);
    const upper = new Float64Array(xs.length);
    const lower = new Float64Array(xs.length);
    xs.forEach((x, i) => {
      const values = byX.get(x)!;
      const m = values.reduce((sum, v) => sum + v, 0) / values.length;
      const std = values.length > 1 ? Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1)) : 0;
      mean[i] = m;
      upper[i] = m + std;
      lower[i] = m - std;
    });
    const x = Float64Array.from(xs);
    out.push({ id: group.id, label: `${group.label} (mean of ${group.members.length})`, x, y: mean });
    out.push({ id: `${group.id}:upper`, label: `${group.label} + std`, x, y: upper, band: { of: group.id, side: 'upper' } });
    out.push({ id: `${group.id}:lower`, label: `${group.label} − std`, x, y: lower, band: { of: group.id, side: 'lower' } });
  }
  return out;
}
