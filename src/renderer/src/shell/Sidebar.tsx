import { useEffect, useMemo, useState, type JSX } from 'react';
import { headlineScore } from '../../../shared/run-events';
import type { JobInfo, RunSummary } from '../../../shared/runs';
import { isValidName, NAME_RULE } from '../../../shared/names';
import { navigate, routeHref, type Route } from '../state/route';
import { useWorkspace } from '../state/workspace';
import { distinguishingLabels, newestFirst } from './run-labels';
import { StatusBadge } from './StatusBadge';

const COLLAPSED_KEY = 'expman.sidebar.collapsed';
/**
 * Runs listed per experiment, newest first: a sweep of 10,000 runs would otherwise put 10,000 links in
 * the sidebar on every paint. The rest are a link away, in the experiment's runs table.
 */
export const SIDEBAR_RUNS = 50;

/** Experiments the user folded, remembered across reloads. */
function useCollapsed(): [ReadonlySet<string>, (name: string) => void] {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => {
    try {
      const stored = JSON.parse(localStorage.getItem(COLLAPSED_KEY) ?? '[]') as unknown;
      return new Set(Array.isArray(stored) ? stored.filter((name): name is string => typeof name === 'string') : []);
    } catch {
      return new Set();
    }
  });
  useEffect(() => {
    try {
      localStorage.setItem(COLLAPSED_KEY, JSON.stringify([...collapsed]));
    } catch {
      // storage disabled: folding still works for this page
    }
  }, [collapsed]);
  const toggle = (name: string): void =>
    setCollapsed((current) => {
      const next = new Set(current);
      if (!next.delete(name)) next.add(name);
      return next;
    });
  return [collapsed, toggle];
}

interface RunRow {
  model: string;
  status: RunSummary['status'] | JobInfo['state'];
  epoch?: number;
  epochs?: number;
  /** best validation score as shown (accuracy, or "R² …" for regression) */
  score?: string;
  started?: string;
  /** Where it executes when not here ("slurm:cluster"; the badge shows the target, the filter finds both), and in words. */
  where?: string;
  target?: string;
  whereTitle?: string;
}

/** "slurm:cluster" and "Slurm job 12 PENDING (Priority) …" for a run recorded on a target. */
function whereOf(executor: RunSummary['executor']): Pick<RunRow, 'where' | 'target' | 'whereTitle'> {
  if (!executor) return {};
  const job = executor.job_id ? `${executor.executor === 'slurm' ? 'Slurm job' : 'pid'} ${executor.job_id}` : '';
  const state = executor.state ? ` ${executor.state}${executor.reason && executor.reason !== 'None' ? ` (${executor.reason})` : ''}` : '';
  const on = executor.executor === 'ssh' ? executor.host : executor.node;
  return { where: `${executor.executor}:${executor.target}`, target: executor.target, whereTitle: `${executor.executor}:${executor.target} — ${job}${state}${on ? ` on ${on}` : ''}`.trim() };
}

