import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { placeRun } from '../../../src/core/executors/select.js';
import { arrayTaskOf, arrayTaskSpecHas, parseScontrolJob, shellQuote, slurmJobScript } from '../../../src/core/executors/slurm.js';
import { loadTarget, parseTargets, splitCommand, type SlurmTarget } from '../../../src/core/executors/targets.js';
import { effectiveStatus, runLiveState } from '../../../src/core/training/run-store.js';
import { workspace } from '../../../src/core/workspace.js';
import { listTree, tempDataDir } from '../../helpers/data-dir.js';

const FILE = '/data/targets.toml';

describe('targets.toml', () => {
  test('reads ssh and slurm targets with their defaults', () => {
    const targets = parseTargets(
      [
        '[gpu-box]',
        'executor = "ssh"',
        'host = "gpu.lab"',
        'user = "ana"',
        'port = 2222',
        'identity = "/home/ana/.ssh/id_ed25519"',
        'data = "/scratch/ana/expman"',
        'expman = "node \'/opt/expman dist/expman.mjs\'"',
        '',
        '[cluster]',
        'executor = "slurm"',
        'partition = "gpu"',
        'account = "lab"',
        'time = "02:00:00"',
        'cpus = 8',
        'mem = "16G"',
        'gres = "gpu:1"',
        'sbatch = ["--qos=long", "--constraint=a100"]',
        'modules = ["cuda/12.2", "nodejs/20"]',
        'requeue = true',
      ].join('\n'),
      FILE,
    );
    expect(targets.get('gpu-box')).toEqual({
      name: 'gpu-box',
      executor: 'ssh',
      ssh: { host: 'gpu.lab', user: 'ana', port: 2222, identity: '/home/ana/.ssh/id_ed25519' },
      data: '/scratch/ana/expman',
      expman: ['node', '/opt/expman dist/expman.mjs'],
    });
    expect(targets.get('cluster')).toEqual({
      name: 'cluster',
      executor: 'slurm',
      partition: 'gpu',
      account: 'lab',
      time: '02:00:00',
      cpus: 8,
      mem: '16G',
      gres: 'gpu:1',
      sbatch: ['--qos=long', '--constraint=a100'],
      modules: ['cuda/12.2', 'nodejs/20'],
      requeue: true,
      signal_before: 120,
    });
  });

  test.each([
    ['[c]\nexecutor = "slurm"\nprtition = "gpu"\n', /^\/data\/targets\.toml:3:1: target c: unknown key "prtition" for an slurm target \(known: .*partition/, 'c.prtition', 3],
    ['[c]\nexecutor = "slurm"\ncpus = "8"\n', /^\/data\/targets\.toml:3:1: target c: cpus must be an integer from 1 to 100000, not "8"$/, 'c.cpus', 3],
    ['[c]\nexecutor = "kubernetes"\n', /^\/data\/targets\.toml:2:1: target c: executor must be "ssh" or "slurm", not "kubernetes"$/, 'c.executor', 2],
    ['[c]\nhost = "x"\n', /^\/data\/targets\.toml:1:1: target c: executor must be "ssh" or "slurm" \(missing\)$/, 'c', 1],
    ['[box]\nexecutor = "ssh"\ndata = "/d"\n', /^\/data\/targets\.toml:1:1: target box: an ssh target needs host$/, 'box', 1],
    ['[box]\nexecutor = "ssh"\nhost = "h"\n', /target box: an ssh target needs data/, 'box', 1],
    ['[box]\nexecutor = "ssh"\nhost = "h"\ndata = "scratch"\n', /:4:1: target box: data must be an absolute path on the target, not "scratch"$/, 'box.data', 4],
    ['[box]\nexecutor = "ssh"\nhost = "h"\ndata = "/d"\npartition = "x"\n', /:5:1: target box: unknown key "partition" for an ssh target/, 'box.partition', 5],
    ['[c]\nexecutor = "slurm"\nuser = "ana"\n', /:3:1: target c: user needs host/, 'c.user', 3],
    ['[c]\nexecutor = "slurm"\nsbatch = ["qos=long"]\n', /:3:1: target c: sbatch\[0\] = "qos=long" must be an sbatch option such as "--qos=long"$/, 'c.sbatch', 3],
    ['[c]\nexecutor = "slurm"\nmodules = ["a\\nrm -rf /"]\n', /:3:1: target c: modules must be an array of strings \(not empty, one line\)/, 'c.modules', 3],
    ['[c]\nexecutor = "slurm"\nexpman = "node \'unclosed"\n', /:3:1: target c: expman must be a command/, 'c.expman', 3],
    ['["bad name"]\nexecutor = "slurm"\n', /invalid target name "bad name"/, 'bad name', undefined],
  ])('a mistake is one line with file, line and key: %j', (text, message, key, line) => {
    let caught: unknown;
    try {
      parseTargets(text, FILE);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(message), details: { file: FILE, key, ...(line ? { line } : {}) } });
  });

  test('a TOML syntax error names its line and column', () => {
    expect(() => parseTargets('[c]\nexecutor = "slurm\n', FILE)).toThrow(/^\/data\/targets\.toml:2:\d+: invalid TOML/);
  });

  test('splitCommand: words, quoted words; unbalanced quotes refused', () => {
    expect(splitCommand('expman')).toEqual(['expman']);
    expect(splitCommand(' node  "/opt/my expman/cli.mjs" --x')).toEqual(['node', '/opt/my expman/cli.mjs', '--x']);
    expect(splitCommand("a'b c'd")).toEqual(['ab cd']);
    expect(splitCommand('node "x')).toBeNull();
  });

  test('unknown target and executor/target mismatches are config errors; nothing is written', async () => {
    const data = tempDataDir(false);
    const ws = workspace(data);
    await expect(loadTarget(ws, 'cluster')).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: `unknown target "cluster": ${join(data, 'targets.toml')} defines none`, details: { key: 'runtime.target' } });
    writeFileSync(join(data, 'targets.toml'), '[box]\nexecutor = "ssh"\nhost = "h"\ndata = "/d"\n[cluster]\nexecutor = "slurm"\n');
    await expect(placeRun(ws, { 'runtime.executor': 'slurm', 'runtime.target': 'nope' })).rejects.toThrow(/unknown target "nope": .* defines box, cluster$/);
    await expect(placeRun(ws, { 'runtime.executor': 'slurm', 'runtime.target': 'box' })).rejects.toThrow('runtime.target = "box" is an ssh target, but runtime.executor = "slurm"');
    await expect(placeRun(ws, { 'runtime.executor': 'slurm', 'runtime.target': '' })).rejects.toThrow('runtime.executor = "slurm" needs runtime.target');
    await expect(placeRun(ws, { 'runtime.executor': 'local', 'runtime.target': 'cluster' })).rejects.toThrow('runtime.target = "cluster" needs runtime.executor = "ssh" or "slurm"');
    expect((await placeRun(ws, { 'runtime.executor': 'slurm', 'runtime.target': 'cluster' })).executor.kind).toBe('slurm');
    expect((await placeRun(ws, { 'runtime.executor': 'local', 'runtime.target': '' })).executor.kind).toBe('local');
    expect(listTree(data)).toEqual(['targets.toml']);
  });
});

