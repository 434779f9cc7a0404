// Command runs: the tracking overhead of running a script under expman (the worker's metrics ingestion,
// log capture, status updates) against the same script run bare, and the ingestion of a script that
// writes 1,000,000 metric lines. See bench/README.md, "command-overhead".
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, EXPMAN, ROOT, measureProcess, median, printTable, writeResult } from './lib.mjs';

const PYTHON = '/usr/bin/python3';
const PATH = `/usr/bin:${process.env.PATH ?? ''}`;

function setup() {
  const data = mkdtempSync(join(tmpdir(), 'expman-bench-command-'));
  mkdirSync(join(data, 'datasets', 'external'), { recursive: true });
  copyFileSync(join(ROOT, 'data/datasets/external/iris.csv'), join(data, 'datasets/external/iris.csv'));
  const prepared = spawnSync(process.execPath, [EXPMAN, 'preprocess', '--data', data], { encoding: 'utf8' });
  if (prepared.status !== 0) throw new Error(prepared.stderr);
  const code = join(data, 'experiments', 'bench', 'code');
  mkdirSync(code, { recursive: true });
  copyFileSync(join(BENCH_DIR, 'command_workload.py'), join(code, 'command_workload.py'));
  copyFileSync(join(ROOT, 'python/expman_run.py'), join(code, 'expman_run.py'));
  writeFileSync(join(data, 'experiments', 'bench', 'config.toml'), '[training]\nepochs = 1\n\n[command]\ntrain = ["python3", "command_workload.py"]\n');
  return { data, code };
}

/** CPU seconds (user + system) of a command and the children it waited for, from /usr/bin/time -v; null without it. */
function cpuSeconds(stderr) {
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const system = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  return user && system ? Number(user[1]) + Number(system[1]) : null;
}

async function bare(code, env) {
  const scratch = mkdtempSync(join(tmpdir(), 'expman-bench-bare-'));
  const result = join(scratch, 'result.json');
  try {
    const run = await measureProcess(PYTHON, [join(code, 'command_workload.py')], { cwd: code, env: { ...env, PATH, EXPMAN_METRICS: join(scratch, 'metrics.jsonl'), EXPMAN_RUN_DIR: scratch, BENCH_RESULT: result } });
    return { ...JSON.parse(readFileSync(result, 'utf8')), wallMs: run.wallMs };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function tracked(data, model, env) {
  const result = join(data, `${model}.json`);
  const run = await measureProcess(process.execPath, [EXPMAN, 'train', '--data', data, '--experiment', 'bench', '--model', model, '--json'], { kind: 'node', env: { ...env, PATH, DATA: '', BENCH_RESULT: result } });
  const status = JSON.parse(readFileSync(join(data, 'experiments/bench/models', model, 'status.json'), 'utf8'));
  if (status.status !== 'finished') throw new Error(`run ${model} ended ${status.status}`);
  const script = JSON.parse(readFileSync(result, 'utf8'));
  const total = cpuSeconds(run.stderr);
  // The worker's own CPU time: the whole tree's minus the script's (which it reports itself).
  return { ...script, wallMs: run.wallMs, peakMiB: run.peakMiB, workerCpuS: total === null ? null : total - script.cpu_s, events: run.stdout.split('\n').filter((l) => l.startsWith('{')).length };
}

export async function run({ quick = false, repeats } = {}) {
  const rounds = repeats ?? (quick ? 1 : 3);
  const steps = quick ? 500 : 3000;
  const lines = quick ? 100_000 : 1_000_000;
  const { data, code } = setup();
  try {
    const bareRuns = [];
    const trackedRuns = [];
    for (let r = 0; r < rounds; r++) {
      bareRuns.push(await bare(code, { BENCH_STEPS: String(steps) }));
      trackedRuns.push(await tracked(data, `steps-${r}`, { BENCH_STEPS: String(steps) }));
    }
    const bareRate = median(bareRuns.map((x) => x.per_s));
    const trackedRate = median(trackedRuns.map((x) => x.per_s));
    const ratio = trackedRate / bareRate;
    const workerCpu = trackedRuns.every((x) => x.workerCpuS !== null) ? median(trackedRuns.map((x) => x.workerCpuS)) : null;
    const scriptCpu = median(trackedRuns.map((x) => x.cpu_s));
    printTable(`command-overhead: a PyTorch loop, ${steps} steps, one batch_end event and a log line per 100 steps (median of ${rounds})`, ['run', 'steps/s', 'ratio', 'wall s', 'script CPU s', 'worker CPU s'], [
      ['bare python3', bareRate.toFixed(0), '1.00x', (median(bareRuns.map((x) => x.wallMs)) / 1000).toFixed(2), median(bareRuns.map((x) => x.cpu_s)).toFixed(2), ''],
      ['expman command run', trackedRate.toFixed(0), `${ratio.toFixed(3)}x`, (median(trackedRuns.map((x) => x.wallMs)) / 1000).toFixed(2), scriptCpu.toFixed(2), workerCpu === null ? '?' : workerCpu.toFixed(2)],
    ], ['target: ≥ 0.97x the bare throughput (the script measures its loop itself; start-up is excluded)', 'worker CPU: the whole run\'s CPU time (/usr/bin/time -v) minus the script\'s own, start-up of Node.js included']);

    const bareLines = await bare(code, { BENCH_LINES: String(lines) });
    const ingest = await tracked(data, 'lines', { BENCH_LINES: String(lines) });
    printTable(`command-overhead: ${lines.toLocaleString('en-US')} metric lines written as fast as possible`, ['run', 'lines/s written', 'wall s', 'peak MiB', 'worker CPU s', 'events streamed (--json)'], [
      ['bare python3', Math.round(bareLines.per_s), (bareLines.wallMs / 1000).toFixed(2), '', '', ''],
      ['expman command run', Math.round(ingest.per_s), (ingest.wallMs / 1000).toFixed(2), ingest.peakMiB.toFixed(0), ingest.workerCpuS === null ? '?' : ingest.workerCpuS.toFixed(2), ingest.events],
    ], ['expman wall: from start to the run recorded finished, every line ingested and streamed']);
    const pass = quick ? null : ratio >= 0.97;
    await writeResult('command-overhead', { steps, rounds, bare: bareRuns, tracked: trackedRuns, ratio, lines, bareLines, ingest, pass });
    return { pass };
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}
