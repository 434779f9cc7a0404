import { spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { ExpmanError } from '../../core/errors.js';
import { findOnPath } from '../../core/find-on-path.js';
import { packageRoot } from '../../core/version.js';
import { resolveDataDir } from '../../core/workspace.js';
import { emitJson, parse, type CommandContext } from '../context.js';

export const notebookHelp = `expman notebook [--data DIR] [--lab | --classic] [--print] [--json] [-- JUPYTER-ARGS...]

Opens the analysis notebooks (the analysis/ folder of this expman: data-analysis-demo.ipynb,
datavis-reference.ipynb and the expman_data.py helper) in Jupyter, with $DATA set to the data folder.
It starts JupyterLab if it is installed, else the classic Jupyter Notebook, in analysis/.

  --lab       JupyterLab only (jupyter lab)
  --classic   the classic Notebook only (jupyter notebook)
  --print     print the command instead of running it (with --json: as a JSON object)
  -- ARGS     passed on to Jupyter, e.g. expman notebook -- --no-browser --port 8899

Needs Jupyter: pip install jupyterlab, or Debian's apt install jupyter-notebook.`;

const INSTALL = "install it with `pip install jupyterlab` or Debian's `apt install jupyter-notebook`";

type Frontend = 'lab' | 'notebook';
const FRONTEND_NAMES: Record<Frontend, string> = { lab: 'JupyterLab', notebook: 'Jupyter Notebook' };

export interface NotebookLaunch {
  command: string;
  args: string[];
  cwd: string;
  env: { DATA: string };
  frontend: Frontend;
  version: string;
}

/** `jupyter lab --version` / `jupyter notebook --version`: the version if that front end is installed. */
function frontendVersion(jupyter: string, frontend: Frontend): string | undefined {
  const result = spawnSync(jupyter, [frontend, '--version'], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) return undefined;
  return result.stdout.trim().split('\n').pop()?.trim() || 'unknown version';
}

/** What `expman notebook` runs: which jupyter, which front end, where, with which DATA. */
export function planNotebook(options: { data: string; frontend?: Frontend; extraArgs?: string[] }): NotebookLaunch {
  const jupyter = findOnPath('jupyter');
  if (!jupyter) throw new ExpmanError('JUPYTER_MISSING', `Jupyter is not installed: ${INSTALL}`);
  const choices: Frontend[] = options.frontend ? [options.frontend] : ['lab', 'notebook'];
  for (const frontend of choices) {
    const version = frontendVersion(jupyter, frontend);
    if (version) {
      return { command: jupyter, args: [frontend, ...(options.extraArgs ?? [])], cwd: join(packageRoot(), 'analysis'), env: { DATA: options.data }, frontend, version };
    }
  }
  const what = options.frontend
    ? `${FRONTEND_NAMES[options.frontend]} is not installed (\`${jupyter} ${options.frontend} --version\` failed)`
    : `neither JupyterLab nor the classic Jupyter Notebook is installed (only ${jupyter}, without \`jupyter lab\` or \`jupyter notebook\`)`;
  throw new ExpmanError('JUPYTER_MISSING', `${what}: ${INSTALL}`, { file: jupyter });
}

/** A POSIX shell rendering of the launch, for --print. */
function shellLine(launch: NotebookLaunch): string {
  const quote = (text: string) => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);
  return `cd ${quote(launch.cwd)} && DATA=${quote(launch.env.DATA)} ${[launch.command, ...launch.args].map(quote).join(' ')}`;
}

export async function notebookCommand(ctx: CommandContext): Promise<number> {
  const split = ctx.argv.indexOf('--');
  const own = split === -1 ? ctx.argv : ctx.argv.slice(0, split);
  const extraArgs = split === -1 ? [] : ctx.argv.slice(split + 1);
  const { values } = parse(own, {
    lab: { type: 'boolean', default: false },
    classic: { type: 'boolean', default: false },
    print: { type: 'boolean', default: false },
  });
  if (values.lab && values.classic) throw new ExpmanError('USAGE', '--lab and --classic exclude each other');

  const data = resolveDataDir(values.data);
  let isDir = false;
  try {
    isDir = statSync(data).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new ExpmanError('DATA_DIR', `${data}: data folder not found (give --data DIR or set $DATA)`, { file: data });

  const launch = planNotebook({ data, frontend: values.lab ? 'lab' : values.classic ? 'notebook' : undefined, extraArgs });
  if (values.json) emitJson(launch);
  if (values.print) {
    if (!values.json) console.log(shellLine(launch));
    return 0;
  }
  if (!values.json) console.log(`Starting ${FRONTEND_NAMES[launch.frontend]} ${launch.version} in ${launch.cwd} with DATA=${data} (Ctrl-C to stop it)`);

  const child = spawn(launch.command, launch.args, { cwd: launch.cwd, env: { ...process.env, DATA: data }, stdio: 'inherit' });
  // Ctrl-C reaches Jupyter too (same process group); it asks to confirm and exits, and so do we after it.
  const ignore = () => undefined;
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (error) => reject(new ExpmanError('JUPYTER_MISSING', `could not start ${launch.command}: ${error.message}`, { file: launch.command })));
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0)));
    });
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', forward);
    process.off('SIGHUP', forward);
  }
}
