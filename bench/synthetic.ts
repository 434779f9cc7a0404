/** Synthetic classification data for the training benchmarks (mlp-backends, train-speed). */
import { writeFileSync } from 'node:fs';
import { createRng } from '../src/core/random.js';

/** A learnable synthetic task: label = argmax of a fixed random projection of Gaussian features. */
export function writeSyntheticCsv(file: string, m: { inputs: number; classes: number }, rows: number): void {
  const rng = createRng(7);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const w = Array.from({ length: m.inputs * m.classes }, gauss);
  const lines = [[...Array.from({ length: m.inputs }, (_, i) => `f${i}`), 'label'].join(',')];
  const x = new Array<number>(m.inputs);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < m.inputs; i++) x[i] = gauss();
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < m.classes; c++) {
      let s = 0;
      for (let i = 0; i < m.inputs; i++) s += x[i]! * w[i * m.classes + c]!;
      if (s > bestScore) [best, bestScore] = [c, s];
    }
    lines.push(`${x.map((v) => v.toFixed(3)).join(',')},c${best}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}
