import type { JSX } from 'react';
import type { ExpmanApi } from '../../shared/api';
import { ApiProvider } from './api/context';
import { AppCommands, ArchiveSyncButtons } from './archive/AppCommands';
import { Sidebar } from './shell/Sidebar';
import { routeHref, useRoute, type Route } from './state/route';
import { useWorkspace, WorkspaceProvider } from './state/workspace';
import { RunView } from './runs/RunView';
import { SweepsView } from './sweeps/SweepsView';
import { CompareView } from './views/CompareView';
import { DatasetsView } from './views/DatasetsView';
import { ExperimentView } from './views/ExperimentView';
import { HomeView } from './views/HomeView';

function View({ route }: { route: Route }): JSX.Element {
  switch (route.view) {
    case 'run':
      return <RunView key={`${route.experiment}/${route.model}`} experiment={route.experiment} model={route.model} tab={route.tab} />;
    case 'experiment':
      return <ExperimentView key={route.experiment} experiment={route.experiment} />;
    case 'datasets':
      return <DatasetsView />;
    case 'compare':
      return <CompareView runs={route.runs} />;
    case 'sweeps':
      return <SweepsView experiment={route.experiment} name={route.name} />;
    default:
      return <HomeView />;
  }
}

function Shell(): JSX.Element {
  const route = useRoute();
  const { info } = useWorkspace();
  return (
    <div className="app">
      <header className="app-header">
        <span className="app-title">Experiment Manager</span>
        <span className="app-folder" title={info?.dataDir} data-testid="data-folder">
          {info?.dataDir}
        </span>
        <nav className="app-nav">
          <a href={routeHref({ view: 'home' })} aria-current={route.view === 'home' ? 'page' : undefined}>
            Runs
          </a>
          <a href={routeHref({ view: 'datasets' })} aria-current={route.view === 'datasets' ? 'page' : undefined}>
            Datasets
          </a>
          <a href={routeHref({ view: 'compare', runs: [] })} aria-current={route.view === 'compare' ? 'page' : undefined}>
            Compare
          </a>
          <a href={routeHref({ view: 'sweeps' })} aria-current={route.view === 'sweeps' ? 'page' : undefined}>
            Sweeps
          </a>
        </nav>
        <ArchiveSyncButtons />
      </header>
      <Sidebar route={route} />
      <main className="app-main">
        <View route={route} />
      </main>
    </div>
  );
}

export function App({ api }: { api: ExpmanApi }): JSX.Element {
  return (
    <ApiProvider api={api}>
      <WorkspaceProvider>
        <AppCommands>
          <Shell />
        </AppCommands>
      </WorkspaceProvider>
    </ApiProvider>
  );
}
