import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cliBundle, expman, expmanAsync, jsonLines, listTree, repoRoot, tempDataDir, testLogDir } from '../helpers/data-dir.js';

function preparedData(): string {
  const data = tempDataDir();
  const prepared = expman(['preprocess', '--data', data, '--split=0.8', '--separate-sets']);
  expect(prepared.code, prepared.stderr).toBe(0);
  return data;
}

const definition = (parameters: string, head = 'method = "random"\nmetric = "val_accuracy"\ngoal = "maximize"\n[budget]\ntrials = 2\n'): string => `${head}[parameters]\n${parameters}\n`;

async function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('expman sweep: bad input is one clear line and starts nothing', () => {
  test.each([
    ['a parameter that is not a config key', definition('"training.learnig_rate" = [0.1, 0.2]'), /^expman: error: \S+bad\.toml:7:1: parameters\.training\.learnig_rate: training\.learnig_rate is not a config key \(did you mean training\.learning_rate\?\)$/],
    ['a range with min > max', definition('"training.learning_rate" = { uniform = [0.5, 0.1] }'), /bad\.toml:7:1: parameters\.training\.learning_rate: uniform: min 0\.5 is greater than max 0\.1$/],
    ['a log range including 0', definition('"training.learning_rate" = { log_uniform = [0.0, 0.1] }'), /log_uniform: the range \[0, 0\.1\] includes 0; a log range must be above 0$/],
    ['an empty grid', definition('"training.batch_size" = []', 'method = "grid"\nmetric = "val_accuracy"\ngoal = "maximize"\n'), /parameters\.training\.batch_size: the list of values is empty/],
    ['a budget of 0', definition('"training.batch_size" = [8]').replace('trials = 2', 'trials = 0'), /bad\.toml:5:1: budget\.trials: expected an integer ≥ 1/],
    ['a metric no run writes', definition('"training.batch_size" = [8]').replace('val_accuracy', 'val_r2'), /bad\.toml:2:1: metric: no run writes "val_r2"; runs on the classification dataset prepared-dataset write loss, accuracy, val_loss, val_accuracy$/],
  ])('%s', (_what, text, message) => {
    const data = preparedData();
    writeFileSync(join(data, 'bad.toml'), text);
    const before = listTree(data);
    const r = expman(['sweep', 'start', join(data, 'bad.toml'), '--data', data]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(listTree(data)).toEqual(before);
  });

  test('status of a sweep that does not exist names the ones that do; an unknown action is a usage error', () => {
    const data = preparedData();
    expect(expman(['sweep', 'status', 'nope', '--data', data]).stderr).toMatch(/no sweep default\/nope/);
    expect(expman(['sweep', 'launch', '--data', data]).code).toBe(2);
  });
});

describe('expman sweep with real runs', () => {
  test('a grid stopped by `sweep stop` from another process resumes and covers every point once', async () => {
    const data = preparedData();
    const file = join(data, 'grid.toml');
    writeFileSync(
      file,
      `name = "grid"\nmethod = "grid"\nmetric = "val_loss"\ngoal = "minimize"\nparallel = 2\n[set]\n"training.epochs" = 200\n"training.early_stopping.enabled" = false\n"logging.batch_interval_ms" = 100000\n[parameters]\n"training.batch_size" = [16, 32]\n"model.hidden_units" = [[4], [8, 8]]\n`,
    );
    const sweepDir = join(data, 'experiments', 'default', 'sweeps', 'grid');
    const trials = (): Array<{ trial: number; run: string; status: string; params: Record<string, unknown>; value?: number }> =>
      existsSync(join(sweepDir, 'trials.json')) ? JSON.parse(readFileSync(join(sweepDir, 'trials.json'), 'utf8')) : [];
    const child = expmanAsync(['sweep', 'start', file, '--data', data, '--json']);
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => trials().some((t) => t.status === 'running'));

    const stop = expman(['sweep', 'stop', 'grid', '--data', data]);
    expect(stop.code).toBe(0);
    // (on failure, the controller's last word says why)
    expect(stop.stdout, `${stop.stdout}${stop.stderr}\n${JSON.stringify(jsonLines(stdout).at(-1))}\n${readFileSync(join(sweepDir, 'state.json'), 'utf8')}`).toMatch(/Sweep default\/grid stopped: .*Continue it with: expman sweep resume grid/);
    expect(await exited).toBe(0);
    expect(jsonLines(stdout).at(-1)).toMatchObject({ event: 'sweep', status: 'stopped', reason: 'stopped on request' });
    const stopped = trials();
    expect(stopped.length).toBeLessThan(4);
    expect(stopped.some((t) => t.status === 'stopped')).toBe(true);
    expect(JSON.parse(expman(['sweep', 'status', '--data', data, '--json']).stdout).sweeps).toMatchObject([{ name: 'grid', status: 'stopped', live: false, method: 'grid', budget: 4 }]);

    const resume = expman(['sweep', 'resume', 'grid', '--data', data]);
    expect(resume.code).toBe(0);
    expect(resume.stdout).toMatch(/Sweep default\/grid finished: every grid point tried \(4\)/);
    const done = trials();
    expect(done.map((t) => t.status)).toEqual(['finished', 'finished', 'finished', 'finished']);
    expect(new Set(done.map((t) => JSON.stringify(t.params)))).toEqual(
      new Set(['[16,[4]]', '[16,[8,8]]', '[32,[4]]', '[32,[8,8]]'].map((p) => JSON.stringify({ 'training.batch_size': JSON.parse(p)[0], 'model.hidden_units': JSON.parse(p)[1] }))),
    );
    // One run folder per trial: nothing was trained twice under another name.
    expect(readdirSync(join(data, 'experiments', 'default', 'models')).sort()).toEqual(['grid-t0000', 'grid-t0001', 'grid-t0002', 'grid-t0003']);
    const status = expman(['sweep', 'status', 'grid', '--data', data]);
    expect(status.stdout).toMatch(/default\/grid {2}finished — every grid point tried \(4\)/);
    expect(status.stdout).toMatch(/^\* +\d+ +grid-t000\d +finished +200 /m);
    expect(expman(['sweep', 'resume', 'grid', '--data', data]).stderr).toMatch(/sweep default\/grid has finished/);
  }, 180_000);

  test('on a terminal it draws a progress bar in place; in a pipe, one line per trial and no control characters', () => {
    const data = preparedData();
    const file = join(data, 'tty.toml');
    writeFileSync(file, definition('"training.learning_rate" = { log_uniform = [0.001, 0.1] }').replace('[parameters]', '[set]\n"training.epochs" = 2\n[parameters]'));
    // util-linux `script` gives the command a pseudo-terminal, as a user's shell would.
    const tty = spawnSync('script', ['-qec', `'${process.execPath}' '${cliBundle}' sweep start '${file}' --data '${data}'`, '/dev/null'], {
      cwd: repoRoot,
      env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir, COLUMNS: '200' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(tty.status).toBe(0);
    // Each redraw returns to the line's start and clears it (CR, ESC [2K) before drawing.
    const redraws = tty.stdout.split('\r\u001b[2K');
    expect(redraws.some((r) => /^sweep tty \[[█░]+\] {2}50% 1\/2/.test(r))).toBe(true);
    expect(redraws.some((r) => /^sweep tty \[█+\] 100% 2\/2/.test(r))).toBe(true);
    expect(tty.stdout).toMatch(/trial 1 finished at epoch 2: val_accuracy/);

    writeFileSync(file, readFileSync(file, 'utf8').replace('method', 'name = "piped"\nmethod'));
    const piped = expman(['sweep', 'start', file, '--data', data]);
    expect(piped.code).toBe(0);
    expect(piped.stdout + piped.stderr).not.toContain('\u001b');
    expect(piped.stdout + piped.stderr).not.toContain('\r');
    expect(piped.stdout.split('\n').filter((l) => l.startsWith('trial '))).toHaveLength(2);
  }, 180_000);
});
