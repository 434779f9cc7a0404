import { useMemo, type JSX } from 'react';
import type { LogSource } from '../../../shared/logs';
import { useApi } from '../api/context';
import { LogViewer } from '../logs/LogViewer';

/** A run's logs/run.log in the log viewer, followed live through logs:watch / logs:changed. */
export function RunLog({ experiment, model }: { experiment: string; model: string }): JSX.Element {
  const api = useApi();
  const source = useMemo<LogSource>(
    () => ({
      read: (request) => api.logsRead({ experiment, model, request }),
      search: (request) => api.logsSearch({ experiment, model, request }),
      subscribe: (listener) => {
        const off = api.onLogsChanged((change) => {
          if (change.experiment === experiment && change.model === model) listener(change.info);
        });
        // After a reconnect (the transport replays the watch) the log may have grown unseen: one read says how far.
        const offRestored = api.onConnectionRestored(() => void api.logsRead({ experiment, model, request: { from: 0, count: 0 } }).then(listener, () => undefined));
        void api.logsWatch({ experiment, model });
        return () => {
          off();
          offRestored();
          void api.logsUnwatch({ experiment, model });
        };
      },
    }),
    [api, experiment, model],
  );
  return (
    <div className="log-pane" data-testid="run-log">
      <LogViewer source={source} label={`Log of ${experiment}/${model}`} />
    </div>
  );
}
