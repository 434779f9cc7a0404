import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOnPath } from '../../../src/core/find-on-path.js';
import { resolveWorkerRuntime } from '../../../src/core/training/worker-runtime.js';
import { tempDataDir } from '../../helpers/data-dir.js';

function fakeNode(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'node');
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('resolveWorkerRuntime (which Node.js trains for the desktop app)', () => {
  it('uses runtime.node when set, and rejects a path that is not executable', () => {
    const node = fakeNode(join(tempDataDir(false), 'bin'));
    expect(resolveWorkerRuntime(node, { isElectron: true, env: { PATH: '' } })).toMatchObject({ node, nativeBackends: true, env: {} });
    expect(() => resolveWorkerRuntime('/nonexistent/node', { isElectron: true })).toThrow('runtime.node = "/nonexistent/node" is not an executable file');
    expect(() => resolveWorkerRuntime('/usr', { isElectron: true })).toThrow('runtime.node = "/usr" is not an executable file');
    expect(() => resolveWorkerRuntime('bin/node', { isElectron: true })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: 'runtime.node = "bin/node" must be an absolute path to a Node.js executable' }));
  });

  it('in plain Node uses the current Node.js', () => {
    expect(resolveWorkerRuntime('', { isElectron: false, execPath: '/usr/bin/node' })).toMatchObject({ node: '/usr/bin/node', nativeBackends: true });
  });

  it('in Electron finds node on PATH', () => {
    const dir = join(tempDataDir(false), 'bin');
    const node = fakeNode(dir);
    expect(findOnPath('node', { PATH: `/nonexistent:${dir}` })).toBe(node);
    expect(resolveWorkerRuntime('', { isElectron: true, execPath: '/opt/app/electron', env: { PATH: dir } })).toMatchObject({ node, nativeBackends: true });
  });

  it('without any Node.js runs Electron as Node with pure backends only, and says why', () => {
    const runtime = resolveWorkerRuntime('', { isElectron: true, execPath: '/opt/app/electron', env: { PATH: '' } });
    expect(runtime).toMatchObject({ node: '/opt/app/electron', env: { ELECTRON_RUN_AS_NODE: '1' }, nativeBackends: false });
    expect(runtime.source).toMatch(/only the wasm and cpu backends can train/);
  });
});
