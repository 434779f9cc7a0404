import type { EventPayloads } from '../../../shared/api';
import type { ExperimentSummary, RunSummary } from '../../../shared/runs';

/** A data-folder push that changes the experiments list (see `EventPayloads`). */
export type ExperimentsPush =
  | { channel: 'runs:changed'; payload: EventPayloads['runs:changed'] }
  | { channel: 'runs:removed'; payload: EventPayloads['runs:removed'] }
  | { channel: 'experiments:changed'; payload: EventPayloads['experiments:changed'] }
  | { channel: 'experiments:removed'; payload: EventPayloads['experiments:removed'] };

/** The experiment the CLI trains into: always offered, as `experiments:list` does. */
const DEFAULT_EXPERIMENT = 'default';

const byStarted = (a: RunSummary, b: RunSummary): number => a.started.localeCompare(b.started);
const byName = (a: ExperimentSummary, b: ExperimentSummary): number =>
  a.name === DEFAULT_EXPERIMENT ? -1 : b.name === DEFAULT_EXPERIMENT ? 1 : a.name.localeCompare(b.name);

/**
 * Whether `incoming` is at least as new as `current`: a push computed before a list was read must not
 * undo it (a "running, epoch 4" push applied after the list said "finished").
 */
function notOlder(incoming: RunSummary, current: RunSummary): boolean {
  if (incoming.updated === undefined || current.updated === undefined) return true;
  return incoming.updated >= current.updated;
}

/**
 * Folds a pushed change into the experiments list, as `experiments:list` would return it after the change,
 * without asking for it again. Unchanged experiments keep their identity (React skips them); the list is
 * only re-sorted when membership changes.
 */
export function foldExperiments(list: readonly ExperimentSummary[], push: ExperimentsPush): ExperimentSummary[] {
  switch (push.channel) {
    case 'experiments:changed': {
      const next = [...list];
      for (const { name, hasConfig } of push.payload.experiments) {
        const i = next.findIndex((e) => e.name === name);
        if (i < 0) next.push({ name, hasConfig, runs: [] });
        else if (next[i]!.hasConfig !== hasConfig) next[i] = { ...next[i]!, hasConfig };
      }
      return next.length === list.length ? next : next.sort(byName);
    }
    case 'experiments:removed': {
      const gone = new Set(push.payload.experiments);
      return list.flatMap((e) => (!gone.has(e.name) ? [e] : e.name === DEFAULT_EXPERIMENT ? [{ name: e.name, hasConfig: false, runs: [] }] : []));
    }
    case 'runs:changed': {
      let next = [...list];
      for (const run of push.payload.runs) {
        let i = next.findIndex((e) => e.name === run.experiment);
        if (i < 0) {
          next = [...next, { name: run.experiment, hasConfig: false, runs: [] }].sort(byName);
          i = next.findIndex((e) => e.name === run.experiment);
        }
        const exp = next[i]!;
        const j = exp.runs.findIndex((r) => r.model === run.model);
        if (j >= 0 && !notOlder(run, exp.runs[j]!)) continue;
        const runs = j < 0 ? [...exp.runs, run].sort(byStarted) : exp.runs.map((r, k) => (k === j ? run : r));
        next[i] = { ...exp, runs };
      }
      return next;
    }
    case 'runs:removed': {
      const gone = new Set(push.payload.runs.map((r) => `${r.experiment}/${r.model}`));
      return list.map((e) => (e.runs.some((r) => gone.has(`${e.name}/${r.model}`)) ? { ...e, runs: e.runs.filter((r) => !gone.has(`${e.name}/${r.model}`)) } : e));
    }
  }
}