/** Experiments and their runs (with queued jobs that have no folder yet), live badges, and a filter. */
export function Sidebar({ route }: { route: Route }): JSX.Element {
  const { experiments, experimentsError, jobs } = useWorkspace();
  const [filter, setFilter] = useState('');
  const [newName, setNewName] = useState<string | null>(null);
  const [collapsed, toggleCollapsed] = useCollapsed();
  const nameOk = newName !== null && isValidName(newName);
  const createExperiment = (): void => {
    if (!nameOk) return;
    navigate({ view: 'experiment', experiment: newName });
    setNewName(null);
  };

  const tree = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return (experiments ?? [])
      .map((exp) => {
        const rows: RunRow[] = exp.runs.map((run) => ({
          model: run.model,
          status: run.status,
          epoch: run.epoch,
          epochs: run.epochs,
          score: headlineScore(run.best)?.text,
          started: run.started,
          ...whereOf(run.executor),
        }));
        for (const job of jobs.jobs) {
          if (job.run.experiment !== exp.name) continue;
          const row = rows.find((r) => r.model === job.run.model);
          // A job's own word on where it stands (PENDING and why) is newer than the folder's.
          const where =
            job.executor && job.executor !== 'local'
              ? { where: `${job.executor}:${job.target ?? ''}`, target: job.target ?? job.executor, ...(job.where ? { whereTitle: `${job.executor}:${job.target ?? ''} — ${job.where}` } : {}) }
              : {};
          if (!row) {
            if (job.state === 'queued' || job.state === 'running') rows.push({ model: job.run.model, status: job.state, epoch: job.epoch, epochs: job.epochs, ...where });
          } else if (job.state === 'queued' || job.state === 'running') {
            row.status = job.state;
            Object.assign(row, where);
          }
        }
        const match = (text: string): boolean => text.toLowerCase().includes(needle);
        const visible = needle === '' || match(exp.name) ? rows : rows.filter((r) => match(r.model) || match(r.status) || match(r.where ?? ''));
        const listed = newestFirst(visible);
        return {
          name: exp.name,
          rows: listed,
          // labels of what is listed: told apart among the runs on screen, not among 10,000
          labels: distinguishingLabels(listed.slice(0, SIDEBAR_RUNS).map((r) => r.model)),
          searching: needle !== '',
          show: needle === '' || match(exp.name) || visible.length > 0,
        };
      })
      .filter((exp) => exp.show);
  }, [experiments, jobs, filter]);

  const current = (r: Route): 'page' | undefined => (routeHref(r) === routeHref(route) ? 'page' : undefined);

  return (
    <nav className="sidebar" aria-label="Experiments">
      <div className="sidebar-search">
        <input type="search" placeholder="Filter runs…" aria-label="Filter experiments and runs" value={filter} onChange={(e) => setFilter(e.target.value)} />
      </div>
      <div className="sidebar-section">
        <div className="sidebar-heading">Data</div>
        <a className="item" href={routeHref({ view: 'datasets' })} aria-current={route.view === 'datasets' ? 'page' : undefined}>
          <span className="name">Datasets</span>
        </a>
      </div>
      <div className="sidebar-section" data-testid="experiments-list">
        <div className="sidebar-heading">
          <span>Experiments</span>
          <span className="spacer" />
          <button type="button" className="btn small" title="New experiment" aria-label="New experiment" onClick={() => setNewName('')}>
            +
          </button>
        </div>
        {newName !== null && (
          <form
            className="new-experiment"
            onSubmit={(e) => {
              e.preventDefault();
              createExperiment();
            }}
          >
            <input
              type="text"
              autoFocus
              placeholder="experiment name"
              aria-label="New experiment name"
              aria-invalid={newName !== '' && !nameOk}
              title={`An experiment name uses ${NAME_RULE}`}
              value={newName}
              onChange={(e) => setNewName(e.target.value)}
              onKeyDown={(e) => e.key === 'Escape' && setNewName(null)}
            />
            <button type="submit" className="btn small" disabled={!nameOk}>
              Create
            </button>
          </form>
        )}
        {experimentsError && <div className="error-box">{experimentsError.message}</div>}
        {!experiments && !experimentsError && <div className="empty">Loading…</div>}
        {tree.map((exp) => {
          // A filter shows its matches even inside a folded experiment.
          const open = exp.searching || !collapsed.has(exp.name);
          return (
            <div key={exp.name} data-experiment={exp.name}>
              <button
                type="button"
                className="fold"
                aria-expanded={open}
                aria-label={`${open ? 'Fold' : 'Unfold'} ${exp.name}`}
                onClick={() => toggleCollapsed(exp.name)}
              >
                {open ? '▾' : '▸'}
              </button>
              <a className="item experiment" href={routeHref({ view: 'experiment', experiment: exp.name })} aria-current={current({ view: 'experiment', experiment: exp.name })}>
                <span className="name">{exp.name}</span>
                <span className="metric">{exp.rows.length}</span>
              </a>
              {open && exp.rows.slice(0, SIDEBAR_RUNS).map((run) => (
                <a
                  key={run.model}
                  className="item run"
                  data-run={`${exp.name}/${run.model}`}
                  href={routeHref({ view: 'run', experiment: exp.name, model: run.model })}
                  aria-current={route.view === 'run' && route.experiment === exp.name && route.model === run.model ? 'page' : undefined}
                  title={run.model}
                >
                  <span className="name">{exp.labels.get(run.model) ?? run.model}</span>
                  {run.score !== undefined && <span className="metric" title="best validation score (accuracy, or R² for regression)">{run.score}</span>}
                  {run.where && (
                    <span className="where" title={run.whereTitle ?? run.where}>
                      {run.target ?? run.where}
                    </span>
                  )}
                  <StatusBadge status={run.status} epoch={run.epoch} epochs={run.epochs} />
                </a>
              ))}
              {open && exp.rows.length > SIDEBAR_RUNS && (
                <a className="item run more" href={routeHref({ view: 'experiment', experiment: exp.name })} data-testid="sidebar-more-runs">
                  <span className="name muted">{(exp.rows.length - SIDEBAR_RUNS).toLocaleString('en-US')} more in the runs table</span>
                </a>
              )}
            </div>
          );
        })}
      </div>
    </nav>
  );
}
