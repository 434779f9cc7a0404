// The analysis notebooks run on data the CLI has just produced: analysis/make-demo-data.sh builds a data
// folder (preprocess, two short training runs with different configs, test), then the Python helper's tests
// (pytest) and both notebooks (nbconvert --execute) run against it. The executed notebooks and their HTML
// export are left in test-output/analysis/ to look at.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTree, repoRoot, testLogDir } from '../helpers/data-dir.js';

const NOTEBOOKS = ['data-analysis-demo', 'datavis-reference'];
const DEBIAN_PACKAGES = 'python3-pandas python3-matplotlib python3-pytest jupyter-nbconvert python3-ipykernel';
/** Debian's packages install for /usr/bin/python3, which may not be the python3 first on PATH (pyenv).
 * $ANALYSIS_PYTHON picks another Python that has them (a virtualenv with jupyter, pandas, pytest). */
const python = process.env['ANALYSIS_PYTHON'] || (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const outputDir = join(repoRoot, 'test-output', 'analysis');

interface Cell {
  cell_type: string;
  execution_count?: number | null;
  outputs?: Array<{ output_type: string; name?: string; text?: string[]; data?: Record<string, unknown>; ename?: string; evalue?: string }>;
}
const cells = (file: string): Cell[] => (JSON.parse(readFileSync(file, 'utf8')) as { cells: Cell[] }).cells;

let tmp: string;
let data: string;
let env: NodeJS.ProcessEnv;

function run(args: string[], timeout = 240_000) {
  return spawnSync(args[0]!, args.slice(1), { cwd: repoRoot, env, encoding: 'utf8', timeout });
}

beforeAll(() => {
  const check = spawnSync(python, ['-c', 'import pandas, matplotlib, pytest, nbconvert, ipykernel'], { encoding: 'utf8' });
  if (check.status !== 0) {
    const missing = /No module named '?([\w.]+)'?/.exec(check.stderr ?? '')?.[1] ?? check.error?.message ?? check.stderr;
    throw new Error(`the analysis tests need Jupyter and pandas for ${python} (missing: ${missing}): apt-get install ${DEBIAN_PACKAGES} (.ci/run installs them)`);
  }
  tmp = mkdtempSync(join(tmpdir(), 'expman-analysis-'));
  data = join(tmp, 'data');
  env = {
    ...process.env,
    DATA: data,
    NODE: process.execPath,
    EXPMAN_LOG_DIR: testLogDir,
    PYTHONDONTWRITEBYTECODE: '1', // no __pycache__ beside the helper module
    // Jupyter, IPython and matplotlib state of this run only, not the tester's home.
    JUPYTER_RUNTIME_DIR: join(tmp, 'jupyter-runtime'),
    IPYTHONDIR: join(tmp, 'ipython'),
    MPLCONFIGDIR: join(tmp, 'matplotlib'),
    PYDEVD_DISABLE_FILE_VALIDATION: '1', // ipykernel's debugger otherwise warns about frozen modules
  };
  const made = run([join(repoRoot, 'analysis', 'make-demo-data.sh'), data]);
  if (made.status !== 0) throw new Error(`analysis/make-demo-data.sh failed (${made.status}): ${made.stderr}`);
}, 240_000); // the whole suite runs in parallel on CI's two cores: give the CLI runs time

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('analysis: the Python helper and the notebooks on data the CLI just made', () => {
  it('the helper module passes its pytest tests on that data folder', { timeout: 240_000 }, () => {
    const result = run([python, '-m', 'pytest', 'tests/analysis', '-q', '-p', 'no:cacheprovider']);
    expect(result.stderr + result.stdout).toMatch(/\b\d+ passed\b/);
    expect(result.stdout).not.toMatch(/failed|error/i);
    expect(result.status).toBe(0);
  });

  it('the notebooks are committed without outputs', () => {
    for (const name of NOTEBOOKS) {
      for (const cell of cells(join(repoRoot, 'analysis', `${name}.ipynb`)).filter((c) => c.cell_type === 'code')) {
        expect(cell.outputs).toEqual([]);
        expect(cell.execution_count).toBeNull();
      }
    }
  });

  it('both notebooks execute headless without errors, draw their plots and write nothing into $DATA', { timeout: 480_000 }, () => {
    const before = listTree(data);
    rmSync(outputDir, { recursive: true, force: true });
    mkdirSync(outputDir, { recursive: true });
    const notebooks = NOTEBOOKS.map((name) => join('analysis', `${name}.ipynb`));
    const executed = run([python, '-m', 'nbconvert', '--execute', '--to', 'notebook', '--output-dir', outputDir, ...notebooks]);
    expect(executed.stderr).not.toMatch(/Traceback|CellExecutionError/);
    expect(executed.status).toBe(0);
    expect(listTree(data)).toEqual(before);

    const minImages: Record<string, number> = { 'data-analysis-demo': 4, 'datavis-reference': 2 };
    for (const name of NOTEBOOKS) {
      const code = cells(join(outputDir, `${name}.ipynb`)).filter((c) => c.cell_type === 'code');
      const outputs = code.flatMap((c) => c.outputs ?? []);
      expect(code.every((c) => typeof c.execution_count === 'number')).toBe(true);
      expect(outputs.filter((o) => o.output_type === 'error')).toEqual([]);
      // No warnings either (deprecations, bad casts…); only matplotlib's one-off font-cache notice is fine.
      const warnings = outputs.filter((o) => o.output_type === 'stream' && o.name === 'stderr').map((o) => o.text?.join('') ?? '');
      expect(warnings.filter((text) => !/^Matplotlib is building the font cache/.test(text))).toEqual([]);
      expect(outputs.filter((o) => o.data?.['image/png']).length).toBeGreaterThanOrEqual(minImages[name]!);
      expect(outputs.some((o) => o.output_type === 'stream' && o.text?.join('').includes(data))).toBe(true);
    }

    // An HTML export to look at (and for CI to keep): the executed notebooks with their plots inline.
    const html = run([python, '-m', 'nbconvert', '--to', 'html', '--output-dir', outputDir, ...NOTEBOOKS.map((name) => join(outputDir, `${name}.ipynb`))]);
    expect(html.status).toBe(0);
    for (const name of NOTEBOOKS) {
      expect(readFileSync(join(outputDir, `${name}.html`), 'utf8')).toMatch(/<img[^>]+src="data:image\/png;base64,/);
    }
  });
});
