import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createBackend } from '../../../src/core/api/backend.js';
import type { ConfigFileDto } from '../../../src/shared/config.js';
import { tempDataDir } from '../../helpers/data-dir.js';

function backend() {
  const dataDir = tempDataDir(false);
  return { dataDir, b: createBackend({ focus: { dataDir }, transport: 'browser', emit: () => undefined }) };
}

describe('runtime.node cannot be chosen through the API', () => {
  test('config:save refuses a config that sets it, and writes nothing', async () => {
    const { b, dataDir } = backend();
    const result = await b.dispatch('config:save', { experiment: 'e', text: `[runtime]\nnode = ${JSON.stringify(process.execPath)}\n`, base: null });
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { key: 'runtime.node' } } });
    expect(result.ok ? '' : result.error.message).toMatch(/runtime\.node = ".*" cannot be set from the app; set it in config\.toml or default-config\.toml with an editor/);
    expect(existsSync(join(dataDir, 'experiments', 'e', 'config.toml'))).toBe(false);
  });

  test('a value the file already has is kept when other keys are edited; clearing it is allowed; changing it is not', async () => {
    const { b, dataDir } = backend();
    const file = join(dataDir, 'experiments', 'e', 'config.toml');
    mkdirSync(join(dataDir, 'experiments', 'e'), { recursive: true });
    writeFileSync(file, `[runtime]\nnode = ${JSON.stringify(process.execPath)}\n`);
    const keep = `[training]\nepochs = 3\n\n[runtime]\nnode = ${JSON.stringify(process.execPath)}\n`;
    // Each save names the version it replaces (the editor's conflict check).
    const base = async () => {
      const read = await b.dispatch('config:read', { experiment: 'e' });
      if (!read.ok) throw new Error(read.error.message);
      return (read.value as ConfigFileDto).version;
    };
    expect(await b.dispatch('config:save', { experiment: 'e', text: keep, base: await base() })).toMatchObject({ ok: true });
    expect(await b.dispatch('config:save', { experiment: 'e', text: '[runtime]\nnode = "/bin/sh"\n', base: await base() })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(readFileSync(file, 'utf8')).toBe(keep);
    expect(await b.dispatch('config:save', { experiment: 'e', text: '[runtime]\nnode = ""\n', base: await base() })).toMatchObject({ ok: true });
  });

  test('runs:start refuses a runtime.node override before anything is queued', async () => {
    const { b, dataDir } = backend();
    expect(await b.dispatch('runs:start', { experiment: 'e', model: 'm', overrides: ['runtime.node=/bin/sh'] })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { key: 'runtime.node' } } });
    expect(existsSync(join(dataDir, 'experiments', 'e', 'models', 'm'))).toBe(false);
    expect(b.runs.state().jobs).toEqual([]);
  });
});
