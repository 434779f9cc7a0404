import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { expman, expmanAsync, jsonLines, listTree, repoRoot, tempDataDir } from '../helpers/data-dir.js';

// Debian's python3-torch installs for /usr/bin/python3, which may not be the first python3 on PATH.
const env = { PATH: `/usr/bin:${process.env['PATH'] ?? ''}` };
const run = (args: string[]) => expman(args, { env });

if (spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
  throw new Error('python3-torch is needed (.ci/run installs it)');
}

/**
 * A dependency-free objective written with the helper (python/expman_run.py): its metrics are known
 * functions of `[params]` x and hidden. `score` (a custom name) peaks at x = 0.3; `val_loss` is lowest
 * there. It writes its pid and starts a helper process in its group (a data-loader worker, say) so a test
 * can check that a stop reaches the whole group.
 */
const OBJECTIVE = `import os, subprocess, time
from expman_run import Run
run = Run()
x = float(run.params["x"])
hidden = int(run.params.get("hidden", 1))
epochs = run.get("training.epochs", 3)
helper = subprocess.Popen(["sleep", "300"])
with open(os.path.join(os.environ["EXPMAN_RUN_DIR"], "pids"), "w") as f:
    f.write(f"{os.getpid()} {helper.pid}")
print(f"objective x={x} hidden={hidden}")
for epoch in range(1, epochs + 1):
    time.sleep(float(run.params.get("delay", 0)))
    run.epoch_end(epoch, epochs, score=round(1 - (x - 0.3) ** 2 * hidden - 1 / (epoch + 1), 6), val_loss=round((x - 0.3) ** 2 + 1 / epoch, 6))
`;

/** A data folder with prepared Iris and experiment `obj` whose command is the objective above. */
function objectiveData(): string {
  const data = tempDataDir();
  expect(run(['preprocess', '--data', data]).code).toBe(0);
  const code = join(data, 'experiments', 'obj', 'code');
  mkdirSync(code, { recursive: true });
  writeFileSync(join(code, 'objective.py'), OBJECTIVE);
  cpSync(join(repoRoot, 'python/expman_run.py'), join(code, 'expman_run.py'));
  writeFileSync(join(data, 'experiments', 'obj', 'config.toml'), '[training]\nepochs = 3\n\n[command]\ntrain = ["python3", "objective.py"]\nstop_grace_seconds = 2\n\n[params]\nx = 0.5\nhidden = 1\n');
  return data;
}

function sweepFile(data: string, name: string, body: string): string {
  const file = join(data, `${name}.toml`);
  writeFileSync(file, `name = "${name}"\nexperiment = "obj"\n${body}`);
  return file;
}

const runDir = (data: string, model: string): string => join(data, 'experiments', 'obj', 'models', model);
const status = (dir: string) => JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { status: string; epoch: number };
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

interface Trial {
  trial: number;
  run: string;
  status: string;
  params: Record<string, unknown>;
  value?: number;
  epoch?: number;
  reason?: string;
}

