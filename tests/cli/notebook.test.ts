import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expman, jsonLines, listTree, repoRoot, tempDataDir } from '../helpers/data-dir.js';

const analysisDir = join(repoRoot, 'analysis');
const madeDirs: string[] = [];
afterEach(() => {
  while (madeDirs.length) rmSync(madeDirs.pop()!, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

const INSTALL_LINE = "expman: error: Jupyter is not installed: install it with `pip install jupyterlab` or Debian's `apt install jupyter-notebook`";

/**
 * A folder holding a fake `jupyter` (and nothing else): it answers `jupyter <frontend> --version` for the
 * front ends listed in $FAKE_FRONTENDS, and otherwise records its argv, cwd and $DATA in $FAKE_LOG.
 */
function fakeJupyter(): { bin: string; log: string } {
  const dir = tempDir('expman-fake-jupyter-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'calls.log');
  writeFileSync(
    join(bin, 'jupyter'),
    `#!/bin/sh
if [ "$2" = "--version" ]; then
  case " $FAKE_FRONTENDS " in *" $1 "*) echo "7.1.0"; exit 0 ;; esac
  echo "Jupyter command \\\`jupyter-$1\\\` not found." >&2; exit 1
fi
{ for arg in "$@"; do echo "arg=$arg"; done; echo "cwd=$(pwd)"; echo "DATA=$DATA"; } > "$FAKE_LOG"
exit "\${FAKE_EXIT:-0}"
`,
  );
  chmodSync(join(bin, 'jupyter'), 0o755);
  return { bin, log };
}

describe('expman notebook', () => {
  it('without Jupyter on PATH: one clear line saying how to install it, exit 1, nothing written', () => {
    const data = tempDataDir();
    const emptyBin = tempDir('expman-no-jupyter-');
    const before = listTree(data);
    for (const args of [[], ['--print'], ['--lab']]) {
      const result = expman(['notebook', '--data', data, ...args], { env: { PATH: emptyBin } });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`${INSTALL_LINE}\n`);
    }
    expect(listTree(data)).toEqual(before);
    const json = expman(['notebook', '--data', data, '--json'], { env: { PATH: emptyBin } });
    expect(jsonLines(json.stdout)[0]).toMatchObject({ event: 'error', code: 'JUPYTER_MISSING' });
  });

  it('--print shows the command: jupyter lab in the analysis folder with DATA set', () => {
    const data = tempDataDir();
    const { bin } = fakeJupyter();
    const env = { PATH: bin, FAKE_FRONTENDS: 'lab notebook' };
    const result = expman(['notebook', '--data', data, '--print'], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`cd ${analysisDir} && DATA=${data} ${join(bin, 'jupyter')} lab\n`);

    const json = expman(['notebook', '--print', '--json', '--classic', '--', '--no-browser'], { env: { ...env, DATA: data } });
    expect(json.code).toBe(0);
    expect(jsonLines(json.stdout)).toEqual([
      { command: join(bin, 'jupyter'), args: ['notebook', '--no-browser'], cwd: analysisDir, env: { DATA: data }, frontend: 'notebook', version: '7.1.0' },
    ]);
  });

  it('starts Jupyter without a shell, in analysis/, with DATA, passing on the arguments after --', () => {
    const data = tempDataDir();
    const { bin, log } = fakeJupyter();
    const result = expman(['notebook', '--data', data, '--', '--no-browser', '--port', '8899', 'a b;c'], {
      env: { PATH: [bin, process.env['PATH']].join(delimiter), FAKE_FRONTENDS: 'lab', FAKE_LOG: log },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Starting JupyterLab 7.1.0 in ${analysisDir} with DATA=${data} (Ctrl-C to stop it)\n`);
    expect(readFileSync(log, 'utf8')).toBe(['arg=lab', 'arg=--no-browser', 'arg=--port', 'arg=8899', 'arg=a b;c', `cwd=${analysisDir}`, `DATA=${data}`, ''].join('\n'));
  });

  it('falls back to the classic Notebook, honours --lab, and passes on Jupyter’s exit code', () => {
    const data = tempDataDir();
    const { bin, log } = fakeJupyter();
    const env = { PATH: bin, FAKE_FRONTENDS: 'notebook', FAKE_LOG: log, FAKE_EXIT: '3' };
    const classic = expman(['notebook', '--data', data], { env });
    expect(classic.code).toBe(3);
    expect(readFileSync(log, 'utf8').split('\n')[0]).toBe('arg=notebook');

    const lab = expman(['notebook', '--data', data, '--lab'], { env });
    expect(lab.code).toBe(1);
    expect(lab.stderr).toBe(
      `expman: error: JupyterLab is not installed (\`${join(bin, 'jupyter')} lab --version\` failed): install it with \`pip install jupyterlab\` or Debian's \`apt install jupyter-notebook\`\n`,
    );

    const neither = expman(['notebook', '--data', data], { env: { ...env, FAKE_FRONTENDS: '' } });
    expect(neither.code).toBe(1);
    expect(neither.stderr).toMatch(/^expman: error: neither JupyterLab nor the classic Jupyter Notebook is installed .*pip install jupyterlab.*\n$/);
  });

  it('usage errors: --lab with --classic, a missing data folder', () => {
    const { bin } = fakeJupyter();
    const both = expman(['notebook', '--lab', '--classic'], { env: { PATH: bin } });
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('expman: error: --lab and --classic exclude each other\n');
    const missing = join(tempDataDir(false), 'nope');
    const noData = expman(['notebook', '--data', missing, '--print'], { env: { PATH: bin, FAKE_FRONTENDS: 'lab' } });
    expect(noData.code).toBe(1);
    expect(noData.stderr).toBe(`expman: error: ${missing}: data folder not found (give --data DIR or set $DATA)\n`);
  });

  it('is listed in expman --help', () => {
    expect(expman(['--help']).stdout).toMatch(/^ {2}notebook +open the analysis notebooks in Jupyter with DATA set$/m);
  });
});
