import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { cliBundle, expman, expmanAsync, jsonLines, listTree, tempDataDir } from '../helpers/data-dir.js';

function prepared(): string {
  const data = tempDataDir();
  expect(expman(['preprocess', '--separate-sets', '--data', data]).code).toBe(0);
  return data;
}

/** Runs a failing command and checks: one clear line on stderr, non-zero exit, data folder unchanged. */
function expectCleanFailure(data: string, args: string[], message: RegExp, code = 1): void {
  const before = listTree(data);
  const result = expman([...args, '--data', data]);
  expect(result.code).toBe(code);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr.trim()).toMatch(message);
  expect(listTree(data)).toEqual(before);
}

describe('bad input: a clear one-line error, non-zero exit, nothing written', () => {
  it('missing dataset (preprocess and train)', () => {
    const data = tempDataDir();
    expectCleanFailure(data, ['preprocess', '--dataset', 'wine'], /^expman: error: dataset "wine" not found: no .*datasets\/external\/wine\.csv \(available: iris\)$/);
    expectCleanFailure(data, ['train'], /^expman: error: prepared dataset "prepared-dataset" not found .*run `expman preprocess` first$/);
  });

  it('malformed CSV: wrong column count, non-numeric feature, empty file', () => {
    const data = tempDataDir();
    writeFileSync(join(data, 'datasets/external/short.csv'), 'a,b,species\n1,2,x\n3,y\n');
    writeFileSync(join(data, 'datasets/external/text.csv'), 'a,b,species\n1,2,x\n1,two,y\n');
    writeFileSync(join(data, 'datasets/external/empty.csv'), '');
    expectCleanFailure(data, ['preprocess', '--dataset', 'short'], /^expman: error: datasets\/external\/short\.csv:3: expected 3 columns \(a, b, species\), found 2$/);
    expectCleanFailure(data, ['preprocess', '--dataset', 'text'], /^expman: error: datasets\/external\/text\.csv:3:2: column "b": "two" is not a number$/);
    expectCleanFailure(data, ['preprocess', '--dataset', 'empty'], /^expman: error: datasets\/external\/empty\.csv:1: file is empty/);
  });

  it('--split out of range and not a number', () => {
    const data = tempDataDir();
    expectCleanFailure(data, ['preprocess', '--split=1.5'], /^expman: error: --split must be a number between 0 and 1 \(exclusive\), got 1\.5$/, 2);
    expectCleanFailure(data, ['preprocess', '--split=abc'], /^expman: error: --split must be a number, got "abc"$/, 2);
  });

  it('unknown --set key and bad --set value', () => {
    const data = prepared();
    expectCleanFailure(data, ['train', '--set', 'training.epoch=3'], /^expman: error: command line --set: training\.epoch: unknown key \(did you mean training\.epochs\?\)$/);
    expectCleanFailure(data, ['train', '--set', 'training.batch_size=-1'], /training\.batch_size: expected integer ≥ 1 and ≤ 1000000, got integer -1$/);
  });

  it('malformed TOML and invalid values in an experiment config, with file and line', () => {
    const data = prepared();
    mkdirSync(join(data, 'experiments/broken'), { recursive: true });
    writeFileSync(join(data, 'experiments/broken/config.toml'), '[training]\nepochs = \n');
    expectCleanFailure(data, ['train', '--experiment', 'broken'], /^expman: error: .*experiments\/broken\/config\.toml:2:\d+: invalid TOML: /);
    writeFileSync(join(data, 'experiments/broken/config.toml'), '[model]\nhidden_units = [16, -2]\n');
    expectCleanFailure(data, ['train', '--experiment', 'broken'], /config\.toml:2:1: model\.hidden_units: expected array of integers ≥ 1 and ≤ 65536, at most 16 items, got array \[16,-2\]$/);
    const missing = join(data, 'nope.toml');
    expectCleanFailure(data, ['train', '--config', missing], /^expman: error: .*nope\.toml: config file not found$/);
  });

  it('unknown flags and commands are usage errors (exit 2)', () => {
    const data = tempDataDir();
    expectCleanFailure(data, ['preprocess', '--splt=0.5'], /^expman: error: Unknown option '--splt'/, 2);
    expectCleanFailure(data, ['trian'], /^expman: error: unknown command "trian"/, 2);
  });

  it('a data folder that is not writable', () => {
    const data = tempDataDir();
    chmodSync(join(data, 'datasets'), 0o555);
    chmodSync(data, 0o555);
    try {
      // root ignores permissions: run as nobody where the tests run as root (CI).
      const asRoot = process.getuid?.() === 0;
      const cmd = asRoot ? 'setpriv' : process.execPath;
      const args = asRoot
        ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cliBundle, 'preprocess', '--separate-sets', '--data', data]
        : [cliBundle, 'preprocess', '--separate-sets', '--data', data];
      const before = listTree(data);
      const result = spawnSync(cmd, args, { encoding: 'utf8', cwd: '/' });
      expect(result.stderr).toMatch(/^expman: error: .*datasets: data folder is not writable \(EACCES\)\n$/);
      expect(result.status).toBe(1);
      expect(listTree(data)).toEqual(before);
    } finally {
      chmodSync(data, 0o755);
      chmodSync(join(data, 'datasets'), 0o755);
    }
  });
});

