import type { JSX } from 'react';
import type { TestResultsDto } from '../../../shared/runs';

const METRIC_LABELS: Record<string, string> = {
  accuracy: 'Accuracy',
  macro_precision: 'Macro precision',
  macro_recall: 'Macro recall',
  macro_f1: 'Macro F1',
  weighted_precision: 'Weighted precision',
  weighted_recall: 'Weighted recall',
  weighted_f1: 'Weighted F1',
  test_rows: 'Test rows',
  best_epoch: 'Best epoch',
};

/** Test results of a run: summary metrics, per-class table, and the confusion matrix as a heat map. */
export function RunResults({ results }: { results: TestResultsDto }): JSX.Element {
  const max = Math.max(1, ...results.confusion.flat());
  return (
    <div className="results-grid" data-testid="run-results">
      <div className="panel">
        <h2>Test metrics</h2>
        <table className="data">
          <tbody>
            {Object.entries(results.metrics).map(([name, value]) => (
              <tr key={name}>
                <th>{METRIC_LABELS[name] ?? name}</th>
                <td className="num">{Number.isInteger(value) ? value : value.toFixed(4)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="panel">
        <h2>Per class</h2>
        <table className="data">
          <thead>
            <tr>
              <th>Class</th>
              <th className="num">Precision</th>
              <th className="num">Recall</th>
              <th className="num">F1</th>
              <th className="num">Support</th>
            </tr>
          </thead>
          <tbody>
            {results.perClass.map((row) => (
              <tr key={row.class}>
                <td>{row.class}</td>
                <td className="num">{row.precision.toFixed(4)}</td>
                <td className="num">{row.recall.toFixed(4)}</td>
                <td className="num">{row.f1.toFixed(4)}</td>
                <td className="num">{row.support}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="panel">
        <h2>Confusion matrix</h2>
        <table className="confusion" aria-label="Confusion matrix (rows: actual, columns: predicted)">
          <thead>
            <tr>
              <th className="muted">actual ↓ · predicted →</th>
              {results.classes.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {results.confusion.map((row, i) => (
              <tr key={results.classes[i]}>
                <th>{results.classes[i]}</th>
                {row.map((count, j) => (
                  <td
                    key={j}
                    className={i === j ? 'diag' : count > 0 ? 'off' : ''}
                    style={{ '--heat': String(count / max) } as React.CSSProperties}
                  >
                    {count}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
