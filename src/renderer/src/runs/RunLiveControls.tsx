import { useEffect, useRef, useState, type JSX } from 'react';
import type { RunError, RunRef, RunSummary } from '../../../shared/runs';
import { useApi } from '../api/context';

/** How long a stop may be pending (SIGTERM sent, the run still finishing its batch) before "Kill now" is offered. */
export const KILL_OFFER_MS = 3000;

/**
 * Stop for a run live on this host, whoever started it (this app, the CLI, a server before this one):
 * `runs:stop-run` sends SIGTERM and resolves once the process has ended. While that is pending for a
 * while (a worker deep in a batch, or ignoring SIGTERM) the user can kill it at once (`force`).
 */
export function StopRunButton({ run, small = false, killOfferMs = KILL_OFFER_MS }: { run: RunRef; small?: boolean; killOfferMs?: number }): JSX.Element {
  const api = useApi();
  const [stopping, setStopping] = useState(false);
  const [offerKill, setOfferKill] = useState(false);
  const [error, setError] = useState<string>();
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);
  useEffect(() => {
    if (!stopping) return;
    const timer = setTimeout(() => setOfferKill(true), killOfferMs);
    return () => clearTimeout(timer);
  }, [stopping, killOfferMs]);

  const stop = (force: boolean): void => {
    setStopping(true);
    setError(undefined);
    api
      .runsStopRun({ experiment: run.experiment, model: run.model, ...(force ? { force } : {}) })
      .catch((e: unknown) => alive.current && setError(e instanceof Error ? e.message : String(e)))
      .finally(() => {
        if (!alive.current) return;
        setStopping(false);
        setOfferKill(false);
      });
  };
  const cls = `btn danger${small ? ' small' : ''}`;
  return (
    <span className="stop-run">
      <button type="button" className={cls} disabled={stopping} onClick={() => stop(false)} title="Stop after the current batch (SIGTERM)">
        {stopping ? 'Stopping…' : 'Stop'}
      </button>
      {offerKill && (
        <button type="button" className={cls} onClick={() => stop(true)} title="The run has not stopped yet: kill it now (SIGKILL)">
          Kill now
        </button>
      )}
      {error && (
        <span className="error-inline" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

/** What can be done about a live run: Stop when it runs on this host, else where it runs. Nothing when not live. */
export function RunLiveness({ run, small = false }: { run: RunSummary; small?: boolean }): JSX.Element | null {
  if (run.live === 'here') return <StopRunButton run={run} small={small} />;
  if (run.live === 'elsewhere')
    return (
      <span className="muted" data-testid="run-elsewhere" title="Its process runs on another host: it cannot be stopped from here">
        running on {run.host ?? 'another host'}
      </span>
    );
  return null;
}

/** A failed run's error as one line, with its last stderr lines (for a table cell's title). */
export function runErrorTitle(error: RunError | undefined): string | undefined {
  if (!error) return undefined;
  return error.stderr_tail?.length ? `${error.message}\n\n${error.stderr_tail.join('\n')}` : error.message;
}

/** A failed run's message and, folded, the last lines its process wrote to stderr (the crash trace). */
export function RunErrorBox({ error }: { error: RunError }): JSX.Element {
  return (
    <div className="error-box run-error" role="alert" data-testid="run-error">
      <div>{error.message}</div>
      {error.stderr_tail && error.stderr_tail.length > 0 && (
        <details className="stderr-tail">
          <summary>Last stderr lines ({error.stderr_tail.length})</summary>
          <pre className="mono">{error.stderr_tail.join('\n')}</pre>
        </details>
      )}
    </div>
  );
}
