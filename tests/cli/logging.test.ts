import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expman, tempDataDir } from '../helpers/data-dir.js';

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
});
