import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createInterface } from 'node:readline';
import { cliBundle, expman, tempDataDir } from '../helpers/data-dir.js';

describe('logs', () => {
  it('run.log and the application log are written when expman starts outside any package.json folder (cwd /)', () => {
    const data = tempDataDir();
    const logDir = mkdtempSync(join(tmpdir(), 'expman-test-applog-'));
    const env = { EXPMAN_LOG_DIR: logDir };
    expect(expman(['preprocess', '--data', data], { cwd: '/', env }).code).toBe(0);
    const train = expman(['train', '--data', data, '--model', 'from-root', '--set', 'training.epochs=2', '--set', 'training.backend=cpu'], { cwd: '/', env });
    expect(train.code, train.stderr).toBe(0);
    const runLog = readFileSync(join(data, 'experiments/default/models/from-root/logs/run.log'), 'utf8');
    expect(runLog).toMatch(/\[info\]/);
    expect(runLog.split('\n').filter(Boolean).length).toBeGreaterThan(2);
    const appLog = readFileSync(join(logDir, 'expman.log'), 'utf8');
    expect(appLog).toMatch(/train/);
  }, 120_000);

  it('expman ui started from / writes the application log', async () => {
    const data = tempDataDir();
    const logDir = mkdtempSync(join(tmpdir(), 'expman-test-applog-'));
    const server = spawn(process.execPath, [cliBundle, 'ui', '--data', data, '--port', '0', '--json'], {
      cwd: '/',
      env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: logDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const ready = await new Promise<string>((resolve, reject) => {
        server.once('exit', (code) => reject(new Error(`expman ui exited with ${code}`)));
        createInterface({ input: server.stdout }).once('line', resolve);
      });
      expect(JSON.parse(ready)).toMatchObject({ host: '127.0.0.1' });
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('close', r));
    }
    expect(readFileSync(join(logDir, 'expman.log'), 'utf8')).toMatch(/\[info\].*ui/);
  }, 60_000);
});
