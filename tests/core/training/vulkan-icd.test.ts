import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vulkanIcdFiles } from '../../../src/core/training/backend.js';
import { cliBundle, expman, tempDataDir, testLogDir } from '../../helpers/data-dir.js';

/** A folder tree with Vulkan ICD manifests where the loader looks for them. */
function icdTree(): { root: string; env: NodeJS.ProcessEnv } {
  const root = tempDataDir(false);
  const env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_CONFIG_DIRS: join(root, 'xdg'), XDG_DATA_HOME: join(root, 'data'), XDG_DATA_DIRS: join(root, 'share') };
  return { root, env };
}

describe('Vulkan drivers (ICD files) are looked for where the Vulkan loader looks', () => {
  it('none installed: nothing found; a manifest in a data folder or named by VK_DRIVER_FILES is found', () => {
    const { root, env } = icdTree();
    expect(vulkanIcdFiles(env, root, [])).toEqual([]);
    mkdirSync(join(root, 'share', 'vulkan', 'icd.d'), { recursive: true });
    writeFileSync(join(root, 'share', 'vulkan', 'icd.d', 'README'), 'not a manifest');
    expect(vulkanIcdFiles(env, root, [])).toEqual([]);
    writeFileSync(join(root, 'share', 'vulkan', 'icd.d', 'nvidia_icd.json'), '{}');
    expect(vulkanIcdFiles(env, root, [])).toEqual([join(root, 'share', 'vulkan', 'icd.d', 'nvidia_icd.json')]);
    // VK_DRIVER_FILES replaces the search; VK_ADD_DRIVER_FILES adds to it.
    const lvp = join(root, 'lvp_icd.json');
    writeFileSync(lvp, '{}');
    expect(vulkanIcdFiles({ ...env, VK_DRIVER_FILES: lvp }, root, [])).toEqual([lvp]);
    expect(vulkanIcdFiles({ ...env, VK_DRIVER_FILES: join(root, 'missing.json') }, root, [])).toEqual([]);
    expect(vulkanIcdFiles({ ...env, VK_ADD_DRIVER_FILES: lvp }, root, [])).toHaveLength(2);
  });

  it('without a driver, a training run on auto says nothing of Vulkan on stderr (Dawn is not even loaded)', () => {
    const { root, env } = icdTree();
    const data = tempDataDir();
    expect(expman(['preprocess', '--data', data]).code).toBe(0);
    const result = spawnSync(process.execPath, [cliBundle, 'train', '--data', data, '--set', 'training.epochs=1'], {
      env: { ...process.env, ...env, HOME: root, DATA: '', EXPMAN_LOG_DIR: testLogDir, VK_DRIVER_FILES: '', VK_ICD_FILENAMES: '' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.status, result.stderr).toBe(0);
    if (vulkanIcdFiles({ ...env, VK_DRIVER_FILES: '' }, root).length === 0) expect(result.stderr).not.toMatch(/vulkan|vkCreateInstance/i);
  });
});
