import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { expman, expmanAsync, jsonLines, tempDataDir } from '../helpers/data-dir.js';

const examples = join(import.meta.dirname, '../../examples/models');

/** scikit-learn's digits written to CSV by pandas (labels as words, so they read as classes). */
function digitsDataDir(): string {
  const data = tempDataDir(false);
  mkdirSync(join(data, 'datasets/external'), { recursive: true });
  const script = `from sklearn.datasets import load_digits
import sys
d = load_digits(as_frame=True)
f = d.frame.copy()
f['target'] = ['d%d' % t for t in d.target]
f.to_csv(sys.argv[1], index=False)`;
  const python = spawnSync('/usr/bin/python3', ['-c', script, join(data, 'datasets/external/digits.csv')], { encoding: 'utf8' });
  if (python.status !== 0) throw new Error(`python3-sklearn is needed (.ci/run installs it): ${python.stderr}`);
  expect(expman(['preprocess', '--data', data, '--dataset', 'digits', '--label', 'target', '--separate-sets']).code).toBe(0);
  return data;
}

function installModule(data: string, name: string, source: string): string {
  mkdirSync(join(data, 'models'), { recursive: true });
  const file = join(data, 'models', `${name}.mjs`);
  writeFileSync(file, source);
  return file;
}

function writeConfig(data: string, experiment: string, text: string): void {
  mkdirSync(join(data, 'experiments', experiment), { recursive: true });
  writeFileSync(join(data, 'experiments', experiment, 'config.toml'), text);
}

function testAccuracy(data: string, experiment: string, model: string): number {
  const run = expman(['test', '--data', data, '--experiment', experiment, '--model', model, '--json']);
  expect(run.stderr).toBe('');
  return jsonLines<{ accuracy: number }>(run.stdout).at(-1)!.accuracy;
}

function epochMetrics(dir: string): unknown[] {
  return readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((e) => e['event'] === 'epoch_end')
    .map(({ loss, accuracy, val_loss, val_accuracy }) => ({ loss, accuracy, val_loss, val_accuracy }));
}

const common = '[training]\nepochs = 10\nbatch_size = 32\nlearning_rate = 0.003\nbackend = "wasm"\n';

describe('model modules: the digits CNN example', () => {
  it('trains on 8×8×1 images, beats the built-in MLP on the same split, tests, and re-runs exactly from its own copy', () => {
    const data = digitsDataDir();
    const moduleFile = installModule(data, 'digits-cnn', readFileSync(join(examples, 'digits-cnn.mjs'), 'utf8'));
    writeConfig(data, 'cnn', `[model]\ntype = "digits-cnn"\n\n${common}`);
    writeConfig(data, 'mlp', common);

    const cnn = expman(['train', '--data', data, '--experiment', 'cnn', '--model', 'a']);
    expect(cnn.stderr).toBe('');
    expect(cnn.code).toBe(0);
    expect(expman(['train', '--data', data, '--experiment', 'mlp', '--model', 'a']).code).toBe(0);
    const cnnAccuracy = testAccuracy(data, 'cnn', 'a');
    const mlpAccuracy = testAccuracy(data, 'mlp', 'a');
    // Measured: 0.978 against 0.958 on 359 test rows.
    expect(cnnAccuracy).toBeGreaterThan(0.96);
    expect(cnnAccuracy).toBeGreaterThan(mlpAccuracy + 0.01);

    // The run keeps the exact module, and provenance its sha256.
    const run = join(data, 'experiments/cnn/models/a');
    const original = readFileSync(moduleFile);
    expect(readFileSync(join(run, 'model-module.mjs'))).toEqual(original);
    const config = readFileSync(join(run, 'config.toml'), 'utf8');
    expect(config).toContain(`model_module_sha256 = "${createHash('sha256').update(original).digest('hex')}"`);
    expect(config).toContain('model_module_source = "models/digits-cnn.mjs"');
    expect(config).toMatch(/^type = "digits-cnn"$/m);

    // Editing the module afterwards changes nothing for the old run's re-run: it uses the run's copy.
    writeFileSync(moduleFile, original.toString().replace('filters: params.filters * 2', 'filters: params.filters * 3'));
    const rerun = expman(['rerun', run, '--model', 'again', '--json']);
    expect(rerun.stderr).toBe('');
    expect(rerun.code).toBe(0);
    expect(epochMetrics(join(data, 'experiments/cnn/models/again'))).toEqual(epochMetrics(run));
    expect(readFileSync(join(data, 'experiments/cnn/models/again/model-module.mjs'))).toEqual(original);
  });
});

