import { describe, expect, it } from 'vitest';
import { evaluatePredictions } from '../../../src/core/evaluation/metrics.js';

describe('evaluatePredictions', () => {
  it('computes accuracy, per-class precision/recall/F1, averages and the confusion matrix', () => {
    // actual:    a a a b b c
    // predicted: a a b b c c
    const e = evaluatePredictions([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], ['a', 'b', 'c']);
    expect(e.accuracy).toBeCloseTo(4 / 6);
    expect(e.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(e.perClass[0]).toEqual({ class: 'a', precision: 1, recall: 2 / 3, f1: 0.8, support: 3 });
    expect(e.perClass[1]!.precision).toBe(0.5);
    expect(e.perClass[1]!.recall).toBe(0.5);
    expect(e.perClass[2]!.precision).toBe(0.5);
    expect(e.perClass[2]!.recall).toBe(1);
    expect(e.macro.recall).toBeCloseTo((2 / 3 + 0.5 + 1) / 3);
    expect(e.weighted.recall).toBeCloseTo(e.accuracy);
  });

  it('gives 0, not NaN, for a class never predicted', () => {
    const e = evaluatePredictions([0, 1], [0, 0], ['a', 'b']);
    expect(e.perClass[1]).toEqual({ class: 'b', precision: 0, recall: 0, f1: 0, support: 1 });
  });
});
