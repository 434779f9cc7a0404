import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliBundle, expman, jsonLines, repoRoot, tempDataDir, testLogDir } from '../helpers/data-dir.js';

// Debian's python3-torch installs for /usr/bin/python3, which may not be the first python3 on PATH.
const PATH = `/usr/bin:${process.env['PATH'] ?? ''}`;
const env = { PATH };
const run = (args: string[]) => expman(args, { env });

if (spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
  throw new Error('python3-torch is needed (.ci/run installs it)');
}

/** A data folder with prepared Iris and experiment `exp` whose code folder holds `files` (name → text or a file to copy). */
function setup(config: string, files: Record<string, string> = {}, experiment = 'exp'): { data: string; code: string } {
  const data = tempDataDir();
  expect(run(['preprocess', '--data', data]).code).toBe(0);
  const code = join(data, 'experiments', experiment, 'code');
  mkdirSync(code, { recursive: true });
  writeFileSync(join(data, 'experiments', experiment, 'config.toml'), config);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(code, name), content);
  return { data, code };
}

/** The PyTorch example (examples/pytorch) and the helper (python/expman_run.py) as an experiment's code. */
function pytorchExample(config: string, experiment = 'torch'): { data: string; code: string } {
  const made = setup(config, {}, experiment);
  for (const name of ['model.py', 'train.py', 'test.py']) cpSync(join(repoRoot, 'examples/pytorch', name), join(made.code, name));
  cpSync(join(repoRoot, 'python/expman_run.py'), join(made.code, 'expman_run.py'));
  return made;
}

const TORCH_CONFIG = `[training]\nepochs = 6\nbatch_size = 16\n\n[command]\ntrain = ["python3", "train.py"]\ntest = ["python3", "test.py"]\n\n[params]\nlr = 0.02\n`;