describe('the Slurm job script', () => {
  test('carries the target\'s requests as #SBATCH lines, loads modules, and waits for the worker through SIGTERM', () => {
    const target = parseTargets('[c]\nexecutor = "slurm"\npartition = "gpu"\ntime = "30"\ncpus = 4\nmem = "8G"\ngres = "gpu:1"\nrequeue = true\nsignal_before = 90\nsbatch = ["--qos=long"]\nmodules = ["cuda/12"]\n', FILE).get('c') as SlurmTarget;
    const script = slurmJobScript(target, { name: 'expman:default/r1', command: ['/usr/bin/node', '/opt/expman/cli.mjs', 'train', '--resume', "/data/it's here"] });
    expect(script.split('\n').filter((l) => l.startsWith('#SBATCH'))).toEqual([
      '#SBATCH --job-name=expman:default/r1',
      '#SBATCH --partition=gpu',
      '#SBATCH --time=30',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --mem=8G',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --requeue',
      '#SBATCH --signal=B:USR1@90',
      '#SBATCH --qos=long',
    ]);
    expect(script).toContain('module load cuda/12 || exit 1');
    expect(script).toContain(`/usr/bin/node /opt/expman/cli.mjs train --resume '/data/it'\\''s here' &`);
    expect(script).toContain("trap ':' TERM");
    // Its worker trains the folder in place (`train --resume` of a Slurm run elsewhere would submit it again).
    expect(script).toContain(`export EXPMAN_IN_PLACE=1\n/usr/bin/node /opt/expman/cli.mjs train`);
    expect(script).toContain('scontrol requeue "$SLURM_JOB_ID"');
    const plain = slurmJobScript(parseTargets('[c]\nexecutor = "slurm"\n', FILE).get('c') as SlurmTarget, { name: 'n', command: ['expman'] });
    expect(plain).toContain('#SBATCH --no-requeue');
    expect(plain).not.toMatch(/--signal|USR1/);
    expect(shellQuote('a b')).toBe("'a b'");
  });
});

