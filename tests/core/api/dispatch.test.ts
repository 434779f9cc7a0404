import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createBackend } from '../../../src/core/api/backend.js';
import type { EventChannel } from '../../../src/shared/api.js';

const dir = mkdtempSync(join(tmpdir(), 'expman-dispatch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function backend(withOs = false) {
  const events: Array<[EventChannel, unknown]> = [];
  const revealed: string[] = [];
  const b = createBackend({
    focus: { dataDir: dir },
    transport: 'browser',
    emit: (channel, payload) => events.push([channel, payload]),
    ...(withOs ? { os: { reveal: async (p: string) => void revealed.push(p), chooseArchivePath: async () => undefined, archiveDone: () => undefined } } : {}),
  });
  return { b, events, revealed };
}

describe('the API dispatcher', () => {
  test('refuses calls that are not in the contract', async () => {
    const { b } = backend();
    expect(await b.dispatch('fs:read', { path: '/etc/passwd' })).toEqual({
      ok: false,
      error: { code: 'UNKNOWN_CALL', message: 'unknown API call "fs:read"' },
    });
    expect(await b.dispatch(42, {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CALL' } });
    expect(await b.dispatch('__proto__', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CALL' } });
  });

  test('validates every argument and says which key is wrong', async () => {
    const { b } = backend();
    const result = await b.dispatch('runs:get', { experiment: '../../etc', model: 'x' });
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { key: 'experiment' } } });
    expect(result.ok ? '' : result.error.message).toMatch(/^invalid request for runs:get: experiment: /);
    expect(await b.dispatch('jobs:set-concurrency', { concurrency: 0 })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { key: 'concurrency' } } });
    expect(await b.dispatch('jobs:set-concurrency', { concurrency: '2' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(await b.dispatch('runs:start', { experiment: 'e', overrides: 'training.epochs=1' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { key: 'overrides' } } });
    expect(await b.dispatch('runs:list', null)).toMatchObject({ ok: true });
  });

  test('core errors come back typed, with code, message and details', async () => {
    const { b } = backend();
    const result = await b.dispatch('runs:get', { experiment: 'default', model: 'nope' });
    expect(result).toMatchObject({ ok: false, error: { code: 'RUN_MISSING', message: `no run default/nope in ${dir}` } });
    const start = await b.dispatch('runs:start', { experiment: 'default', overrides: ['training.epochz=3'] });
    expect(start).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID' } });
    expect(start.ok ? '' : start.error.message).toMatch(/training\.epochz/);
  });

  test('an unexpected failure in a handler becomes INTERNAL, never a crash', async () => {
    const { b } = backend();
    const boom = { ...b.handlers, 'jobs:list': async () => Promise.reject(new Error('disk on fire')) };
    const { createDispatcher } = await import('../../../src/core/api/dispatch.js');
    const seen: string[] = [];
    const dispatch = createDispatcher(boom, (channel) => seen.push(channel));
    expect(await dispatch('jobs:list', {})).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'disk on fire' } });
    expect(seen).toEqual(['jobs:list']);
  });

  test('whatever a handler throws that is not an ExpmanError is INTERNAL, never USAGE (even if it carries a code)', async () => {
    const { b } = backend();
    const { createDispatcher } = await import('../../../src/core/api/dispatch.js');
    const throwing = (thrown: unknown) =>
      createDispatcher({
        ...b.handlers,
        'jobs:list': async () => {
          throw thrown;
        },
      });
    for (const thrown of [new TypeError("Cannot read properties of undefined (reading 'x')"), Object.assign(new Error('EACCES: permission denied'), { code: 'USAGE' }), 'a string', undefined]) {
      const result = await throwing(thrown)('jobs:list', {});
      expect(result, String(thrown)).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    }
  });

  test('state errors of the run queue have their own codes', async () => {
    const { b } = backend();
    expect(await b.dispatch('runs:stop', { jobId: 'job-404' })).toMatchObject({ ok: false, error: { code: 'JOB_MISSING', message: 'no job "job-404"' } });
    const other = mkdtempSync(join(tmpdir(), 'expman-dispatch-finished-'));
    try {
      const run = join(other, 'experiments', 'done', 'models', 'r1');
      mkdirSync(run, { recursive: true });
      const now = new Date().toISOString();
      writeFileSync(join(run, 'status.json'), JSON.stringify({ status: 'finished', pid: 1, host: 'h', started: now, updated: now, epoch: 2, epochs: 2, best: null }));
      b.setFocus({ dataDir: other });
      expect(await b.dispatch('runs:resume', { experiment: 'done', model: 'r1' })).toMatchObject({ ok: false, error: { code: 'RUN_FINISHED' } });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('shell:reveal needs the desktop app and never leaves the data folder', async () => {
    expect(await backend().b.dispatch('shell:reveal', { path: '.' })).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED', message: 'revealing files needs the desktop app' } });
    const { b, revealed } = backend(true);
    expect(await b.dispatch('shell:reveal', { path: '../..' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(await b.dispatch('shell:reveal', { path: '.' })).toEqual({ ok: true, value: null });
    expect(revealed).toEqual([dir]);
  });

  test('a fresh data folder lists the default experiment with no runs', async () => {
    const { b } = backend();
    expect(await b.dispatch('experiments:list', {})).toEqual({ ok: true, value: [{ name: 'default', hasConfig: false, runs: [] }] });
    expect(await b.dispatch('app:info', {})).toMatchObject({ ok: true, value: { transport: 'browser', dataDir: dir, osIntegration: false } });
  });
});
