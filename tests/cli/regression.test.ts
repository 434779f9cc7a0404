import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expman, expmanAsync, jsonLines, pythonWithPandas, tempDataDir } from '../helpers/data-dir.js';

/** scikit-learn's diabetes data (442 rows, numeric label `target`) written by pandas, as a user would. */
function diabetesDataDir(): string {
  const data = tempDataDir(false);
  mkdirSync(join(data, 'datasets', 'external'), { recursive: true });
  const made = spawnSync(
    pythonWithPandas(),
    ['-c', 'import sys; from sklearn.datasets import load_diabetes; load_diabetes(as_frame=True).frame.to_csv(sys.argv[1], index=False)', join(data, 'datasets', 'external', 'diabetes.csv')],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`scikit-learn is needed (Debian python3-sklearn; .ci/run installs it): ${made.stderr}`);
  return data;
}

describe('regression end to end: preprocess → train → test → list on diabetes', () => {
  it('detects regression, trains with mse and reports R² > 0.3 on the test set; the CSVs load in pandas', () => {
    const data = diabetesDataDir();
    const prep = expman(['preprocess', '--data', data, '--dataset', 'diabetes', '--name', 'diabetes']);
    expect(prep.stderr).toBe('');
    expect(prep.stdout).toContain('(442 rows, label "target", regression)');
    expect(readFileSync(join(data, 'datasets', 'diabetes', 'info.toml'), 'utf8')).toMatch(/^task = "regression"$/m);

    mkdirSync(join(data, 'experiments', 'reg'), { recursive: true });
    writeFileSync(join(data, 'experiments', 'reg', 'config.toml'), '[data]\ndataset = "diabetes"\n');
    const train = expman(['train', '--data', data, '--experiment', 'reg', '--model', 'mlp', '--json', '--set', 'training.backend=cpu']);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    const epochs = jsonLines<Record<string, number | string>>(train.stdout).filter((e) => e.event === 'epoch_end');
    expect(Object.keys(epochs[0]!)).toEqual(expect.arrayContaining(['loss', 'val_loss', 'val_mae', 'val_rmse', 'val_r2']));
    expect(epochs[0]).not.toHaveProperty('val_accuracy');

    const test = expman(['test', '--data', data, '--experiment', 'reg', '--json']);
    expect(test.stderr).toBe('');
    const [result] = jsonLines<{ task: string; r2: number; rmse: number; mae: number; files: string[] }>(test.stdout);
    expect(result!.task).toBe('regression');
    expect(result!.r2).toBeGreaterThan(0.3);
    const resultsDir = join(data, 'experiments', 'reg', 'results', 'mlp');
    expect(readdirSync(resultsDir).sort()).toEqual(['metrics.csv', 'predictions.csv']);

    const check = spawnSync(
      pythonWithPandas(),
      ['-c', `import pandas as pd, sys
m = pd.read_csv(sys.argv[1] + '/metrics.csv').set_index('metric')['value']
p = pd.read_csv(sys.argv[1] + '/predictions.csv')
assert list(p.columns[-3:]) == ['actual', 'predicted', 'residual'], list(p.columns)
assert ((p['actual'] - p['predicted'] - p['residual']).abs() < 1e-5).all()
ss = ((p['actual'] - p['predicted']) ** 2).sum(); st = ((p['actual'] - p['actual'].mean()) ** 2).sum()
print(len(p), round(m['r2'], 3), round(1 - ss / st, 3), int(m['test_rows']))`, resultsDir],
      { encoding: 'utf8' },
    );
    expect(check.stderr).toBe('');
    const r2 = result!.r2.toFixed(3);
    expect(check.stdout.trim()).toBe(`90 ${Number(r2)} ${Number(r2)} 90`);

    const list = expman(['list', '--data', data, '--experiment', 'reg']);
    expect(list.stdout).toMatch(new RegExp(`^reg\\s+mlp\\s+finished\\s+.*\\sr2=-?0\\.\\d{4}\\s+r2=${result!.r2.toFixed(4)}\\s`, 'm'));
  });

  it('a classification loss on a regression dataset is a config error naming training.loss; nothing is created', () => {
    const data = diabetesDataDir();
    expman(['preprocess', '--data', data, '--dataset', 'diabetes']);
    const train = expman(['train', '--data', data, '--set', 'training.loss=cross_entropy', '--set', 'training.backend=cpu']);
    expect(train.code).not.toBe(0);
    expect(train.stderr).toContain('training.loss = "cross_entropy" is a classification loss but the dataset is regression; use "mse", "mae" or "huber"');
    expect(existsSync(join(data, 'experiments', 'default', 'models')) ? readdirSync(join(data, 'experiments', 'default', 'models')) : []).toEqual([]);
  });

  it('a loss that becomes NaN fails the run naming epoch and batch, keeping its logs and last good checkpoint', () => {
    const data = diabetesDataDir();
    expman(['preprocess', '--data', data, '--dataset', 'diabetes']);
    // Plain SGD at this rate diverges a few epochs in (deterministic on the cpu backend).
    const sets = ['training.backend=cpu', 'training.optimizer=sgd', 'training.learning_rate=0.6', 'logging.batch_interval_ms=0', 'checkpoints.keep_last=0'];
    const train = expman(['train', '--data', data, '--model', 'nan', ...sets.flatMap((s) => ['--set', s])]);
    expect(train.code).not.toBe(0);
    const match = /loss became NaN at epoch (\d+), batch (\d+);/.exec(train.stderr);
    expect(match, train.stderr).not.toBeNull();
    const [epoch, batch] = [Number(match![1]), Number(match![2])];
    expect(epoch).toBeGreaterThan(1);
    const dir = join(data, 'experiments', 'default', 'models', 'nan');
    const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'));
    expect(status.status).toBe('failed');
    expect(status.error.message).toBe(match![0].slice(0, -1) + '; lower training.learning_rate (or check the data for extreme values)');
    // The batch named is the first whose loss was not finite (the per-batch log has all of them).
    const events = readFileSync(join(dir, 'logs', 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const losses = events.filter((e) => e.event === 'batch_end' && e.epoch === epoch).map((e) => e.loss);
    expect(losses.findIndex((l) => l === null || !Number.isFinite(l)) + 1).toBe(batch);
    expect(events.filter((e) => e.event === 'epoch_end').map((e) => e.epoch)).toEqual(Array.from({ length: epoch - 1 }, (_, i) => i + 1));
    expect(readdirSync(join(dir, 'checkpoints'))).toContain(`model-checkpoint-epoch-${epoch - 1}`);
    expect(existsSync(join(dir, 'best-model', 'model.json'))).toBe(true);
    expect(readFileSync(join(dir, 'logs', 'run.log'), 'utf8')).toContain(`run failed: loss became NaN at epoch ${epoch}, batch ${batch}`);
  });
});

describe('preprocess --task', () => {
  it('classification of a numeric target is refused with a hint; a bad --task is a usage error; nothing is written', () => {
    const data = diabetesDataDir();
    const forced = expman(['preprocess', '--data', data, '--dataset', 'diabetes', '--task', 'classification']);
    expect(forced.code).toBe(1);
    expect(forced.stderr).toMatch(/datasets\/external\/diabetes\.csv: label column "target" has \d+ distinct values, more than 100 classes; if it is a number to predict, use --task regression\n$/);
    const bad = expman(['preprocess', '--data', data, '--dataset', 'diabetes', '--task', 'ranking']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--task must be one of classification, regression, got "ranking"');
    expect(readdirSync(join(data, 'datasets'))).toEqual(['external']);
  });
});

describe('huber loss', () => {
  it('a run stopped after its first epoch resumes to the same metrics as an uninterrupted one (model.json cannot name the loss)', async () => {
    const data = diabetesDataDir();
    expman(['preprocess', '--data', data, '--dataset', 'diabetes']);
    const sets = ['training.loss=huber', 'training.backend=cpu', 'training.epochs=12', 'training.early_stopping.enabled=false'].flatMap((s) => ['--set', s]);
    const child = expmanAsync(['train', '--data', data, '--model', 'stopped', '--json', ...sets]);
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        // Once: a second signal exits at once, without marking the run stopped.
        if (!child.killed && out.includes('"event":"epoch_end"')) child.kill('SIGTERM');
      });
      child.on('close', () => resolve());
    });
    const models = join(data, 'experiments', 'default', 'models');
    expect(JSON.parse(readFileSync(join(models, 'stopped', 'status.json'), 'utf8')).status).toBe('stopped');
    const resumed = expman(['train', '--data', data, '--resume', join(models, 'stopped')]);
    expect(resumed.stderr).toBe('');
    expect(expman(['train', '--data', data, '--model', 'straight', ...sets]).code).toBe(0);
    const last = (model: string) => {
      const epochs = readFileSync(join(models, model, 'logs', 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.event === 'epoch_end');
      const { loss, val_loss, val_mae, val_rmse, val_r2 } = epochs.at(-1);
      return { epoch: epochs.at(-1).epoch, loss, val_loss, val_mae, val_rmse, val_r2 };
    };
    expect(last('stopped')).toEqual(last('straight'));
    expect(last('straight').epoch).toBe(12);
  });
});
