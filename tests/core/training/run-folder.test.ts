import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readRunConfig } from '../../../src/core/training/run-folder.js';
import { tempDataDir } from '../../helpers/data-dir.js';

describe('readRunConfig', () => {
  test('reads a run config.toml saved with a byte order mark (Windows editors), provenance included', async () => {
    const dir = join(tempDataDir(false), 'experiments', 'e', 'models', 'r');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.toml'), '\uFEFF[training]\nepochs = 7\n\n[provenance]\ntool_version = "0.1.0"\ncommand = "expman train"\n');
    const { config, provenance } = await readRunConfig(dir);
    expect(config.values['training.epochs']).toBe(7);
    expect(provenance).toMatchObject({ tool_version: '0.1.0', command: 'expman train' });
  });
});
