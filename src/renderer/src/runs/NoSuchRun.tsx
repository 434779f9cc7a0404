import type { JSX } from 'react';
import { routeHref } from '../state/route';

/** An address naming a run that is not in the data folder (mistyped, deleted, another data folder). */
export function NoSuchRun({ experiment, model }: { experiment: string; model: string }): JSX.Element {
  return (
    <section className="view" aria-label="No such run">
      <div className="panel empty" role="alert">
        <h1>No such run</h1>
        <p>
          There is no run <code>{model}</code> in experiment <code>{experiment}</code> of this data folder.
        </p>
        <p>
          <a href={routeHref({ view: 'experiment', experiment })}>Back to {experiment}</a> · <a href={routeHref({ view: 'home' })}>Home</a>
        </p>
      </div>
    </section>
  );
}
