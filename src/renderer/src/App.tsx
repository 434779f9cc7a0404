import type { JSX } from 'react';

export function App(): JSX.Element {
  const api = window.api as Window['api'] | undefined;
  return (
    <main className="placeholder">
      <h1>Experiment Manager</h1>
      <p>
        The desktop UI is coming soon. Today the CLI runs the whole workflow — see <code>npx expman --help</code>.
      </p>
      {api && (
        <p className="versions">
          Version {api.version} · Electron {api.runtime.electron} · Chrome {api.runtime.chrome} · Node {api.runtime.node}
        </p>
      )}
    </main>
  );
}
