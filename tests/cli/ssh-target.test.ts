import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { epochHistory } from '../../src/core/training/run-store.js';
import type { RunEvent } from '../../src/shared/run-events.js';
import { cliBundle, expman, expmanAsync, jsonLines, tempDataDir, testLogDir } from '../helpers/data-dir.js';
import { describeIfAvailable } from '../helpers/needs.js';
import { sshdUnavailable, sshTargetToml, useSshd } from '../helpers/sshd.js';

// expmanAsync passes this process's environment on: EXPMAN_SSH_COMMAND reaches the test sshd.
const sshd = useSshd({ sshCommandEnv: true });

function setUp(): { data: string; remote: string } {
  const data = tempDataDir();
  const remote = tempDataDir(false);
  execFileSync(process.execPath, [cliBundle, 'preprocess', '--data', data, '--split=0.8', '--separate-sets'], { env: { ...process.env, EXPMAN_LOG_DIR: testLogDir } });
  writeFileSync(join(data, 'targets.toml'), sshTargetToml(sshd, remote));
  return { data, remote };
}

function untilLine(child: ReturnType<typeof expmanAsync>, pattern: RegExp): Promise<string> {
  let out = '';
  return new Promise((resolve) =>
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (pattern.test(out)) resolve(out);
    }),
  );
}

