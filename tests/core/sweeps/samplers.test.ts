import { describe, expect, test } from 'vitest';
import { proposePoint } from '../../../src/core/sweeps/samplers.js';
import { gridSize, type Parameter, type Params } from '../../../src/core/sweeps/space.js';
import type { Observation } from '../../../src/core/sweeps/tpe.js';

const grid: Parameter[] = [
  { key: 'training.optimizer', dist: { kind: 'values', values: ['adam', 'sgd', 'rmsprop'] } },
  { key: 'training.batch_size', dist: { kind: 'int', low: 8, high: 11 } },
  { key: 'model.hidden_units', dist: { kind: 'values', values: [[8], [16, 16]] } },
];

const space: Parameter[] = [
  { key: 'x', dist: { kind: 'uniform', low: -5, high: 5 } },
  { key: 'lr', dist: { kind: 'log_uniform', low: 1e-5, high: 1 } },
  { key: 'n', dist: { kind: 'int', low: 1, high: 50 } },
  { key: 'opt', dist: { kind: 'values', values: ['a', 'b', 'c', 'd'] } },
];

/**
 * A known objective, lowest (0) at x = 1.5, lr = 1e-3, n = 30, opt = "c". The optimum region is
 * objective < REGION: a few per cent of the prior's mass (random search needs about 30 trials). The
 * categorical part is kept small: univariate TPE, like Optuna's, can lock onto a category early.
 */
const REGION = 1;
function objective(p: Params): number {
  const x = p['x'] as number;
  const lr = Math.log10(p['lr'] as number);
  const n = p['n'] as number;
  return (x - 1.5) ** 2 / 2 + (lr + 3) ** 2 / 2 + ((n - 30) / 10) ** 2 + (p['opt'] === 'c' ? 0 : 0.5);
}

function search(method: 'random' | 'tpe', seed: number, budget: number): { trials: Params[]; firstHit: number } {
  const history: Observation[] = [];
  const trials: Params[] = [];
  let firstHit = Infinity;
  for (let i = 0; i < budget; i++) {
    const params = proposePoint(method, space, i, seed, history)!;
    const loss = objective(params);
    if (loss < REGION && firstHit === Infinity) firstHit = i + 1;
    history.push({ params, loss });
    trials.push(params);
  }
  return { trials, firstHit };
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

describe('grid', () => {
  test('covers every point exactly once, then ends', () => {
    const n = gridSize(grid);
    expect(n).toBe(3 * 4 * 2);
    const points = Array.from({ length: n }, (_, i) => proposePoint('grid', grid, i, 0, []));
    const keys = points.map((p) => JSON.stringify(p));
    expect(new Set(keys).size).toBe(n);
    for (const opt of ['adam', 'sgd', 'rmsprop']) for (const b of [8, 9, 10, 11]) for (const h of [[8], [16, 16]]) {
      expect(keys).toContain(JSON.stringify({ 'training.optimizer': opt, 'training.batch_size': b, 'model.hidden_units': h }));
    }
    expect(proposePoint('grid', grid, n, 0, [])).toBeNull();
  });
});

describe('random and TPE', () => {
  test('are reproducible per seed and differ between seeds', () => {
    for (const method of ['random', 'tpe'] as const) {
      const a = search(method, 7, 30).trials;
      const b = search(method, 7, 30).trials;
      const c = search(method, 8, 30).trials;
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
    }
  });

  test('draw inside the ranges, integers as integers, log ranges spread over decades', () => {
    for (const method of ['random', 'tpe'] as const) {
      const { trials } = search(method, 3, 60);
      for (const p of trials) {
        expect(p['x']).toBeGreaterThanOrEqual(-5);
        expect(p['x']).toBeLessThanOrEqual(5);
        expect(p['lr']).toBeGreaterThanOrEqual(1e-5);
        expect(p['lr']).toBeLessThanOrEqual(1);
        expect(Number.isInteger(p['n'])).toBe(true);
        expect(p['n']).toBeGreaterThanOrEqual(1);
        expect(p['n']).toBeLessThanOrEqual(50);
        expect(['a', 'b', 'c', 'd']).toContain(p['opt']);
      }
    }
    const decades = new Set(search('random', 1, 60).trials.map((p) => Math.floor(Math.log10(p['lr'] as number))));
    expect(decades.size).toBeGreaterThanOrEqual(4);
  });

  test('TPE finds the optimum region in fewer trials than random search (median over 10 seeds)', () => {
    const budget = 200;
    const tpe: number[] = [];
    const random: number[] = [];
    const bestTpe: number[] = [];
    const bestRandom: number[] = [];
    for (let seed = 0; seed < 10; seed++) {
      const t = search('tpe', seed, budget);
      const r = search('random', seed, budget);
      tpe.push(t.firstHit);
      random.push(r.firstHit);
      bestTpe.push(Math.min(...t.trials.slice(0, 60).map(objective)));
      bestRandom.push(Math.min(...r.trials.slice(0, 60).map(objective)));
    }
    console.log(`trials to reach the optimum region (objective < ${REGION}), median of 10 seeds: TPE ${median(tpe)}, random ${median(random)}; best after 60 trials: TPE ${median(bestTpe).toFixed(3)}, random ${median(bestRandom).toFixed(3)}`);
    expect(median(tpe)).toBeLessThan(median(random));
    expect(median(bestTpe)).toBeLessThan(median(bestRandom));
  });
});