describe('a crashed training process', () => {
  it('keeps its logs and last complete checkpoint, lists as failed, and resumes to the same result', async () => {
    const data = prepared();
    const args = ['--data', data, '--set', 'training.epochs=12', '--set', 'training.early_stopping.enabled=false', '--set', 'training.backend=cpu', '--set', 'checkpoints.keep_last=3'];
    expect(expman(['train', ...args, '--model', 'straight']).code).toBe(0);

    const child = expmanAsync(['train', ...args, '--model', 'crashed', '--json']);
    const lines = createInterface({ input: child.stdout });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    for await (const line of lines) {
      const event = JSON.parse(line) as { event: string; epoch?: number };
      if (event.event === 'epoch_end' && event.epoch === 5) {
        child.kill('SIGKILL'); // mid-run, possibly mid-checkpoint
        break;
      }
    }
    expect(await exited).toBe('SIGKILL');
    const dir = join(data, 'experiments/default/models/crashed');
    const listed = jsonLines<{ runs: Array<{ model: string; status: string }> }>(expman(['list', '--data', data, '--json']).stdout)[0]!;
    expect(listed.runs.find((r) => r.model === 'crashed')?.status).toBe('failed');
    // Killed as soon as epoch 5's event was printed: its log line may or may not have been written yet.
    expect(readFileSync(join(dir, 'logs/run.log'), 'utf8')).toMatch(/epoch 4\/12 loss=/);
    expect(readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8')).toContain('"epoch":5,');
    const complete = readdirSync(join(dir, 'checkpoints')).filter((n) => !n.startsWith('.'));
    expect(complete.length).toBeGreaterThan(0);
    for (const name of complete) expect(readdirSync(join(dir, 'checkpoints', name)).sort()).toEqual(['model.json', 'state.json', 'weights.bin']);

    const resumed = expman(['train', '--resume', dir]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/Resuming from epoch [45]/);
    expect(readdirSync(join(dir, 'checkpoints')).filter((n) => n.startsWith('.'))).toEqual([]);
    const epochs = (d: string) => {
      const byEpoch = new Map<number, unknown>();
      for (const line of readFileSync(join(d, 'logs/metrics.jsonl'), 'utf8').split('\n').filter(Boolean)) {
        const e = JSON.parse(line);
        if (e.event === 'epoch_end') byEpoch.set(e.epoch, [e.loss, e.accuracy, e.val_loss, e.val_accuracy]);
      }
      return [...byEpoch.entries()].sort((a, b) => a[0] - b[0]);
    };
    expect(epochs(dir)).toEqual(epochs(join(data, 'experiments/default/models/straight')));
    const listedAfter = jsonLines<{ runs: Array<{ model: string; status: string }> }>(expman(['list', '--data', data, '--json']).stdout)[0]!;
    expect(listedAfter.runs.find((r) => r.model === 'crashed')?.status).toBe('finished');
  });

  it('SIGTERM stops a run cleanly: status stopped, exit 143, resumable', async () => {
    const data = prepared();
    const child = expmanAsync(['train', '--data', data, '--model', 'stopme', '--json', '--set', 'training.epochs=500', '--set', 'training.early_stopping.enabled=false']);
    const lines = createInterface({ input: child.stdout });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const events: string[] = [];
    for await (const line of lines) {
      const event = JSON.parse(line) as { event: string; epoch?: number };
      events.push(event.event);
      if (event.event === 'epoch_end' && event.epoch === 2) child.kill('SIGTERM');
    }
    expect(await exited).toBe(143);
    expect(events[events.length - 1]).toBe('run_stopped');
    const dir = join(data, 'experiments/default/models/stopme');
    expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).status).toBe('stopped');
    expect(existsSync(join(dir, 'best-model/model.json'))).toBe(true);
  });
});
