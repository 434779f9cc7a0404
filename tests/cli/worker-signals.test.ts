import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { cliBundle, expmanAsync, tempDataDir, testLogDir } from '../helpers/data-dir.js';

// Slurm asks for SIGUSR1 before a time limit (sbatch --signal=USR1@…). Node.js's default for it is to open
// the inspector: the worker must treat it as a stop instead.
test.skipIf(process.platform === 'win32')('SIGUSR1 stops the worker after its batch, like SIGTERM: stopped, resumable, exit 143', async () => {
  const data = tempDataDir();
  execFileSync(process.execPath, [cliBundle, 'preprocess', '--data', data, '--split=0.8', '--separate-sets'], { env: { ...process.env, EXPMAN_LOG_DIR: testLogDir } });
  const child = expmanAsync(['train', '--data', data, '--model', 'm', '--set', 'training.epochs=100000', '--set', 'training.early_stopping.enabled=false', '--set', 'training.backend=cpu']);
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/epoch 2\//.test(out)) resolve();
    }),
  );
  child.kill('SIGUSR1');
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(err).not.toMatch(/Debugger listening/);
  expect(code).toBe(143);
  const status = JSON.parse(readFileSync(join(data, 'experiments', 'default', 'models', 'm', 'status.json'), 'utf8')) as { status: string };
  expect(status.status).toBe('stopped');
}, 60_000);