describe('a Slurm job array', () => {
  test('one script for every task: task i trains run folder i and writes its output into that run', () => {
    const target = parseTargets('[c]\nexecutor = "slurm"\nmodules = ["py"]\n', FILE).get('c') as SlurmTarget;
    const script = slurmJobScript(target, { name: 'expman:default/s-t0000+2', command: ['/usr/bin/node', '/opt/cli.mjs', 'train', '--resume', '/d/s-t0000'], dirs: ['/d/s-t0000', "/d/it's", '/d/s-t0002'] });
    expect(script).toContain("run_dirs=(\n  /d/s-t0000\n  '/d/it'\\''s'\n  /d/s-t0002\n)\n");
    expect(script).toContain('run_dir=${run_dirs[${SLURM_ARRAY_TASK_ID:-none}]}');
    // The task's own output file, before anything (module loads) can fail.
    expect(script.indexOf('exec >>"$run_dir/logs/slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.out" 2>&1')).toBeLessThan(script.indexOf('module load py'));
    expect(script).toContain('/usr/bin/node /opt/cli.mjs train --resume "$run_dir" &');
    expect(script).toContain('echo "expman: Slurm job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on');
    expect(script).not.toContain('/d/s-t0000 &');
  });

  test('scontrol names a task <array>_<task>, pending (the array\'s record, throttled) or started (a JobId of its own)', () => {
    const pending = 'JobId=7 ArrayJobId=7 ArrayTaskId=2 ArrayTaskThrottle=2 JobName=x JobState=PENDING Reason=JobArrayTaskLimit Dependency=(null) Restarts=0 ExitCode=0:0 NodeList= ';
    expect(parseScontrolJob(pending)).toEqual({ id: '7_2', state: 'PENDING', reason: 'JobArrayTaskLimit', exitCode: '0:0', restarts: 0 });
    const started = 'JobId=9 ArrayJobId=7 ArrayTaskId=0 ArrayTaskThrottle=2 JobName=x JobState=RUNNING Reason=None Restarts=0 ExitCode=0:0 NodeList=vm BatchHost=vm';
    expect(parseScontrolJob(started)).toMatchObject({ id: '7_0', state: 'RUNNING', node: 'vm' });
    // The array's own record (several tasks) and a plain job keep their JobId.
    expect(parseScontrolJob('JobId=7 ArrayJobId=7 ArrayTaskId=2-5%2 JobState=PENDING Reason=None')?.id).toBe('7');
    expect(parseScontrolJob('JobId=12 JobName=x JobState=RUNNING Reason=None')?.id).toBe('12');
  });

  test('one scontrol answer for the whole array: each task finds its own record, or the pending record that holds it', () => {
    const text = [
      'JobId=9 ArrayJobId=7 ArrayTaskId=0 ArrayTaskThrottle=2 JobState=COMPLETED Reason=None ExitCode=0:0 BatchHost=vm',
      'JobId=10 ArrayJobId=7 ArrayTaskId=1 ArrayTaskThrottle=2 JobState=RUNNING Reason=None ExitCode=0:0 BatchHost=vm',
      'JobId=7 ArrayJobId=7 ArrayTaskId=2,4-8:2%2 ArrayTaskThrottle=2 JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0 NodeList=',
      '',
    ].join('\n');
    expect(arrayTaskOf(text, '7', 0)).toMatchObject({ id: '7_0', state: 'COMPLETED', node: 'vm' });
    expect(arrayTaskOf(text, '7', 1)).toMatchObject({ id: '7_1', state: 'RUNNING' });
    expect(arrayTaskOf(text, '7', 6)).toMatchObject({ id: '7_6', state: 'PENDING', reason: 'JobArrayTaskLimit' });
    // Task 3 was cancelled while pending (no record any more); 5 is not in the 4-8:2 steps.
    expect(arrayTaskOf(text, '7', 3)).toBeNull();
    expect(arrayTaskOf(text, '7', 5)).toBeNull();
    expect([arrayTaskSpecHas('3', 3), arrayTaskSpecHas('0-3%2', 3), arrayTaskSpecHas('0-3%2', 4), arrayTaskSpecHas('1,5', 5), arrayTaskSpecHas('x', 1)]).toEqual([true, true, false, true, false]);
  });
});

describe('a queued run that a scheduler holds', () => {
  test('stays queued after the process that queued it is gone; without a scheduler it reads stopped', () => {
    const gone = { status: 'queued' as const, pid: 2 ** 22 + 12345, host: hostname(), started: '', updated: '', epoch: 0, epochs: 3, best: null };
    expect(runLiveState(gone, null).status).toBe('stopped');
    expect(runLiveState({ ...gone, executor: 'slurm' }, null)).toEqual({ status: 'queued', live: null });
    expect(effectiveStatus({ ...gone, executor: 'slurm' })).toBe('queued');
  });
});