describe('model modules: the residual MLP example', () => {
  it('takes [model.params] (checked against its schema), trains, resumes from a checkpoint and tests on Iris', () => {
    const data = tempDataDir();
    expect(expman(['preprocess', '--data', data, '--separate-sets']).code).toBe(0);
    copyFileSync(join(examples, 'residual-mlp.mjs'), (mkdirSync(join(data, 'models')), join(data, 'models/residual-mlp.mjs')));
    writeConfig(data, 'res', '[model]\ntype = "residual-mlp"\n\n[model.params]\nunits = 16\nblocks = 3\n\n[training]\nepochs = 30\nbackend = "cpu"\n');
    const run = expman(['train', '--data', data, '--experiment', 'res', '--model', 'r', '--set', 'model.params.activation=tanh']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const dir = join(data, 'experiments/res/models/r');
    expect(readFileSync(join(dir, 'config.toml'), 'utf8')).toMatch(/^params = \{ units = 16, blocks = 3, activation = "tanh" \}$/m);
    const topology = JSON.parse(readFileSync(join(dir, 'best-model/model.json'), 'utf8')) as { modelTopology: { config: { layers: Array<{ name: string }> } } };
    expect(topology.modelTopology.config.layers.map((l) => l.name)).toContain('block3_add');
    expect(testAccuracy(data, 'res', 'r')).toBeGreaterThanOrEqual(0.9);

    // Resume: a run cut after 10 of 20 epochs continues from its checkpoint to the same metrics.
    writeConfig(data, 'cut', '[model]\ntype = "residual-mlp"\n\n[training]\nepochs = 20\nbackend = "cpu"\n[training.early_stopping]\nenabled = false\n');
    expect(expman(['train', '--data', data, '--experiment', 'cut', '--model', 'full']).code).toBe(0);
    expect(expman(['train', '--data', data, '--experiment', 'cut', '--model', 'part', '--set', 'training.epochs=10']).code).toBe(0);
    const part = join(data, 'experiments/cut/models/part');
    // Make it look like a run of 20 epochs that was killed after epoch 10.
    const configPath = join(part, 'config.toml');
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace(/^epochs = 10$/m, 'epochs = 20'));
    const status = JSON.parse(readFileSync(join(part, 'status.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(part, 'status.json'), JSON.stringify({ ...status, status: 'running', epochs: 20, pid: 999_999_999 }));
    const resumed = expman(['train', '--data', data, '--resume', part]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(epochMetrics(part)).toEqual(epochMetrics(join(data, 'experiments/cut/models/full')));
  });
});

describe('model modules: a worker killed with SIGKILL', () => {
  it('resumes from its last complete checkpoint to the same epochs, early stop, best model and test metrics as an uninterrupted run', async () => {
    const data = tempDataDir();
    expect(expman(['preprocess', '--data', data, '--separate-sets']).code).toBe(0);
    copyFileSync(join(examples, 'residual-mlp.mjs'), (mkdirSync(join(data, 'models')), join(data, 'models/residual-mlp.mjs')));
    // Early stopping on (small patience), so the stopping state in the checkpoint matters too; wasm, the
    // backend a worker picks by default where no native one is installed.
    writeConfig(data, 'kill', '[model]\ntype = "residual-mlp"\n\n[model.params]\nunits = 16\nblocks = 2\n\n[training]\nepochs = 80\nlearning_rate = 0.03\nbackend = "wasm"\n\n[training.early_stopping]\npatience = 6\n\n[checkpoints]\nkeep_last = 2\n');
    const runDir = (model: string) => join(data, 'experiments/kill/models', model);
    expect(expman(['train', '--data', data, '--experiment', 'kill', '--model', 'straight']).code).toBe(0);

    const child = expmanAsync(['train', '--data', data, '--experiment', 'kill', '--model', 'killed', '--json']);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    for await (const line of createInterface({ input: child.stdout })) {
      const event = JSON.parse(line) as { event: string; epoch?: number };
      if (event.event === 'epoch_end' && event.epoch === 7) {
        child.kill('SIGKILL'); // mid-run, possibly mid-checkpoint
        break;
      }
    }
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(join(runDir('killed'), 'lock.json'))).toBe(true); // a dead writer's lock: stale, taken over

    // The worker's own command line (what the app starts for a resume).
    const resumed = expman(['train', '--resume', runDir('killed'), '--json']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(jsonLines<{ event: string; from_epoch?: number }>(resumed.stdout).find((e) => e.event === 'run_resumed')?.from_epoch).toBeGreaterThanOrEqual(5);

    const events = (model: string) =>
      readFileSync(join(runDir(model), 'logs/metrics.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const byEpoch = (model: string) => {
      const epochs = new Map<number, unknown>();
      for (const e of events(model)) if (e['event'] === 'epoch_end') epochs.set(e['epoch'] as number, [e['loss'], e['accuracy'], e['val_loss'], e['val_accuracy']]);
      return [...epochs.entries()].sort((a, b) => a[0] - b[0]);
    };
    const ending = (model: string) => {
      const list = events(model);
      const finished = list.find((e) => e['event'] === 'run_finished')!;
      const early = list.find((e) => e['event'] === 'early_stopped');
      return { epochs_completed: finished['epochs_completed'], best: finished['best'], early: early && { epoch: early['epoch'], best_epoch: early['best_epoch'] } };
    };
    const straight = byEpoch('straight');
    expect(straight.length).toBeLessThan(80); // it did stop early
    expect(byEpoch('killed')).toEqual(straight);
    expect(ending('killed')).toEqual(ending('straight'));
    const weights = (model: string) => createHash('sha256').update(readFileSync(join(runDir(model), 'best-model/weights.bin'))).digest('hex');
    expect(weights('killed')).toBe(weights('straight'));
    const tested = (model: string) => {
      const run = expman(['test', '--data', data, '--experiment', 'kill', '--model', model, '--json']);
      expect(run.stderr).toBe('');
      // Everything but where the results were written: best epoch, accuracy, per-class, confusion matrix.
      const { dir: _dir, model: _model, files: _files, ...result } = jsonLines<Record<string, unknown>>(run.stdout).at(-1)!;
      expect(result['accuracy']).toBeGreaterThan(0.8);
      return result;
    };
    expect(tested('killed')).toEqual(tested('straight'));
  }, 240_000);
});

describe('model modules: bad input is one line, a non-zero exit and no run folder', () => {
  const cases: Array<{ name: string; source: string; config?: string; expected: RegExp }> = [
    { name: 'syntax', source: 'export default function build() {\n  return 1 +;\n}\n', expected: /models\/syntax\.mjs:2: syntax error: Unexpected token/ },
    {
      name: 'throws',
      source: 'export default function build({ tf }) {\n  const x = 1;\n  throw new Error("no GPU today");\n}\n',
      expected: /models\/throws\.mjs: build\(\) threw: no GPU today \(at .*models\/throws\.mjs:3:9\)/,
    },
    { name: 'notmodel', source: 'export default function build({ tf }) {\n  return { layers: [] };\n}\n', expected: /models\/notmodel\.mjs: build\(\) returned an object \(Object\), not a tf\.LayersModel/ },
    {
      name: 'wrongout',
      source: 'export default function build({ tf, inputShape }) {\n  return tf.sequential({ layers: [tf.layers.dense({ inputShape, units: 1 })] });\n}\n',
      expected: /models\/wrongout\.mjs: the model's output does not fit the classification task: expects \[N, 3\], got \[N, 1\]/,
    },
    {
      name: 'badshape',
      source: 'export const inputShape = [8, 8, 1];\nexport default function build({ tf, inputShape, outputSize }) {\n  return tf.sequential({ layers: [tf.layers.flatten({ inputShape }), tf.layers.dense({ units: outputSize })] });\n}\n',
      expected: /models\/badshape\.mjs: inputShape \[8, 8, 1\] expects 64 features, the dataset has 4/,
    },
    { name: 'nobuild', source: 'export const x = 1;\n', expected: /models\/nobuild\.mjs: exports no build function/ },
    {
      name: 'params',
      source: `export const paramsSchema = { units: { type: 'integer', default: 8, min: 1 } };\nexport default function build({ tf }) { throw new Error('not reached'); }\n`,
      config: '[model]\ntype = "params"\n\n[model.params]\nunits = 8\nunitz = 3\n',
      expected: /experiments\/e\/config\.toml:6:1: model\.params\.unitz: unknown key for model module .*models\/params\.mjs \(it accepts: units\)/,
    },
    {
      name: 'paramtype',
      source: `export const paramsSchema = { units: { type: 'integer', default: 8, min: 1 } };\nexport default function build({ tf }) { throw new Error('not reached'); }\n`,
      config: '[model]\ntype = "paramtype"\n\n[model.params]\nunits = "many"\n',
      expected: /experiments\/e\/config\.toml:5:1: model\.params\.units: expected integer ≥ 1, got string "many"/,
    },
    { name: 'missing', source: '', config: '[model]\ntype = "nowhere"\n', expected: /models\/nowhere\.mjs: model module "nowhere" not found/ },
    { name: 'outside', source: '', config: '[model]\ntype = "../../etc/x"\n', expected: /config\.toml:2:1: model\.type: expected model name/ },
  ];
  for (const { name, source, config, expected } of cases) {
    it(name, () => {
      const data = tempDataDir();
      expect(expman(['preprocess', '--data', data, '--separate-sets']).code).toBe(0);
      if (source) installModule(data, name, source);
      writeConfig(data, 'e', `${config ?? `[model]\ntype = "${name}"\n`}\n[training]\nepochs = 2\nbackend = "cpu"\n`);
      const run = expman(['train', '--data', data, '--experiment', 'e']);
      expect(run.code).not.toBe(0);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(expected);
      expect(existsSync(join(data, 'experiments/e/models')) ? readdirSync(join(data, 'experiments/e/models')) : []).toEqual([]);
    });
  }
});
