/**
 * Early termination of sweep trials from the metrics they write (metrics.jsonl `epoch_end` lines). Pure
 * decisions over learning curves: the controller calls `pruneDecision` whenever a running trial has
 * reported a new epoch.
 */
export type Goal = 'minimize' | 'maximize';

export type PrunerSpec =
  | { type: 'none' }
  /**
   * Median stopping rule (Golovin et al., Google Vizier 2017): after `warmup` epochs, stop a trial whose
   * best value so far is worse than the median of the other trials' best values at the same epoch, once
   * at least `minTrials` others have reached it.
   */
  | { type: 'median'; warmup: number; minTrials: number }
  /**
   * ASHA, asynchronous successive halving (Li et al., MLSys 2020): rungs at epochs min·η^k; a trial
   * reaching a rung continues only if its value there is in the top 1/η of all values recorded at that
   * rung so far (the first trials at a rung, fewer than η, continue only if they are the best there).
   */
  | { type: 'asha'; minEpochs: number; eta: number; maxEpochs: number };

/** A trial's learning curve: metric value per epoch. */
export type Curve = ReadonlyMap<number, number>;

export interface PruneDecision {
  prune: boolean;
  /** Why, in words (kept in the trials table and the run's log). */
  reason?: string;
}

const better = (goal: Goal) => (a: number, b: number): boolean => (goal === 'minimize' ? a < b : a > b);

/** The best value of a curve up to and including `epoch`, or undefined when it has none yet. */
export function bestUpTo(curve: Curve, epoch: number, goal: Goal): number | undefined {
  let best: number | undefined;
  for (const [e, v] of curve) if (e <= epoch && Number.isFinite(v) && (best === undefined || better(goal)(v, best))) best = v;
  return best;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Epochs at which ASHA decides: min, min·η, min·η², … up to (not including) maxEpochs. */
export function ashaRungs(spec: Extract<PrunerSpec, { type: 'asha' }>): number[] {
  const rungs: number[] = [];
  for (let r = spec.minEpochs; r < spec.maxEpochs; r *= spec.eta) rungs.push(Math.round(r));
  return rungs;
}

/**
 * Whether to stop `trial`, judged on the epochs in (checkedUpTo, latest]: each is judged once, so a trial
 * that passed a rung is not pruned there later when more trials arrive. `others`: the curves of every
 * other trial of the sweep, running or ended.
 */
export function pruneDecision(spec: PrunerSpec, goal: Goal, trial: Curve, others: readonly Curve[], checkedUpTo: number): PruneDecision {
  const latest = Math.max(0, ...trial.keys());
  if (latest <= checkedUpTo) return { prune: false };
  switch (spec.type) {
    case 'none':
      return { prune: false };
    case 'median': {
      if (latest <= spec.warmup) return { prune: false };
      const mine = bestUpTo(trial, latest, goal);
      if (mine === undefined) return { prune: false };
      // Other trials that have reached this epoch.
      const peers = others.filter((c) => Math.max(0, ...c.keys()) >= latest).map((c) => bestUpTo(c, latest, goal)).filter((v): v is number => v !== undefined);
      if (peers.length < spec.minTrials) return { prune: false };
      const m = median(peers);
      return better(goal)(m, mine) ? { prune: true, reason: `median stopping at epoch ${latest}: best ${fmt(mine)} is worse than the median ${fmt(m)} of ${peers.length} trials` } : { prune: false };
    }
    case 'asha': {
      for (const rung of ashaRungs(spec)) {
        if (rung <= checkedUpTo || rung > latest) continue;
        const value = trial.get(rung);
        if (value === undefined || !Number.isFinite(value)) continue;
        const competing = [value, ...others.map((c) => c.get(rung)).filter((v): v is number => v !== undefined && Number.isFinite(v))];
        const sorted = [...competing].sort((a, b) => (goal === 'minimize' ? a - b : b - a));
        // Top 1/η continue; with fewer than η values at the rung only the best does (as Optuna does).
        const k = Math.max(1, Math.floor(competing.length / spec.eta));
        const threshold = sorted[k - 1]!;
        const promoted = goal === 'minimize' ? value <= threshold : value >= threshold;
        if (!promoted) return { prune: true, reason: `ASHA rung at epoch ${rung}: ${fmt(value)} is not in the top ${k} of ${competing.length} (η=${spec.eta})` };
      }
      return { prune: false };
    }
  }
}

function fmt(v: number): string {
  return Number(v.toPrecision(4)).toString();
}
