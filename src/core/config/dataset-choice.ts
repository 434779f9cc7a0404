import { editDistance, type ConfigIssue, type ConfigLayer } from './resolve.js';

/**
 * `data.dataset` names a prepared dataset of the data folder, so whether a value is valid depends on
 * the folder, not on the schema: this check runs where the folder is known (the editor's validation),
 * after the schema has accepted the value as a name.
 */

/** The closest prepared dataset to a mistyped name, when one is close enough to be what was meant. */
export function suggestDataset(name: string, prepared: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of prepared) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * The issue for a layer whose `data.dataset` is not one of `prepared`, with its line and a "did you
 * mean"; null when the layer does not set it or it exists.
 */
export function datasetIssue(layer: ConfigLayer, prepared: readonly string[]): ConfigIssue | null {
  const value = layer.values['data.dataset'];
  if (typeof value !== 'string' || prepared.includes(value)) return null;
  const origin = layer.origins['data.dataset'];
  const suggestion = suggestDataset(value, prepared);
  const choices = prepared.length ? `prepared: ${prepared.join(', ')}` : 'no dataset is prepared yet: run `expman preprocess` or use Datasets → Preprocess';
  const message = `data.dataset: no prepared dataset "${value}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; ${choices}`;
  return {
    message,
    key: 'data.dataset',
    expected: 'one of the prepared datasets',
    ...(origin?.line !== undefined && { line: origin.line }),
    ...(origin?.column !== undefined && { column: origin.column }),
    ...(origin?.text !== undefined && { source: `command line --set ${origin.text}` }),
  };
}
