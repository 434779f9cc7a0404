import { createContext, useContext, useEffect, useMemo, useRef, useState, type JSX, type ReactNode } from 'react';
import type { AppInfo, JobsState, WorkspaceFocus } from '../../../shared/api';
import type { ExperimentSummary } from '../../../shared/runs';
import { useApi } from '../api/context';
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
 * It follows the backend's pushed events: job changes and run ends reload the run list at once; epoch
 * progress refreshes badges and best metrics at most once a second.
 */
export function WorkspaceProvider({ children }: { children: ReactNode }): JSX.Element {
  const api = useApi();
  const info = useAsync(() => api.appInfo({}), [api]);
  const [focus, setFocus] = useState<WorkspaceFocus>();
  const experiments = useAsync(() => api.experimentsList({}), [api, focus?.dataDir]);
  const [jobs, setJobs] = useState<JobsState>({ jobs: [], concurrency: 1 });
  const reload = experiments.reload;
  const pending = useRef<ReturnType<typeof setTimeout>>(undefined);

  useEffect(() => {
    const soon = (ms: number): void => {
      if (pending.current !== undefined) return;
      pending.current = setTimeout(() => {
        pending.current = undefined;
        reload();
      }, ms);
    };
    void api.jobsList({}).then(setJobs);
    const unsubscribe = [
      api.onJobsChanged((state) => {
        setJobs(state);
        soon(100);
      }),
      api.onRunsExited(() => soon(100)),
      api.onRunsEvent((batch) => {
        if (batch.events.some((e) => e.event === 'epoch_end' || e.event === 'run_started')) soon(1000);
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
      clearTimeout(pending.current);
    };
  }, [api, reload]);

  const value = useMemo<WorkspaceState>(
    () => ({ info: info.data, focus, experiments: experiments.data, experimentsError: experiments.error, jobs, reloadExperiments: reload }),
    [info.data, focus, experiments.data, experiments.error, jobs, reload],
  );
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>;
}

export function useWorkspace(): WorkspaceState {
  const state = useContext(WorkspaceContext);
  if (!state) throw new Error('useWorkspace outside WorkspaceProvider');
  return state;
}
