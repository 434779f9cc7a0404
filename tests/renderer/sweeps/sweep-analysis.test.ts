import { describe, expect, test } from 'vitest';
import { importance, inBrushes, metricAxis, parameterAxis } from '../../../src/renderer/src/sweeps/sweep-analysis';
import type { SweepParameterDto, TrialRecord } from '../../../src/shared/sweeps';

const params: SweepParameterDto[] = [
  { key: 'lr', kind: 'log_uniform', low: 1e-4, high: 1 },
  { key: 'noise', kind: 'uniform', low: 0, high: 1 },
  { key: 'opt', kind: 'values', values: ['adam', 'sgd'] },
];

/** 40 trials whose value depends on lr (strongly, monotone in log lr) and opt (a little), not on noise. */
function trials(): TrialRecord[] {
  const out: TrialRecord[] = [];
  for (let i = 0; i < 40; i++) {
    const lr = 10 ** (-4 + (4 * ((i * 7) % 40)) / 39);
    const noise = ((i * 13) % 40) / 39;
    const opt = i % 2 ? 'adam' : 'sgd';
    out.push({ trial: i, point: i, repeat: 0, params: { lr, noise, opt }, run: `s-t${i}`, status: i % 5 === 4 ? 'pruned' : 'finished', value: Math.log10(lr) + (opt === 'adam' ? 1.5 : 0) });
  }
  return out;
}

describe('sweep analysis', () => {
  test('axes: log ranges by decade, lists one slot per value (numbers in increasing order)', () => {
    const lr = parameterAxis(params[0]!, []);
    expect(lr.kind).toBe('log');
    expect(lr.unit(1e-2)).toBeCloseTo(0.5);
    const sizes = parameterAxis({ key: 'b', kind: 'values', values: [32, 8, 16] }, []);
    expect(sizes.categories).toEqual(['8', '16', '32']);
    expect([8, 16, 32].map((v) => sizes.unit(v))).toEqual([0, 0.5, 1]);
    expect(metricAxis('acc', [{ ...trials()[0]!, value: 0.9 }]).min).toBeCloseTo(0.81);
  });

  test('importance ranks the parameter that matters first, the irrelevant one last', () => {
    const ranking = importance(params, trials());
    expect(ranking.map((r) => r.key)).toEqual(['lr', 'opt', 'noise']);
    expect(ranking[0]!.correlation).toBeGreaterThan(0.8);
    expect(ranking[0]!.explained).toBeGreaterThan(0.5);
    expect(ranking[2]!.explained).toBeLessThan(0.1);
    expect(ranking[2]!.correlation).toBeLessThan(0.3);
  });

  test('brushing keeps the trials inside every brushed range', () => {
    const all = trials();
    const axes = params.map((p) => parameterAxis(p, all));
    const metric = metricAxis('score', all);
    const inside = all.filter((t) => inBrushes(t, axes, metric, { lr: [0.5, 1], opt: [0.9, 1] }));
    expect(inside.length).toBeGreaterThan(0);
    for (const t of inside) {
      expect(t.params['lr']).toBeGreaterThanOrEqual(1e-2 - 1e-12);
      expect(t.params['opt']).toBe('sgd');
    }
    expect(all.filter((t) => inBrushes(t, axes, metric, {}))).toHaveLength(40);
  });
});
