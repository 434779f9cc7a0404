import { describe, expect, it } from 'vitest';
import { checkManifest } from '../../../src/core/archive/manifest-check.js';
import { manifestSchema } from '../../../src/core/archive/manifest-schema.js';

const SHA = 'ab'.repeat(32);

function valid(): Record<string, unknown> {
  return {
    format: 'expman-archive/1',
    provenance: { created: '2026-12-04T20:00:00.000Z', tool_version: '0.1.0', node_version: 'v20', host: 'vm', platform: 'linux', git_commit: 'abc', git_dirty: false, data_dir: '/data' },
    options: { exclude_checkpoints: false, only: [] },
    live_runs: [{ experiment: 'e', model: 'm', path: 'experiments/e/models/m', pid: 1, host: 'vm', updated: '2026-12-04T20:00:00.000Z' }],
    skipped: [{ path: 'x', reason: 'y' }],
    files: [{ path: 'a.txt', size: 3, sha256: SHA }],
    links: [{ path: 'l', target: 'a.txt' }],
  };
}

/** Variants of a MANIFEST, valid and not: each changes one thing of a valid one. */
const VARIANTS: Array<[string, (m: Record<string, unknown>) => void]> = [
  ['valid', () => undefined],
  ['no git state', (m) => {
    const p = m['provenance'] as Record<string, unknown>;
    delete p['git_commit'];
    delete p['git_dirty'];
  }],
  ['an unknown key at the top', (m) => void (m['extra'] = 1)],
  ['an unknown key in a file', (m) => void ((m['files'] as Array<Record<string, unknown>>)[0]!['mode'] = 420)],
  ['wrong format', (m) => void (m['format'] = 'tar/1')],
  ['size negative', (m) => void ((m['files'] as Array<Record<string, unknown>>)[0]!['size'] = -1)],
  ['size fractional', (m) => void ((m['files'] as Array<Record<string, unknown>>)[0]!['size'] = 1.5)],
  ['size a string', (m) => void ((m['files'] as Array<Record<string, unknown>>)[0]!['size'] = '3')],
  ['sha256 upper case', (m) => void ((m['files'] as Array<Record<string, unknown>>)[0]!['sha256'] = SHA.toUpperCase())],
  ['sha256 short', (m) => void ((m['files'] as Array<Record<string, unknown>>)[0]!['sha256'] = 'ab')],
  ['files not a list', (m) => void (m['files'] = {})],
  ['a file that is null', (m) => void (m['files'] = [null])],
  ['path missing', (m) => void delete (m['files'] as Array<Record<string, unknown>>)[0]!['path']],
  ['link target a number', (m) => void ((m['links'] as Array<Record<string, unknown>>)[0]!['target'] = 1)],
  ['live run pid a string', (m) => void ((m['live_runs'] as Array<Record<string, unknown>>)[0]!['pid'] = '1')],
  ['git_dirty a string', (m) => void ((m['provenance'] as Record<string, unknown>)['git_dirty'] = 'no')],
  ['only not strings', (m) => void ((m['options'] as Record<string, unknown>)['only'] = [1])],
  ['exclude_checkpoints missing', (m) => void delete (m['options'] as Record<string, unknown>)['exclude_checkpoints']],
  ['skipped reason missing', (m) => void delete (m['skipped'] as Array<Record<string, unknown>>)[0]!['reason']],
  ['the whole thing a list', (m) => void Object.assign(m, { files: [[]] })],
];

describe('MANIFEST checked by hand', () => {
  for (const [name, change] of VARIANTS) {
    it(`accepts only what the schema accepts, as the schema returns it: ${name}`, () => {
      const json = valid();
      change(json);
      const byZod = manifestSchema.safeParse(structuredClone(json));
      const byHand = checkManifest(structuredClone(json));
      // By hand it may decline what zod accepts (zod then decides), never accept what zod refuses.
      if (byHand !== undefined) {
        expect(byZod.success, 'accepted by hand but refused by the schema').toBe(true);
        expect(byHand).toEqual(byZod.data);
      }
      if (name === 'valid' || name === 'no git state') expect(byHand).toBeDefined();
    });
  }
});
