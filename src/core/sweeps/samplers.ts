import { createRng } from '../random.js';
import { gridPoint, samplePrior, type Parameter, type Params } from './space.js';
import { tpePropose, type Observation, type TpeOptions } from './tpe.js';

export type SweepMethod = 'grid' | 'random' | 'tpe';
export const SWEEP_METHODS: readonly SweepMethod[] = ['grid', 'random', 'tpe'];

/**
 * The parameters of point `index` of a sweep (a point is one configuration; with repeats it trains once
 * per seed). Every point draws from its own random stream (seed, index), so the same seed proposes the
 * same points whatever the timing of the trials, and a resumed sweep continues where it stopped; TPE's
 * proposal also depends on the history it is given — the points finished when it was proposed, which the
 * trials table keeps. Null when the grid is exhausted.
 */
export function proposePoint(
  method: SweepMethod,
  parameters: readonly Parameter[],
  index: number,
  seed: number,
  history: readonly Observation[],
  tpe?: Partial<TpeOptions>,
): Params | null {
  switch (method) {
    case 'grid':
      return gridPoint(parameters, index);
    case 'random': {
      const rng = createRng(seed, index);
      const point: Params = {};
      for (const p of parameters) point[p.key] = samplePrior(p.dist, rng);
      return point;
    }
    case 'tpe':
      return tpePropose(parameters, history, createRng(seed, index), { startup: 10, candidates: 24, priorWeight: 1, ...tpe });
  }
}
