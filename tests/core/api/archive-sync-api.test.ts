import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createBackend, type OsIntegration } from '../../../src/core/api/backend.js';
import type { ArchiveResultDto } from '../../../src/shared/archive-sync.js';
import type { EventChannel, TaskProgress } from '../../../src/shared/api.js';
import { irisCsv } from '../../helpers/data-dir.js';

const root = mkdtempSync(join(tmpdir(), 'expman-api-archive-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const data = join(root, 'data');
mkdirSync(join(data, 'datasets', 'external'), { recursive: true });
cpSync(irisCsv, join(data, 'datasets', 'external', 'iris.csv'));
mkdirSync(join(data, 'experiments', 'e1', 'models', 'r1', 'logs'), { recursive: true });
writeFileSync(join(data, 'experiments', 'e1', 'models', 'r1', 'logs', 'run.log'), 'hello\n');

function backend(os?: Partial<OsIntegration>) {
  const events: Array<[EventChannel, unknown]> = [];
  const done: ArchiveResultDto[] = [];
  const b = createBackend({
    focus: { dataDir: data },
    transport: os ? 'electron' : 'browser',
    emit: (channel, payload) => void events.push([channel, payload]),
    syncDestinationsFile: join(root, 'settings', 'sync-destinations.json'),
    ...(os ? { os: { reveal: async () => undefined, chooseArchivePath: async () => undefined, archiveDone: (r: ArchiveResultDto) => void done.push(r), ...os } } : {}),
  });
  return { b, events, done };
}

describe('archive:create over the API', () => {
  test('writes the archive where the save dialog says, reports progress, and tells the OS it is done', async () => {
    const out = join(root, 'backup.tar.gz');
    const { b, events, done } = backend({ chooseArchivePath: async (name) => (name.match(/^expman-data-\d{8}-\d{6}\.tar\.gz$/) ? out : undefined) });
    const result = await b.dispatch('archive:create', { taskId: 'a1' });
    expect(result).toMatchObject({ ok: true, value: { file: out, files: 2 } });
    expect(execFileSync('tar', ['tzf', out], { encoding: 'utf8' }).split('\n')).toEqual(expect.arrayContaining(['datasets/external/iris.csv', 'experiments/e1/models/r1/logs/run.log', 'MANIFEST']));
    expect(done.map((r) => r.file)).toEqual([out]);
    const progress = events.filter(([c]) => c === 'progress').map(([, p]) => p as TaskProgress);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.taskId === 'a1' && p.unit === 'bytes')).toBe(true);
  });

  test("format 'zst': the save dialog is offered a .tar.zst name and the archive is zstd", async () => {
    const out = join(root, 'backup.tar.zst');
    const { b } = backend({ chooseArchivePath: async (name) => (name.match(/^expman-data-\d{8}-\d{6}\.tar\.zst$/) ? out : undefined) });
    const result = await b.dispatch('archive:create', { taskId: 'z1', format: 'zst' });
    expect(result).toMatchObject({ ok: true, value: { file: out, files: 2, format: 'zst' } });
    expect(execFileSync('tar', ['-I', 'zstd', '-tf', out], { encoding: 'utf8' }).split('\n')).toEqual(expect.arrayContaining(['experiments/e1/models/r1/logs/run.log', 'MANIFEST']));
    expect(await b.dispatch('archive:create', { taskId: 'z2', format: 'xz' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });

  test('a cancelled save dialog is CANCELLED; the browser UI is told to use expman archive', async () => {
    expect(await backend({}).b.dispatch('archive:create', { taskId: 'a2' })).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    const browser = await backend().b.dispatch('archive:create', { taskId: 'a3' });
    expect(browser).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED', message: expect.stringMatching(/expman archive/) } });
    expect(await backend({}).b.dispatch('archive:create', { taskId: 'a4', only: ['../etc'] })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { key: 'only.0' } } });
  });
});

describe('sync over the API (real rsync)', () => {
  test('dry run lists what would change, the real run copies it, saved destinations persist', async () => {
    const { b } = backend();
    const dest = join(root, 'mirror');
    const preview = await b.dispatch('sync:run', { taskId: 's1', target: dest, direction: 'push', dryRun: true });
    expect(preview.ok).toBe(true);
    const items = preview.ok ? (preview.value as { items: Array<{ path: string }> }).items.map((i) => i.path) : [];
    expect(items).toEqual(expect.arrayContaining(['datasets/external/iris.csv']));
    expect(existsSync(join(dest, 'datasets'))).toBe(false);
    expect(await b.dispatch('sync:run', { taskId: 's2', target: dest, direction: 'push', dryRun: false })).toMatchObject({ ok: true, value: { direction: 'push', dryRun: false } });
    expect(readFileSync(join(dest, 'experiments', 'e1', 'models', 'r1', 'logs', 'run.log'), 'utf8')).toBe('hello\n');

    expect(await b.dispatch('sync:destinations', {})).toEqual({ ok: true, value: [] });
    await b.dispatch('sync:save-destination', { destination: { name: 'mirror', target: dest, excludeCheckpoints: true, delete: false } });
    expect(await backend().b.dispatch('sync:destinations', {})).toEqual({ ok: true, value: [{ name: 'mirror', target: dest, excludeCheckpoints: true, delete: false }] });
    expect(await b.dispatch('sync:remove-destination', { name: 'mirror' })).toEqual({ ok: true, value: [] });
    expect(await b.dispatch('sync:run', { taskId: 's3', target: '--rsh=evil', direction: 'push', dryRun: true })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });
});
