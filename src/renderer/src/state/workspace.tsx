import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type JSX, type ReactNode } from 'react';
import type { AppInfo, JobsState, WorkspaceFocus } from '../../../shared/api';
import type { ExperimentSummary } from '../../../shared/runs';
import { useApi } from '../api/context';
import { foldExperiments, type ExperimentsPush } from './experiments-fold';
import { parseRoute, routeHref, type Route } from './route';
import { useAsync } from './use-async';

export interface WorkspaceState {
  info: AppInfo | undefined;
  focus: WorkspaceFocus | undefined;
  experiments: ExperimentSummary[] | undefined;
  experimentsError: Error | undefined;
  jobs: JobsState;
  reloadExperiments: () => void;
}

/** The page that shows a focus: its run, its experiment, or Home for a data folder. */
function focusRoute(focus: WorkspaceFocus): Route {
  if (focus.experiment && focus.model) return { view: 'run', experiment: focus.experiment, model: focus.model };
  if (focus.experiment) return { view: 'experiment', experiment: focus.experiment };
  return { view: 'home' };
}

const WorkspaceContext = createContext<WorkspaceState | undefined>(undefined);

/**
 * What every view shares: the app info, the open folder, experiments with their runs, and the job queue.
 * The experiments list is pulled once per data folder; after that the data-folder watcher's pushes
 * (`runs:changed`, `runs:removed`, `experiments:changed`, `experiments:removed`) are folded into it, so runs
 * written by any process (this app, the CLI, another window, another host) appear and update without a
 * reload and without rescanning the folder on every epoch.
 */
export function WorkspaceProvider({ children }: { children: ReactNode }): JSX.Element {
  const api = useApi();
  const info = useAsync(() => api.appInfo({}), [api]);
  const [focus, setFocus] = useState<WorkspaceFocus>();
  const [experiments, setExperiments] = useState<ExperimentSummary[]>();
  const [experimentsError, setExperimentsError] = useState<Error>();
  const [jobs, setJobs] = useState<JobsState>({ jobs: [], concurrency: 1 });
  const generation = useRef(0);
  /** Set while a pull is in flight: pushes wait here to be folded into its answer. */
  const pendingPushes = useRef<ExperimentsPush[]>(undefined);

  /** Pulls the list; pushes that arrive meanwhile are folded in after it (newer summaries win). */
  const reload = useCallback(() => {
    const mine = ++generation.current;
    const early: ExperimentsPush[] = [];
    pendingPushes.current = early;
    api.experimentsList({}).then(
      (list) => {
        if (mine !== generation.current) return;
        pendingPushes.current = undefined;
        setExperiments(early.reduce(foldExperiments, list));
        setExperimentsError(undefined);
      },
      (e: unknown) => {
        if (mine !== generation.current) return;
        pendingPushes.current = undefined;
        setExperimentsError(e instanceof Error ? e : new Error(String(e)));
      },
    );
  }, [api]);

  useEffect(() => {
    reload();
  }, [reload, focus?.dataDir]);

  useEffect(() => {
    const fold = (push: ExperimentsPush): void => {
      if (pendingPushes.current) pendingPushes.current.push(push);
      else setExperiments((list) => (list ? foldExperiments(list, push) : list));
    };
    void api.jobsList({}).then(setJobs);
    const unsubscribe = [
      api.onJobsChanged(setJobs),
      api.onRunsChanged((payload) => fold({ channel: 'runs:changed', payload })),
      api.onRunsRemoved((payload) => fold({ channel: 'runs:removed', payload })),
      api.onExperimentsChanged((payload) => fold({ channel: 'experiments:changed', payload })),
      api.onExperimentsRemoved((payload) => fold({ channel: 'experiments:removed', payload })),
      // Back after a dropped connection: what changed meanwhile was pushed to nobody, so read it again.
      api.onConnectionRestored(() => {
        reload();
        void api.jobsList({}).then(setJobs);
      }),
      api.onWorkspaceChanged((next) => {
        setFocus(next);
        location.hash = routeHref(focusRoute(next));
      }),
    ];
    // Asked after subscribing: the desktop app holds pushes to this window until this call (its "ready").
    // The folder given at launch (`expman ui FOLDER`, the desktop app's argv) was chosen before this page
    // existed, so it is opened from the answer — unless the page was opened at a place of its own (a
    // reload or a bookmarked link keeps it).
    void api.workspaceFocus({}).then((initial) => {
      setFocus(initial);
      if (parseRoute(location.hash).view === 'home') location.hash = routeHref(focusRoute(initial));
    });
    return () => {
      for (const off of unsubscribe) off();
    };
  }, [api, reload]);

  const value = useMemo<WorkspaceState>(
    () => ({ info: info.data, focus, experiments, experimentsError, jobs, reloadExperiments: reload }),
    [info.data, focus, experiments, experimentsError, jobs, reload],
  );
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>;
}

export function useWorkspace(): WorkspaceState {
  const state = useContext(WorkspaceContext);
  if (!state) throw new Error('useWorkspace outside WorkspaceProvider');
  return state;
}
