import { describe, expect, test } from 'vitest';
import { ashaRungs, pruneDecision, type Curve, type PrunerSpec } from '../../../src/core/sweeps/pruners.js';

/** A curve rising towards `top` (an accuracy-like metric): value at epoch e = top·(1 - 0.5^e). */
const rising = (top: number, epochs: number): Curve => new Map(Array.from({ length: epochs }, (_, i) => [i + 1, top * (1 - 0.5 ** (i + 1))]));

describe('median stopping', () => {
  const spec: PrunerSpec = { type: 'median', warmup: 1, minTrials: 3 };
  const others = [rising(0.9, 10), rising(0.8, 10), rising(0.85, 10), rising(0.95, 10)];

  test('stops a trial worse than the median at the same epoch, after the warm-up', () => {
    expect(pruneDecision(spec, 'maximize', rising(0.5, 3), others, 0)).toMatchObject({ prune: true });
    expect(pruneDecision(spec, 'maximize', rising(0.5, 3), others, 0).reason).toMatch(/median stopping at epoch 3/);
  });

  test('keeps a trial better than the median, one still warming up, and one with too few peers', () => {
    expect(pruneDecision(spec, 'maximize', rising(0.9, 3), others, 0).prune).toBe(false);
    expect(pruneDecision(spec, 'maximize', rising(0.1, 1), others, 0).prune).toBe(false);
    expect(pruneDecision(spec, 'maximize', rising(0.1, 3), others.slice(0, 2), 0).prune).toBe(false);
  });

  test('minimize: a loss above the median is pruned; epochs already judged are not judged again', () => {
    const losses = [new Map([[1, 1.0], [2, 0.5]]), new Map([[1, 1.1], [2, 0.6]]), new Map([[1, 0.9], [2, 0.4]])];
    expect(pruneDecision(spec, 'minimize', new Map([[1, 2], [2, 1.5]]), losses, 0).prune).toBe(true);
    expect(pruneDecision(spec, 'minimize', new Map([[1, 2], [2, 0.3]]), losses, 0).prune).toBe(false);
    expect(pruneDecision(spec, 'minimize', new Map([[1, 2], [2, 1.5]]), losses, 2).prune).toBe(false);
  });
});

describe('ASHA', () => {
  const spec: PrunerSpec = { type: 'asha', minEpochs: 1, eta: 3, maxEpochs: 27 };

  test('rungs at min·η^k below max', () => {
    expect(ashaRungs(spec)).toEqual([1, 3, 9]);
  });

  test('promotes the top 1/η at a rung and prunes the rest; the first arrivals continue only if best', () => {
    // Nine trials reach rung 1 one after another with values 0.1 … 0.9 (maximize); each is judged against
    // those before it, as the asynchronous algorithm does.
    const values = [0.5, 0.9, 0.1, 0.7, 0.3, 0.8, 0.2, 0.6, 0.4];
    const seen: Curve[] = [];
    const pruned: number[] = [];
    values.forEach((v, i) => {
      const curve = new Map([[1, v]]);
      if (pruneDecision(spec, 'maximize', curve, seen, 0).prune) pruned.push(i);
      seen.push(curve);
    });
    // 0.5 (alone: best) continues; 0.9 best; 0.1 of 3 → top 1 is 0.9: pruned; 0.7 of 4 → top 1 (0.9): pruned;
    // 0.3 pruned; 0.8 of 6 → top 2 (0.9, 0.8): continues; 0.2 pruned; 0.6 of 8 → top 2: pruned; 0.4 pruned.
    expect(pruned.map((i) => values[i])).toEqual([0.1, 0.7, 0.3, 0.2, 0.6, 0.4]);
  });

  test('a trial that passed a rung is not pruned there later, but is judged at the next rung', () => {
    const others = [new Map([[1, 0.9], [2, 0.9], [3, 0.95]]), new Map([[1, 0.2], [2, 0.3], [3, 0.4]]), new Map([[1, 0.3], [2, 0.4], [3, 0.5]])];
    const trial = new Map([[1, 0.95], [2, 0.5], [3, 0.6]]);
    expect(pruneDecision(spec, 'maximize', new Map([[1, 0.95]]), others, 0).prune).toBe(false);
    // Judged from epoch 1 on: rung 1 passed (0.95 is the best), rung 3: 0.6 is not the best of 4.
    expect(pruneDecision(spec, 'maximize', trial, others, 1)).toMatchObject({ prune: true, reason: expect.stringMatching(/rung at epoch 3/) });
    expect(pruneDecision({ type: 'none' }, 'maximize', trial, others, 0).prune).toBe(false);
  });
});
