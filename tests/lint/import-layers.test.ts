import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, test } from 'vitest';
import { repoRoot } from '../helpers/data-dir.js';

/**
 * The import-direction rule, run through the project's own ESLint config (eslint.config.js) on small
 * sources linted as if they were files in each src/ folder: a wrong-way import is reported, the allowed
 * ones are not. Linting as existing files keeps the type-aware rules of the config working.
 */
const eslint = new ESLint({ cwd: repoRoot });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, file) });
  return result!.messages.filter((m) => m.ruleId === 'layers/import-direction').map((m) => m.message);
}

describe('layers/import-direction', () => {
  // The first lint loads the TypeScript project for the type-aware rules (tens of seconds on a busy machine).
  beforeAll(() => layerErrors('src/shared/csp.ts', ''), 180_000);

  test('shared imports nothing from the other src folders', async () => {
    expect(await layerErrors('src/shared/csp.ts', "import { ExpmanError } from '../core/errors.js';\nexport const E = ExpmanError;\n")).toEqual([
      'src/shared must not import from src/core: shared may import only nothing from the other folders (layers in ARCHITECTURE.md).',
    ]);
    expect(await layerErrors('src/shared/csp.ts', "export * from './runs.js';\n")).toEqual([]);
  });

  test('core imports shared only: not cli, server, main or renderer, however it is written', async () => {
    const code = [
      "import { NAME_PATTERN } from '../../shared/api.js';",
      "import { uiCommand } from '../../cli/commands/ui.js';",
      "export { startUiServer } from '../../server/ui-server.js';",
      "export * from '../../main/open-folder.js';",
      "export const later = (): Promise<unknown> => import('../../renderer/src/state/route.js');",
      "export type Route = import('../../renderer/src/state/route.js').Route;",
      'export const used = [NAME_PATTERN, uiCommand];',
      '',
    ].join('\n');
    const errors = await layerErrors('src/core/api/backend.ts', code);
    expect(errors.map((m) => /must not import from src\/(\w+)/.exec(m)?.[1])).toEqual(['cli', 'server', 'main', 'renderer', 'renderer']);
  });

  test('the renderer imports shared only, not core or the main process', async () => {
    const file = 'src/renderer/src/state/route.ts';
    expect(await layerErrors(file, "import type { WorkspaceFocus } from '../../../shared/api';\nimport { useApi } from '../api/context';\nexport type F = WorkspaceFocus;\nexport const u = useApi;\n")).toEqual([]);
    expect(await layerErrors(file, "import type { Backend } from '../../../core/api/backend.js';\nexport type B = Backend;\n")).toEqual([
      'src/renderer must not import from src/core: renderer may import only shared (layers in ARCHITECTURE.md).',
    ]);
    expect(await layerErrors(file, "import { PushQueue } from '../../../main/ipc.js';\nexport const q = PushQueue;\n")).toHaveLength(1);
  });

  test('cli, server, main and preload import only in their allowed directions', async () => {
    expect(await layerErrors('src/cli/commands/ui.ts', "import { startUiServer } from '../../server/ui-server.js';\nimport { detectFolder } from '../../core/folder-detect.js';\nexport const s = [startUiServer, detectFolder];\n")).toEqual([]);
    expect(await layerErrors('src/server/access.ts', "import { uiCommand } from '../cli/commands/ui.js';\nexport const u = uiCommand;\n")).toHaveLength(1);
    expect(await layerErrors('src/main/open-folder.ts', "import { uiCommand } from '../cli/commands/ui.js';\nexport const u = uiCommand;\n")).toHaveLength(1);
    expect(await layerErrors('src/preload/index.ts', "import { detectFolder } from '../core/folder-detect.js';\nexport const d = detectFolder;\n")).toHaveLength(1);
  });
});
