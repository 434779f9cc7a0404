import type { JSX } from 'react';
import type { EarlyStop } from '../../../shared/runs';

/** Says that a run ended before its epoch budget because validation loss stopped improving. */
export function EarlyStopNotice({ stop, epochs }: { stop: EarlyStop; epochs?: number }): JSX.Element {
  return (
    <div className="notice" role="status" data-testid="early-stop">
      Stopped early at epoch {stop.epoch}
      {epochs !== undefined ? ` of ${epochs}` : ''}: val_loss did not improve for {stop.patience} epochs (best epoch {stop.best_epoch}, which is the saved
      best model).
    </div>
  );
}
