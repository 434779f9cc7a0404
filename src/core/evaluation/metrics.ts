/** Classification and regression metrics from actual and predicted values (pure arithmetic, no tfjs). */
export interface ClassReport {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Evaluation {
  accuracy: number;
  rows: number;
  perClass: ClassReport[];
  macro: Omit<ClassReport, 'class' | 'support'>;
  weighted: Omit<ClassReport, 'class' | 'support'>;
  /** confusion[actual][predicted] */
  confusion: number[][];
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

export function evaluatePredictions(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes: string[]): Evaluation {
  const k = classes.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < actual.length; i++) {
    confusion[actual[i]!]![predicted[i]!]!++;
    if (actual[i] === predicted[i]) correct++;
  }
  const perClass = classes.map((name, c) => {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((s, v) => s + v, 0);
    const predictedAs = confusion.reduce((s, row) => s + row[c]!, 0);
    const precision = ratio(tp, predictedAs);
    const recall = ratio(tp, support);
    return { class: name, precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
  const total = actual.length;
  const avg = (weight: (r: ClassReport) => number, denominator: number) => ({
    precision: ratio(perClass.reduce((s, r) => s + r.precision * weight(r), 0), denominator),
    recall: ratio(perClass.reduce((s, r) => s + r.recall * weight(r), 0), denominator),
    f1: ratio(perClass.reduce((s, r) => s + r.f1 * weight(r), 0), denominator),
  });
  return {
    accuracy: ratio(correct, total),
    rows: total,
    perClass,
    macro: avg(() => 1, k),
    weighted: avg((r) => r.support, total),
    confusion,
  };
}

export interface RegressionEvaluation {
  mae: number;
  rmse: number;
  /** Coefficient of determination, 1 - SS_res / SS_tot (as scikit-learn's r2_score; 0 when the target is constant and fitted exactly). */
  r2: number;
  rows: number;
}

export function evaluateRegression(actual: ArrayLike<number>, predicted: ArrayLike<number>): RegressionEvaluation {
  const n = actual.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += actual[i]! / n;
  let abs = 0;
  let sq = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = actual[i]! - predicted[i]!;
    abs += Math.abs(e);
    sq += e * e;
    total += (actual[i]! - mean) ** 2;
  }
  return { mae: ratio(abs, n), rmse: Math.sqrt(ratio(sq, n)), r2: total === 0 ? (sq === 0 ? 1 : 0) : 1 - sq / total, rows: n };
}
