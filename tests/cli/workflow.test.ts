import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expman, jsonLines, pythonWithPandas, tempDataDir } from '../helpers/data-dir.js';
import { spawnSync } from 'node:child_process';

describe('the seed workflow: preprocess → train → test → list', () => {
  it('runs end to end on Iris with the default config and reaches test accuracy ≥ 0.93', () => {
    const data = tempDataDir();
    const prep = expman(['preprocess', '--split=0.8', '--separate-sets', '--data', data]);
    expect(prep.stderr).toBe('');
    expect(prep.code).toBe(0);
    expect(prep.stdout).toContain('train    120 rows: setosa 40, versicolor 40, virginica 40');

    const train = expman(['train', '--data', data, '--model', 'baseline']);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    expect(train.stdout).toMatch(/^epoch 1\/150 loss=/m); // not a TTY: one line per epoch
    expect(train.stdout).toMatch(/Finished after \d+ epochs/);

    const test = expman(['test', '--data', data, '--json']);
    expect(test.code).toBe(0);
    const [result] = jsonLines<{ accuracy: number; model: string; files: string[] }>(test.stdout);
    expect(result!.model).toBe('baseline');
    expect(result!.accuracy).toBeGreaterThanOrEqual(0.93);
    const resultsDir = join(data, 'experiments/default/results/baseline');
    expect(readdirSync(resultsDir).sort()).toEqual(['confusion-matrix.csv', 'metrics.csv', 'per-class.csv', 'predictions.csv']);

    // Result DataFrames load unchanged in pandas.
    const check = spawnSync(
      pythonWithPandas(),
      ['-c', `import pandas as pd, sys
m = pd.read_csv(sys.argv[1] + '/metrics.csv').set_index('metric')['value']
c = pd.read_csv(sys.argv[1] + '/confusion-matrix.csv').set_index('actual')
p = pd.read_csv(sys.argv[1] + '/predictions.csv')
print(round(m['accuracy'], 4), int(c.values.sum()), len(p), round(p['correct'].mean(), 4), list(c.columns))`, resultsDir],
      { encoding: 'utf8' },
    );
    expect(check.stderr).toBe('');
    const acc = result!.accuracy.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
    expect(check.stdout.trim()).toBe(`${Number(acc)} 30 30 ${Number(acc)} ['predicted_setosa', 'predicted_versicolor', 'predicted_virginica']`);

    const list = expman(['list', '--data', data]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^default\s+baseline\s+finished\s+\d+\/150\s+wasm\s+\d+\s+0\.\d{4}\s+0\.\d{4}\s+0\.9\d{3}\s+CPU \(WebAssembly, SIMD\)$/m);
  });

  it('--json streams run events for programs', () => {
    const data = tempDataDir();
    expman(['preprocess', '--separate-sets', '--data', data]);
    const run = expman(['train', '--data', data, '--json', '--set', 'training.epochs=3', '--set', 'training.backend=cpu']);
    expect(run.code).toBe(0);
    const events = jsonLines<{ event: string }>(run.stdout).map((e) => e.event);
    expect(events[0]).toBe('run_started');
    expect(events.filter((e) => e === 'epoch_end')).toHaveLength(3);
    expect(events[events.length - 1]).toBe('run_finished');
    expect(run.stdout.split('\n').filter(Boolean).every((line) => line.startsWith('{'))).toBe(true);
  });
});

describe('expman rerun', () => {
  it('re-runs from the saved config.toml into a new folder with identical per-epoch metrics', () => {
    const data = tempDataDir();
    expman(['preprocess', '--separate-sets', '--data', data]);
    for (const backend of ['cpu', 'wasm']) {
      const original = expman(['train', '--data', data, '--experiment', backend, '--model', 'original', '--set', 'training.epochs=6', '--set', `training.backend=${backend}`]);
      expect(original.code).toBe(0);
      const dir = join(data, 'experiments', backend, 'models', 'original');
      const rerun = expman(['rerun', dir]);
      expect(rerun.stderr).toBe('');
      expect(rerun.code).toBe(0);
      const rerunDir = join(data, 'experiments', backend, 'models', 'original-rerun-1');
      const epochs = (d: string) =>
        readFileSync(join(d, 'logs/metrics.jsonl'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
          .filter((e) => e.event === 'epoch_end')
          .map(({ epoch, loss, accuracy, val_loss, val_accuracy }) => ({ epoch, loss, accuracy, val_loss, val_accuracy }));
      expect(epochs(rerunDir)).toHaveLength(6);
      expect(epochs(rerunDir)).toEqual(epochs(dir));
      const config = readFileSync(join(rerunDir, 'config.toml'), 'utf8');
      expect(config).toContain(`rerun_of = "${dir}"`);
    }
  });
});

describe('expman config show', () => {
  it('prints the resolved config with the origin of each value', () => {
    const data = tempDataDir();
    const expDir = join(data, 'experiments', 'e1');
    spawnSync('mkdir', ['-p', expDir]);
    spawnSync('sh', ['-c', `printf '[training]\\nepochs = 40\\n' > ${expDir}/config.toml`]);
    const out = expman(['config', 'show', '--data', data, '--experiment', 'e1', '--set', 'training.learning_rate=0.05', '--origin']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^epochs = 40\s+# config file .*experiments\/e1\/config\.toml:2:1$/m);
    expect(out.stdout).toMatch(/^learning_rate = 0\.05\s+# override \(--set training\.learning_rate=0\.05\)$/m);
    expect(out.stdout).toMatch(/^batch_size = 16\s+# default-config\.toml .*default-config\.toml:\d+:1$/m);
  });
});