describe('sweeps over command runs', () => {
  test('a grid over [params] keys: each trial trains its params (completed config), its value is the metric the script writes, the best is found', () => {
    const data = objectiveData();
    const file = sweepFile(data, 'grid', 'method = "grid"\nmetric = "score"\ngoal = "maximize"\nparallel = 2\n[parameters]\n"params.x" = [0.1, 0.3, 0.9]\n"params.hidden" = [1, 2]\n');
    const r = run(['sweep', 'start', file, '--data', data]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Sweep obj\/grid finished: every grid point tried \(6\)/);

    const detail = JSON.parse(run(['sweep', 'status', 'grid', '--experiment', 'obj', '--data', data, '--json']).stdout) as { summary: Record<string, unknown>; trials: Trial[] };
    expect(detail.trials).toHaveLength(6);
    for (const t of detail.trials) {
      const x = t.params['params.x'] as number;
      const hidden = t.params['params.hidden'] as number;
      // The run trained exactly these params: they are in its completed config snapshot, tagged with the sweep.
      const config = readFileSync(join(runDir(data, t.run), 'config.toml'), 'utf8');
      expect(config).toMatch(new RegExp(`\\[params\\]\\nx = ${x}\\nhidden = ${hidden}\\n`));
      expect(config).toMatch(/sweep = "grid"/);
      expect(readFileSync(join(runDir(data, t.run), 'logs', 'run.log'), 'utf8')).toContain(`objective x=${x} hidden=${hidden}`);
      // The value is the best `score` the script wrote (its last epoch: score grows with the epoch).
      expect(t).toMatchObject({ status: 'finished', epoch: 3 });
      expect(t.value).toBeCloseTo(1 - (x - 0.3) ** 2 * hidden - 1 / 4, 5);
    }
    expect(new Set(detail.trials.map((t) => JSON.stringify(t.params))).size).toBe(6);
    const best = detail.trials.find((t) => t.params['params.x'] === 0.3 && t.params['params.hidden'] === 1)!;
    expect(detail.summary).toMatchObject({ name: 'grid', experiment: 'obj', status: 'finished', live: false, metric: 'score', goal: 'maximize', trials: 6, counts: { finished: 6 } });
    expect((detail.summary['best'] as { value: number }).value).toBeCloseTo(0.75, 5);
    // x = 0.3 scores the same for both hidden values: the best is one of them.
    expect([best.run, detail.trials.find((t) => t.params['params.x'] === 0.3 && t.params['params.hidden'] === 2)!.run]).toContain((detail.summary['best'] as { run: string }).run);

    const text = run(['sweep', 'status', 'grid', '--experiment', 'obj', '--data', data]).stdout;
    expect(text).toMatch(/^grid, maximize score; 6 trials \(6 finished\); best 0\.75 \(trial \d, grid-t000\d\)$/m);
    expect(text).toMatch(/^\* +\d +grid-t000\d +finished +3 +0\.75 +params\.x=0\.3 params\.hidden=[12]$/m);
    expect(run(['sweep', 'status', '--data', data]).stdout).toMatch(/^obj\/grid {2}finished {2}grid {2}6\/6 trials \(6 finished\) {2}best score 0\.75 \(grid-t000\d\)$/m);
  }, 180_000);

  test('a metric the script never writes: the sweep fails when its first trial ends, with one clear line, and starts nothing more', () => {
    const data = objectiveData();
    const file = sweepFile(data, 'nometric', 'method = "grid"\nmetric = "val_acc"\ngoal = "maximize"\n[parameters]\n"params.x" = [0.1, 0.3, 0.9]\n');
    const r = run(['sweep', 'start', file, '--data', data]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['expman: error: metric "val_acc": trial 0 (run nometric-t0000) ended without writing it; its runs write score, val_loss']);
    expect(readdirSync(join(data, 'experiments', 'obj', 'models'))).toEqual(['nometric-t0000']);
    const detail = JSON.parse(run(['sweep', 'status', 'nometric', '--experiment', 'obj', '--data', data, '--json']).stdout) as { summary: Record<string, unknown>; trials: Trial[] };
    expect(detail.summary).toMatchObject({ status: 'failed', trials: 1, best: null });
  }, 120_000);

  test('ASHA prunes a command run: the worker stops the script’s whole process group, the run ends `pruned` with its logs and metrics', () => {
    const data = objectiveData();
    // One at a time, so the decision is deterministic: trial 1 (x far from the optimum) meets trial 0's
    // curve at the rung of epoch 1 and is not in the top 1/3.
    const file = sweepFile(data, 'asha', 'method = "grid"\nmetric = "val_loss"\ngoal = "minimize"\n[set]\n"training.epochs" = 8\n"params.delay" = 0.4\n[parameters]\n"params.x" = [0.3, 2.0]\n[pruner]\ntype = "asha"\nmin_epochs = 1\neta = 3\n');
    const r = run(['sweep', 'start', file, '--data', data]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^trial 1 pruned at epoch \d: val_loss [\d.]+ {2}params\.x=2 {2}\(ASHA rung at epoch 1: 3\.89 is not in the top 1 of 2 \(η=3\)\)$/m);
    const trials = JSON.parse(run(['sweep', 'status', 'asha', '--experiment', 'obj', '--data', data, '--json']).stdout).trials as Trial[];
    expect(trials.map((t) => t.status)).toEqual(['finished', 'pruned']);

    const dir = runDir(data, 'asha-t0001');
    const s = status(dir);
    expect(s.status).toBe('pruned');
    expect(s.epoch).toBeLessThan(8);
    // Stopped through its worker (SIGTERM to the process group): the script and the helper it started are gone.
    const [script, helper] = readFileSync(join(dir, 'pids'), 'utf8').split(' ').map(Number) as [number, number];
    expect(alive(script)).toBe(false);
    expect(alive(helper)).toBe(false);
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
    // Logs and metrics kept: the script's output, the worker's stop, the sweep's reason.
    const log = readFileSync(join(dir, 'logs', 'run.log'), 'utf8');
    expect(log).toContain('objective x=2.0 hidden=1');
    expect(log).toMatch(/stopped after \d epochs/);
    expect(log).toMatch(/pruned by the sweep: ASHA rung at epoch 1/);
    const events = jsonLines(readFileSync(join(dir, 'logs', 'metrics.jsonl'), 'utf8'));
    expect(events.filter((e) => e['event'] === 'epoch_end').length).toBe(s.epoch);
    expect(events.at(-1)).toMatchObject({ event: 'run_stopped' });
    // The unpruned trial ran to its end.
    expect(status(runDir(data, 'asha-t0000'))).toMatchObject({ status: 'finished', epoch: 8 });
  }, 180_000);

  test('`sweep stop` stops the running command trials (resumable); `sweep resume` continues them in their folders and finishes', async () => {
    const data = objectiveData();
    const file = sweepFile(data, 'sr', 'method = "grid"\nmetric = "score"\ngoal = "maximize"\nparallel = 2\n[set]\n"training.epochs" = 20\n"params.delay" = 0.3\n[parameters]\n"params.x" = [0.1, 0.3, 0.9]\n');
    const trials = (): Trial[] => {
      const f = join(data, 'experiments', 'obj', 'sweeps', 'sr', 'trials.json');
      return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Trial[]) : [];
    };
    const child = expmanAsync(['sweep', 'start', file, '--data', data]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!(trials().filter((t) => t.status === 'running').length === 2 && (trials()[0]?.epoch ?? 0) >= 2)) {
      if (Date.now() > deadline) throw new Error('timed out waiting for two running trials');
      await new Promise((r) => setTimeout(r, 100));
    }
    const stop = run(['sweep', 'stop', 'sr', '--experiment', 'obj', '--data', data]);
    expect(stop.stderr).toBe('');
    expect(stop.stdout).toMatch(/^Sweep obj\/sr stopped: 2 trials \(2 stopped\)/);
    expect(await exited).toBe(0);
    for (const t of trials()) {
      expect(status(runDir(data, t.run)).status).toBe('stopped');
      const [script, helper] = readFileSync(join(runDir(data, t.run), 'pids'), 'utf8').split(' ').map(Number) as [number, number];
      expect([alive(script), alive(helper)]).toEqual([false, false]);
    }
    const resume = run(['sweep', 'resume', 'sr', '--experiment', 'obj', '--data', data]);
    expect(resume.stderr).toBe('');
    expect(resume.stdout).toMatch(/Sweep obj\/sr finished: every grid point tried \(3\)/);
    expect(trials().map((t) => [t.run, t.status, t.epoch])).toEqual([['sr-t0000', 'finished', 20], ['sr-t0001', 'finished', 20], ['sr-t0002', 'finished', 20]]);
    // The stopped trials went on in their own folders (run_resumed), nothing was started twice.
    for (const model of ['sr-t0000', 'sr-t0001']) {
      const events = jsonLines(readFileSync(join(runDir(data, model), 'logs', 'metrics.jsonl'), 'utf8'));
      expect(events.filter((e) => e['event'] === 'run_started')).toHaveLength(1);
      expect(events.filter((e) => e['event'] === 'run_resumed')).toHaveLength(1);
    }
    expect(readdirSync(join(data, 'experiments', 'obj', 'models')).sort()).toEqual(['sr-t0000', 'sr-t0001', 'sr-t0002']);
  }, 180_000);

  test("a [sweep] table in the experiment's own config.toml: the experiment's config stays valid and the table drives the sweep", () => {
    const data = objectiveData();
    const config = join(data, 'experiments', 'obj', 'config.toml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}\n[sweep]\nname = "own"\nexperiment = "obj"\nmethod = "grid"\nmetric = "score"\ngoal = "maximize"\n[sweep.parameters]\n"params.x" = [0.2, 0.3]\n`);
    expect(run(['config', 'show', '--experiment', 'obj', '--data', data]).stderr).toBe('');
    const r = run(['sweep', 'start', config, '--data', data]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Sweep obj\/own finished: every grid point tried \(2\)/);
    // The runs' completed snapshots carry configuration only, not the sweep's table.
    expect(readFileSync(join(runDir(data, 'own-t0000'), 'config.toml'), 'utf8')).not.toMatch(/^\[sweep/m);
    expect(run(['train', '--experiment', 'obj', '--model', 'plain', '--data', data]).code).toBe(0);
  }, 120_000);

  test('the PyTorch example: a sweep over params.lr ranks its trials by the val_loss train.py writes', () => {
    const data = objectiveData();
    const code = join(data, 'experiments', 'torch', 'code');
    mkdirSync(code, { recursive: true });
    for (const name of ['model.py', 'train.py', 'test.py']) cpSync(join(repoRoot, 'examples/pytorch', name), join(code, name));
    cpSync(join(repoRoot, 'python/expman_run.py'), join(code, 'expman_run.py'));
    writeFileSync(join(data, 'experiments', 'torch', 'config.toml'), '[training]\nepochs = 3\nbatch_size = 16\n\n[command]\ntrain = ["python3", "train.py"]\n\n[params]\nlr = 0.02\n');
    const file = join(data, 'torch.toml');
    writeFileSync(file, 'experiment = "torch"\nmethod = "grid"\nmetric = "val_loss"\ngoal = "minimize"\nparallel = 2\n[parameters]\n"params.lr" = [0.00001, 0.05]\n');
    const r = run(['sweep', 'start', file, '--data', data]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const detail = JSON.parse(run(['sweep', 'status', 'torch', '--experiment', 'torch', '--data', data, '--json']).stdout) as { summary: { best: { run: string } }; trials: Trial[] };
    expect(detail.trials.map((t) => [t.params['params.lr'], t.status, t.epoch])).toEqual([[0.00001, 'finished', 3], [0.05, 'finished', 3]]);
    for (const t of detail.trials) {
      const dir = join(data, 'experiments', 'torch', 'models', t.run);
      expect(Number(/\[params\]\nlr = (\S+)\n/.exec(readFileSync(join(dir, 'config.toml'), 'utf8'))?.[1])).toBe(t.params['params.lr']);
      // The trial's value is the lowest val_loss its script wrote.
      const written = jsonLines(readFileSync(join(dir, 'logs', 'metrics.jsonl'), 'utf8')).filter((e) => e['event'] === 'epoch_end').map((e) => e['val_loss'] as number);
      expect(t.value).toBe(Math.min(...written));
    }
    // A tiny learning rate barely moves in 3 epochs: lr 0.05 is the best trial.
    expect(detail.summary.best.run).toBe(detail.trials[1]!.run);
  }, 180_000);
});

describe('sweep definitions over params and model.params: one clear line, nothing started', () => {
  function moduleData(): string {
    const data = objectiveData();
    mkdirSync(join(data, 'models'), { recursive: true });
    cpSync(join(repoRoot, 'examples/models/residual-mlp.mjs'), join(data, 'models', 'residual-mlp.mjs'));
    mkdirSync(join(data, 'experiments', 'mod'));
    writeFileSync(join(data, 'experiments', 'mod', 'config.toml'), '[model]\ntype = "residual-mlp"\n\n[training]\nepochs = 2\n');
    return data;
  }
  const head = (experiment: string) => `experiment = "${experiment}"\nmethod = "random"\nmetric = "val_loss"\ngoal = "minimize"\n[budget]\ntrials = 2\n[parameters]\n`;

  test.each([
    ['a model.params key the module does not declare', 'mod', '"model.params.unitz" = [4, 8]', /^expman: error: \S+bad\.toml:8:1: parameters\.model\.params\.unitz: model\.params\.unitz is not a param of model module \S+residual-mlp\.mjs \(it accepts: units, blocks, activation\)$/],
    ['a model.params range outside the module’s bounds', 'mod', '"model.params.units" = { int = [0, 8] }', /bad\.toml:8:1: parameters\.model\.params\.units: expected integer ≥ 1 and ≤ 4096, got integer 0$/],
    ['a model.params choice the module refuses', 'mod', '"model.params.activation" = ["relu", "gelu"]', /parameters\.model\.params\.activation: expected one of "relu", "tanh", "elu", "selu", got string "gelu"$/],
    ['a float range over an integer model param', 'mod', '"model.params.units" = { uniform = [2, 8] }', /parameters\.model\.params\.units: model\.params\.units takes integers: use \{ int = \[2, 8\] \} or a list$/],
    ['model.params for the built-in model', 'default', '"model.params.units" = [4]', /parameters\.model\.params\.units: model params are for model modules; model\.type is "simple"$/],
    ['a key outside the free-form tables', 'obj', '"param.x" = [0.1]', /bad\.toml:8:1: parameters\.param\.x: param\.x is not a config key \(did you mean params\?\)$/],
    ['a params range with min > max', 'obj', '"params.x" = { uniform = [1, 0] }', /parameters\.params\.x: uniform: min 1 is greater than max 0$/],
  ])('%s', (_what, experiment, parameters, message) => {
    const data = moduleData();
    const file = join(data, 'bad.toml');
    writeFileSync(file, `${head(experiment)}${parameters}\n`);
    const before = listTree(data);
    const r = run(['sweep', 'start', file, '--data', data]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(listTree(data)).toEqual(before);
  }, 60_000);

  test('free-form params keys (any name, nested table form) and declared model params are accepted', () => {
    const data = moduleData();
    const file = join(data, 'ok.toml');
    writeFileSync(file, `${head('obj').replace('trials = 2', 'trials = 1')}[parameters.params]\nx = { uniform = [0.2, 0.4] }\nanything_new = ["a", "b"]\n[set]\n"training.epochs" = 1\n`);
    const r = run(['sweep', 'start', file, '--data', data]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const config = readFileSync(join(runDir(data, 'ok-t0000'), 'config.toml'), 'utf8');
    expect(config).toMatch(/anything_new = "[ab]"/);
    const mod = join(data, 'mod.toml');
    writeFileSync(mod, `${head('mod').replace('trials = 2', 'trials = 1')}"model.params.units" = { int = [2, 8] }\n"model.params.activation" = ["relu", "tanh"]\n[set]\n"model.params.blocks" = 1\n"training.epochs" = 1\n`);
    const m = run(['sweep', 'start', mod, '--data', data]);
    expect(m.stderr).toBe('');
    expect(m.code).toBe(0);
  }, 120_000);
});