function events(dir: string): Array<Record<string, unknown>> {
  return readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** Per-epoch metrics, the last record of each epoch winning (a resumed run repeats epochs), without timings. */
function epochMetrics(dir: string): Array<Record<string, unknown>> {
  const byEpoch = new Map<number, Record<string, unknown>>();
  for (const e of events(dir)) if (e['event'] === 'epoch_end') byEpoch.set(e['epoch'] as number, e);
  return [...byEpoch.values()].sort((a, b) => (a['epoch'] as number) - (b['epoch'] as number)).map(({ time: _t, duration_ms: _d, ...rest }) => rest);
}

const status = (dir: string) => JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { status: string; epoch: number; epochs: number; best: { epoch: number; val_loss: number; val_accuracy?: number } | null; error?: { code: string; message: string; stderr_tail?: string[] } };

/** Starts a worker the way the app does, without waiting for it. */
function startWorker(args: string[]) {
  return spawn(process.execPath, [cliBundle, ...args], { cwd: repoRoot, env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir, PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function waitFor(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
};

describe('command runs: the PyTorch example', () => {
  it('trains, is listed with its metrics, records provenance, tests, and re-runs with the same per-epoch metrics', () => {
    const { data } = pytorchExample(TORCH_CONFIG);
    const trained = run(['train', '--data', data, '--experiment', 'torch', '--model', 'a']);
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);
    const dir = join(data, 'experiments/torch/models/a');
    expect(status(dir)).toMatchObject({ status: 'finished', epoch: 6, epochs: 6 });
    expect(readdirSync(join(dir, 'checkpoints')).sort()).toEqual([2, 3, 4, 5, 6].map((n) => `model-checkpoint-epoch-${n}.pth`));
    expect(existsSync(join(dir, 'best-model.pth'))).toBe(true);
    // The script's prints are in the run log, with timestamps.
    expect(readFileSync(join(dir, 'logs/run.log'), 'utf8')).toMatch(/^\[\d{4}-\d\d-\d\d [\d:.]+\] \[info\] +epoch 6\/6 loss=/m);
    // Any metric name is kept (lr is not one of the built-in trainer's).
    expect(epochMetrics(dir)[0]).toMatchObject({ epoch: 1, epochs: 6, lr: 0.02 });

    const listed = jsonLines<{ runs: Array<{ model: string; status: string; backend: string; epoch: number; best: { epoch: number; val_loss: number; val_accuracy: number } }> }>(run(['list', '--data', data, '--json']).stdout)[0]!.runs;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ model: 'a', status: 'finished', backend: 'command', epoch: 6 });
    expect(listed[0]!.best.val_accuracy).toBeGreaterThan(0.8);
    expect(run(['list', '--data', data]).stdout).toMatch(/^torch\s+a\s+finished\s+6\/6\s+command\s+\d\s+0\.\d{4}\s+0\.\d{4}/m);

    const config = readFileSync(join(dir, 'config.toml'), 'utf8');
    expect(config).toMatch(/^command = \[ "python3", "train\.py" \]$/m);
    expect(config).toMatch(/^command_interpreter = "Python 3\.\d+/m);
    expect(config).toContain('command_code = "experiments/torch/code"');
    expect(config).toMatch(/^\s*"train\.py" = "[0-9a-f]{64}"$/m);
    expect(config).toMatch(/^\[params\]\nlr = 0\.02$/m);

    const tested = run(['test', '--data', data, '--experiment', 'torch', '--model', 'a', '--json']);
    expect(tested.code).toBe(0);
    const result = jsonLines<{ files: string[]; metrics: Record<string, number> }>(tested.stdout).at(-1)!;
    expect(result.files).toEqual(['metrics.csv', 'predictions.csv']);
    expect(result.metrics['accuracy']).toBeGreaterThan(0.8);
    expect(run(['list', '--data', data]).stdout).toMatch(/^torch\s+a\s+finished.*0\.\d{4}\s+python3 train\.py$/m);

    // A later edit of the experiment's code changes nothing for the re-run: it uses the run's copy.
    writeFileSync(join(data, 'experiments/torch/code/train.py'), 'raise SystemExit("edited")\n');
    const rerun = run(['rerun', join(dir), '--model', 'b']);
    expect(rerun.stderr).toBe('');
    expect(rerun.code).toBe(0);
    expect(epochMetrics(join(data, 'experiments/torch/models/b'))).toEqual(epochMetrics(dir));
  });

  it('kill -9 of the worker mid-run, then resume: the script dies with it, and the resumed run ends at the same epoch with the same metrics', async () => {
    const { data } = pytorchExample(TORCH_CONFIG.replace('lr = 0.02', 'lr = 0.02\nepoch_delay = 0.5').replace('epochs = 6', 'epochs = 8'));
    const dir = join(data, 'experiments/torch/models/k');
    const worker = startWorker(['train', '--data', data, '--experiment', 'torch', '--model', 'k', '--json']);
    // The script logs an epoch's metrics before it saves that epoch's checkpoint (atomically): wait for both.
    await waitFor('epoch 3 and its checkpoint', () => existsSync(join(dir, 'checkpoints/model-checkpoint-epoch-3.pth')) && epochMetrics(dir).length >= 3);
    const lock = JSON.parse(readFileSync(join(dir, 'lock.json'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(worker.pid);
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker.once('exit', resolve));
    // The script was killed with its supervisor (no orphan keeps writing into the run).
    const before = epochMetrics(dir).length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(epochMetrics(dir).length).toBe(before);
    expect(before).toBeLessThan(8);
    expect(jsonLines<{ runs: Array<{ status: string }> }>(run(['list', '--data', data, '--json']).stdout)[0]!.runs[0]!.status).toBe('failed');

    const resumed = run(['train', '--resume', dir]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(status(dir)).toMatchObject({ status: 'finished', epoch: 8, epochs: 8 });
    const resume = events(dir).find((e) => e['event'] === 'run_resumed')!;
    expect(resume['from_epoch']).toBeGreaterThanOrEqual(3);
    expect(resume['checkpoint']).toBe(`checkpoints/model-checkpoint-epoch-${String(resume['from_epoch'])}.pth`);
    expect(readFileSync(join(dir, 'logs/run.log'), 'utf8')).toContain(`resuming after epoch ${String(resume['from_epoch'])} from ${dir}/checkpoints/`);
    expect(epochMetrics(dir).map((e) => e['epoch'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // An uninterrupted run of the same config has the same per-epoch metrics: the resume was exact.
    expect(run(['rerun', dir, '--model', 'straight']).code).toBe(0);
    expect(epochMetrics(join(data, 'experiments/torch/models/straight'))).toEqual(epochMetrics(dir));
  });
});

describe('command runs: stop and bad input', () => {
  it('a script that ignores SIGTERM is killed after the grace period and the run is stopped, not stuck', async () => {
    const stubborn = `import json, os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open(os.path.join(os.environ["EXPMAN_RUN_DIR"], "script.pid"), "w").write(str(os.getpid()))
with open(os.environ["EXPMAN_METRICS"], "a") as f:
    f.write(json.dumps({"event": "epoch_end", "epoch": 1, "epochs": 5, "loss": 1.0, "val_loss": 0.9}) + "\\n")
print("ready", flush=True)
while True:
    time.sleep(0.1)
`;
    const { data } = setup('[training]\nepochs = 5\n\n[command]\ntrain = ["python3", "stubborn.py"]\nstop_grace_seconds = 1\n', { 'stubborn.py': stubborn });
    const dir = join(data, 'experiments/exp/models/s');
    const worker = startWorker(['train', '--data', data, '--experiment', 'exp', '--model', 's']);
    await waitFor('the script', () => existsSync(join(dir, 'logs/run.log')) && readFileSync(join(dir, 'logs/run.log'), 'utf8').includes('ready'));
    const pid = Number(readFileSync(join(dir, 'script.pid'), 'utf8'));
    const stoppedAt = Date.now();
    worker.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => worker.once('exit', resolve));
    const took = Date.now() - stoppedAt;
    expect(code).toBe(143);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(8000);
    expect(alive(pid)).toBe(false);
    expect(status(dir)).toMatchObject({ status: 'stopped', epoch: 1 });
    expect(readFileSync(join(dir, 'logs/run.log'), 'utf8')).toContain('killed: it did not end within 1 s of SIGTERM');
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
  });

  it('refuses a command that is not on PATH, naming it and the PATH, before a run folder exists', () => {
    const { data } = setup('[command]\ntrain = ["no-such-python", "train.py"]\n', { 'train.py': '' });
    const result = run(['train', '--data', data, '--experiment', 'exp']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`command.train: command "no-such-python" not found on PATH (${PATH}`);
    expect(existsSync(join(data, 'experiments/exp/models'))).toBe(false);
  });

  it('refuses a missing code folder, naming it', () => {
    const { data } = setup('[command]\ntrain = ["python3", "train.py"]\ncode = "src"\n');
    const result = run(['train', '--data', data, '--experiment', 'exp']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`command.code: code folder ${join(data, 'experiments/exp/src')} does not exist`);
    expect(existsSync(join(data, 'experiments/exp/models'))).toBe(false);
    const outside = setup('[command]\ntrain = ["python3", "train.py"]\ncode = "../../elsewhere"\n');
    expect(run(['train', '--data', outside.data, '--experiment', 'exp']).stderr).toContain('command.code: "../../elsewhere" must be a folder inside the experiment folder');
  });

  it('a script that exits at once with an error fails the run with its stderr tail (status, CLI, list)', () => {
    const { data } = setup('[command]\ntrain = ["python3", "fail.py"]\n', { 'fail.py': 'import sys\nprint("loading data", flush=True)\nprint("Traceback (most recent call last):", file=sys.stderr)\nsys.exit("ValueError: column petal_size not found")\n' });
    const result = run(['train', '--data', data, '--experiment', 'exp', '--model', 'f']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('python3 fail.py exited with code 1: ValueError: column petal_size not found');
    const dir = join(data, 'experiments/exp/models/f');
    expect(status(dir)).toMatchObject({ status: 'failed', error: { code: 'COMMAND_FAILED', stderr_tail: ['Traceback (most recent call last):', 'ValueError: column petal_size not found'] } });
    expect(readFileSync(join(dir, 'logs/run.log'), 'utf8')).toContain('loading data');
    const listed = run(['list', '--data', data]).stdout;
    expect(listed).toContain('exp/f failed: python3 fail.py exited with code 1: ValueError: column petal_size not found');
    expect(listed).toContain('  | Traceback (most recent call last):');
  });

  it('skips malformed metric lines, counts them and reports them once; the valid events still count', () => {
    const writer = `import json, os
lines = ['not json at all', 'null', '42', '{"no_event": 1}']
for epoch in (1, 2):
    lines.append(json.dumps({"event": "epoch_end", "epoch": epoch, "epochs": 2, "loss": 1.0 / epoch, "val_loss": 0.5 / epoch, "custom_score": epoch * 10}))
with open(os.environ["EXPMAN_METRICS"], "a") as f:
    f.write("\\n".join(lines) + "\\n" + '{"event": "epoch_end", "epo')
`;
    const { data } = setup('[training]\nepochs = 2\n\n[command]\ntrain = ["python3", "writer.py"]\n', { 'writer.py': writer });
    const result = run(['train', '--data', data, '--experiment', 'exp', '--model', 'm']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const dir = join(data, 'experiments/exp/models/m');
    expect(status(dir)).toMatchObject({ status: 'finished', epoch: 2, best: { epoch: 2, val_loss: 0.25 } });
    const log = readFileSync(join(dir, 'logs/run.log'), 'utf8');
    expect(log.match(/is not a JSON event object/g)).toHaveLength(1);
    expect(log).toMatch(/metrics\.jsonl line 2 is not a JSON event object and was skipped \(later ones are only counted\): not json at all/);
    // Four bad lines and the torn last one, which the worker ended before writing its own events.
    expect(log).toContain('5 lines of metrics.jsonl were not JSON event objects and were skipped');
    expect(events(dir).at(-1)).toMatchObject({ event: 'run_finished', epochs_completed: 2 });
    expect(jsonLines<{ runs: Array<{ best: { val_loss: number } }> }>(run(['list', '--data', data, '--json']).stdout)[0]!.runs[0]!.best.val_loss).toBe(0.25);
  });

  it('[params] go through the precedence; config show --origin names each param\'s origin', () => {
    const { data } = setup('[command]\ntrain = ["python3", "train.py"]\n\n[params]\nlr = 0.1\nlayers = [32, 16]\n');
    const shown = run(['config', 'show', '--data', data, '--experiment', 'exp', '--origin', '--set', 'params.lr=0.05', '--set', 'params.name=wide']);
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toMatch(/^lr = 0\.05\s+# override \(--set params\.lr=0\.05\)$/m);
    expect(shown.stdout).toMatch(/^layers = \[ 32, 16 \]\s+# config file .*experiments\/exp\/config\.toml:6:1$/m);
    expect(shown.stdout).toMatch(/^name = "wide"\s+# override/m);
    expect(shown.stdout).toMatch(/^train = \["python3", "train\.py"\]\s+# config file .*config\.toml:2:1$/m);
  });

  it('refuses [params] that are not valid TOML or not scalars, naming file, line and key', () => {
    const broken = setup('[command]\ntrain = ["python3", "train.py"]\n\n[params]\nlr = \n', { 'train.py': '' });
    const parse = run(['train', '--data', broken.data, '--experiment', 'exp']);
    expect(parse.code).toBe(1);
    expect(parse.stderr).toContain(`${join(broken.data, 'experiments/exp/config.toml')}:5:`);
    const nested = setup('[command]\ntrain = ["python3", "train.py"]\n\n[params]\nlr = 0.1\nlayers = { a = 1 }\n', { 'train.py': '' });
    const invalid = run(['train', '--data', nested.data, '--experiment', 'exp']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/config\.toml:\d+:\d+: params: layers: expected a number, string, boolean or an array of them, got table/);
    expect(existsSync(join(nested.data, 'experiments/exp/models'))).toBe(false);
  });
});
