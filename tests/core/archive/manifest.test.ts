import { describe, expect, it } from 'vitest';
import { manifestPieces, serializeManifest, type Manifest } from '../../../src/core/archive/manifest.js';

function manifest(files: Manifest['files'], links: Manifest['links']): Manifest {
  return {
    format: 'expman-archive/1',
    provenance: { created: '2026-12-04T20:00:00.000Z', tool_version: '0.1.0', node_version: 'v20', host: 'vm', platform: 'linux', data_dir: '/data "quoted"' },
    options: { exclude_checkpoints: false, only: ['experiments/e1'] },
    live_runs: [],
    skipped: [{ path: 'datasets/link', reason: 'symbolic link points outside the data folder' }],
    files,
    links,
  };
}

describe('MANIFEST in pieces', () => {
  const files = [
    { path: 'datasets/iris/train.csv', size: 4096, sha256: 'a'.repeat(64) },
    { path: 'experiments/é "x"\\y/run.log', size: 0, sha256: '0'.repeat(64) },
    { path: 'big.bin', size: 2 ** 40, sha256: 'f'.repeat(64) },
  ];
  for (const [name, list, links] of [
    ['no files, no links', [], []],
    ['one file', files.slice(0, 1), []],
    ['files and links', files, [{ path: 'experiments/latest', target: 'e1' }]],
  ] as const) {
    it(`is the text serializeManifest writes: ${name}`, () => {
      const whole = manifest([...list], [...links]);
      const { files: records, ...rest } = whole;
      expect([...manifestPieces(rest, () => records)].join('')).toBe(serializeManifest(whole).toString());
    });
  }
});