describeIfAvailable(sshdUnavailable(), 'expman train on an SSH target (an sshd on 127.0.0.1, a second data folder as the remote)', () => {
  test('targets check; train ships the run, follows it, brings it home; list shows where it ran', () => {
    const { data, remote } = setUp();
    const env = { EXPMAN_SSH_COMMAND: sshd.sshCommand() };
    const check = expman(['targets', 'check', 'box', '--data', data], { env });
    expect(check.stderr).toBe('');
    expect(check.stdout).toMatch(new RegExp(`^ok  ssh: ${sshd.user}@127\\.0\\.0\\.1 reachable; ${remote} writable; rsync present\\nok  expman: \\d+\\.\\d+\\.\\d+ \\(env .*\\)\\ntarget box is ready\\n$`));
    const run = expman(['train', '--data', data, '--model', 'r1', '--set', 'runtime.executor=ssh', '--set', 'runtime.target=box', '--set', 'training.epochs=3', '--set', 'training.backend=cpu'], { env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^started on .*127\.0\.0\.1 \(target box, pid (\d+)\)\n[\s\S]*epoch 3\/3[\s\S]*Finished after 3 epochs/);
    expect(expman(['list', '--data', data]).stdout).toMatch(/r1\s+finished\s+3\/3.*ssh:box pid \d+ on 127\.0\.0\.1\n/);
    // The run came home whole: the local folder tests like a local run.
    expect(expman(['test', '--data', data, '--model', 'r1']).code).toBe(0);
  }, 90_000);

  test('the terminal dies, the run goes on there; train --attach follows it again and Ctrl-C stops it', async () => {
    const { data } = setUp();
    const first = expmanAsync(['train', '--data', data, '--model', 'far', '--set', 'runtime.executor=ssh', '--set', 'runtime.target=box', '--set', 'training.epochs=100000', '--set', 'training.early_stopping.enabled=false', '--set', 'training.backend=cpu']);
    await untilLine(first, /epoch 2\//);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const dir = join(data, 'experiments', 'default', 'models', 'far');
    const again = expmanAsync(['train', '--attach', dir]);
    const seen = await untilLine(again, /epoch \d+\/100000[\s\S]*epoch \d+\/100000/);
    expect(seen).toMatch(/^pid \d+ on 127\.0\.0\.1 \(target box\)\n/);
    again.kill('SIGINT');
    expect(await new Promise((resolve) => again.once('exit', resolve))).toBe(130);
    const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { status: string; epoch: number };
    expect(status.status).toBe('stopped');
    expect(status.epoch).toBeGreaterThan(2);
  }, 90_000);

  test('Ctrl-C, then train --resume goes on on the target to the metrics of an uninterrupted run; rerun trains there; test runs there', async () => {
    const { data, remote } = setUp();
    // model.fit (~14 s for 100 epochs here), not the fused step (~3 s): Ctrl-C must reach the target while it trains.
    const sets = ['training.epochs=100', 'training.batch_size=1', 'training.early_stopping.enabled=false', 'training.backend=cpu', 'training.fused_step=false'].flatMap((s) => ['--set', s]);
    const first = expmanAsync(['train', '--data', data, '--model', 'r', '--set', 'runtime.executor=ssh', '--set', 'runtime.target=box', ...sets]);
    await untilLine(first, /epoch 2\//);
    first.kill('SIGINT');
    expect(await new Promise((resolve) => first.once('exit', resolve))).toBe(130);
    const dir = join(data, 'experiments/default/models/r');
    const remoteDir = join(remote, 'experiments/default/models/r');
    const stopped = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { status: string; epoch: number };
    expect(stopped.status).toBe('stopped');
    expect(stopped.epoch).toBeLessThan(100);
    const firstPid = (JSON.parse(readFileSync(join(dir, 'executor.json'), 'utf8')) as { job_id: string }).job_id;

    const resumed = expman(['train', '--resume', dir]);
    expect(resumed.stderr).toBe('');
    expect(resumed.stdout).toMatch(/^started on .*127\.0\.0\.1 \(target box, pid \d+\)\n[\s\S]*Finished after 100 epochs/);
    // A second worker there, which resumed from the checkpoint there; the folder is home again.
    const record = JSON.parse(readFileSync(join(dir, 'executor.json'), 'utf8')) as { target: string; job_id: string };
    expect(record.target).toBe('box');
    expect(record.job_id).not.toBe(firstPid);
    expect(readFileSync(join(remoteDir, 'logs/metrics.jsonl'), 'utf8')).toContain('"run_resumed"');
    expect(readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8')).toBe(readFileSync(join(remoteDir, 'logs/metrics.jsonl'), 'utf8'));
    expect(expman(['train', '--data', data, '--model', 'straight', ...sets]).code).toBe(0);
    const metrics = (d: string) => epochHistory(jsonLines<RunEvent>(readFileSync(join(d, 'logs/metrics.jsonl'), 'utf8'))).map(({ epoch, loss, accuracy, val_loss, val_accuracy }) => ({ epoch, loss, accuracy, val_loss, val_accuracy }));
    expect(metrics(dir)).toEqual(metrics(join(data, 'experiments/default/models/straight')));
    expect(metrics(dir)).toHaveLength(100);

    // Re-run: its config snapshot names the target, so it trains there too.
    const rerun = expman(['rerun', dir]);
    expect(rerun.stderr).toBe('');
    expect(rerun.stdout).toMatch(/^started on .*127\.0\.0\.1 \(target box, pid \d+\)\n[\s\S]*Finished after 100 epochs/);
    expect(existsSync(join(remote, 'experiments/default/models/r-rerun-1/best-model/model.json'))).toBe(true);
    expect(metrics(join(data, 'experiments/default/models/r-rerun-1'))).toEqual(metrics(dir));

    // Test: on the host (where its results are written), and the results come home.
    const tested = expman(['test', '--data', data, '--model', 'r']);
    expect(tested.stderr).toBe('');
    expect(tested.stdout).toMatch(/^Tested default\/r \(best model from epoch \d+\) on 30 test rows on target box \(.*127\.0\.0\.1\)\n {2}accuracy \d\.\d{4}/);
    const results = readFileSync(join(data, 'experiments/default/results/r/metrics.csv'), 'utf8');
    expect(readFileSync(join(remote, 'experiments/default/results/r/metrics.csv'), 'utf8')).toBe(results);
    const json = expman(['test', '--data', data, '--model', 'r', '--json']);
    expect(JSON.parse(json.stdout.trim().split('\n').at(-1)!)).toMatchObject({ event: 'tested', model: 'r', dir: join(data, 'experiments/default/results/r'), where: expect.stringMatching(/^target box/), accuracy: expect.any(Number) });
    // The same run, its target out of reach: tested here, on the best model that came home.
    const away = expman(['test', '--data', data, '--model', 'r'], { env: { EXPMAN_SSH_COMMAND: sshd.sshCommand().replace(`-p ${sshd.port}`, '-p 1') } });
    expect(away.stdout).toMatch(/^testing here, on the best model brought home: target box: .*Connection refused\nTested default\/r \(best model from epoch \d+\) on 30 test rows\n/);
    expect(readFileSync(join(data, 'experiments/default/results/r/metrics.csv'), 'utf8')).toBe(results);
  }, 240_000);

  test('a command run there: its newest checkpoint comes home (named by its absolute path there); its test command runs there', () => {
    const { data, remote } = setUp();
    const code = join(data, 'experiments/cmd/code');
    mkdirSync(code, { recursive: true });
    writeFileSync(join(data, 'experiments/cmd/config.toml'), '[command]\ntrain = ["python3", "train.py"]\ntest = ["python3", "test.py"]\n\n[runtime]\nexecutor = "ssh"\ntarget = "box"\n');
    writeFileSync(
      join(code, 'train.py'),
      [
        'import json, os',
        "ck, metrics = os.environ['EXPMAN_CHECKPOINT_DIR'], os.environ['EXPMAN_METRICS']",
        'os.makedirs(ck, exist_ok=True)',
        'for e in range(1, 4):',
        "    path = os.path.join(ck, f'ck-{e}.txt')",
        "    open(path, 'w').write(str(e))",
        "    with open(metrics, 'a') as f:",
        "        f.write(json.dumps({'event': 'epoch_end', 'epoch': e, 'epochs': 3, 'loss': 1 / e, 'val_loss': 1 / e}) + '\\n')",
        "        f.write(json.dumps({'event': 'checkpoint_saved', 'epoch': e, 'path': path}) + '\\n')",
        '',
      ].join('\n'),
    );
    writeFileSync(join(code, 'test.py'), "import os\nopen(os.path.join(os.environ['EXPMAN_RESULTS_DIR'], 'metrics.csv'), 'w').write('metric,value\\nscore,0.5\\n')\n");
    const run = expman(['train', '--data', data, '--experiment', 'cmd', '--model', 'c']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const dir = join(data, 'experiments/cmd/models/c');
    expect(readdirSync(join(remote, 'experiments/cmd/models/c/checkpoints')).sort()).toEqual(['ck-1.txt', 'ck-2.txt', 'ck-3.txt']);
    expect(readdirSync(join(dir, 'checkpoints'))).toEqual(['ck-3.txt']);
    const tested = expman(['test', '--data', data, '--experiment', 'cmd', '--model', 'c']);
    expect(tested.stderr).toBe('');
    expect(tested.stdout).toMatch(/^Tested cmd\/c with its test command on target box \(.*127\.0\.0\.1\)\n {2}score 0\.5\n/);
    expect(readFileSync(join(remote, 'experiments/cmd/results/c/metrics.csv'), 'utf8')).toBe('metric,value\nscore,0.5\n');
    expect(readFileSync(join(data, 'experiments/cmd/results/c/metrics.csv'), 'utf8')).toBe('metric,value\nscore,0.5\n');
  }, 90_000);
});
