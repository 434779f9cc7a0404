import { describe, expect, it } from 'vitest';
import { evaluatePredictions, evaluateRegression } from '../../../src/core/evaluation/metrics.js';

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

describe('evaluateRegression', () => {
  it('gives MAE, RMSE and R² as scikit-learn does', () => {
    // sklearn.metrics: mean_absolute_error 0.5, root of mean_squared_error 0.375, r2_score 0.9486081370449679
    const e = evaluateRegression([3, -0.5, 2, 7], [2.5, 0, 2, 8]);
    expect(e.mae).toBeCloseTo(0.5, 12);
    expect(e.rmse).toBeCloseTo(Math.sqrt(0.375), 12);
    expect(e.r2).toBeCloseTo(0.9486081370449679, 12);
    expect(e.rows).toBe(4);
    // A constant target: 1 when predicted exactly, else 0 (sklearn's convention), never NaN.
    expect(evaluateRegression([2, 2], [2, 2]).r2).toBe(1);
    expect(evaluateRegression([2, 2], [1, 3]).r2).toBe(0);
  });
});
