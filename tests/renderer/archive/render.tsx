import { render, type RenderResult } from '@testing-library/react';
import type { ReactNode } from 'react';
import { ApiProvider } from '../../../src/renderer/src/api/context';
import { AppCommands } from '../../../src/renderer/src/archive/AppCommands';
import { WorkspaceProvider } from '../../../src/renderer/src/state/workspace';
import type { MemoryApi } from './memory-api';

/** Mounts `ui` the way the app does: API, workspace and the dialogs host around it. */
export function renderInApp(api: MemoryApi, ui: ReactNode): RenderResult {
  return render(
    <ApiProvider api={api.asApi()}>
      <WorkspaceProvider>
        <AppCommands>{ui}</AppCommands>
      </WorkspaceProvider>
    </ApiProvider>,
  );
}

export const DATA = {
  'datasets/external/iris.csv': 4_551,
  'experiments/e1/config.toml': 300,
  'experiments/e1/models/run-1/checkpoints/epoch-10.bin': 40_000,
  'experiments/e1/models/run-1/logs/run.log': 9_000,
  'experiments/e2/config.toml': 280,
  'experiments/e2/models/run-1/logs/run.log': 7_000,
};
