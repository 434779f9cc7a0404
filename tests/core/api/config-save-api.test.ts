import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { createBackend } from '../../../src/core/api/backend.js';
import type { ConfigFileDto, ConfigSaveResult } from '../../../src/shared/config.js';

const dir = mkdtempSync(join(tmpdir(), 'expman-config-save-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('config:save over the API: two tabs load the same version, the second save is a typed CONFLICT carrying the file on disk', async () => {
  const b = createBackend({ focus: { dataDir: dir }, transport: 'browser', emit: () => undefined });
  const read = async (): Promise<ConfigFileDto> => {
    const result = await b.dispatch('config:read', { experiment: 'e1' });
    if (!result.ok) throw new Error(result.error.message);
    return result.value as ConfigFileDto;
  };
  const first = await b.dispatch('config:save', { experiment: 'e1', text: '[training]\nepochs = 3\n', base: null });
  expect(first).toMatchObject({ ok: true, value: { file: join(dir, 'experiments', 'e1', 'config.toml') } });

  const tabA = await read();
  const tabB = await read();
  expect(tabA.version).toEqual((first as { value: ConfigSaveResult }).value.version);
  expect(await b.dispatch('config:save', { experiment: 'e1', text: '[training]\nepochs = 4\n', base: tabA.version })).toMatchObject({ ok: true });
  const refused = await b.dispatch('config:save', { experiment: 'e1', text: '[training]\nepochs = 5\n', base: tabB.version });
  expect(refused).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { text: '[training]\nepochs = 4\n', version: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } } } });
  expect(readFileSync(join(dir, 'experiments', 'e1', 'config.toml'), 'utf8')).toBe('[training]\nepochs = 4\n');

  // A save without a base is not a valid request: the check cannot be skipped by leaving it out.
  expect(await b.dispatch('config:save', { experiment: 'e1', text: '' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { key: 'base' } } });
});
