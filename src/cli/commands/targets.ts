import { checkTarget } from '../../core/executors/check.js';
import { describeTarget, loadTarget, loadTargets, targetsFile } from '../../core/executors/targets.js';
import { ExpmanError } from '../../core/errors.js';
import { dataWorkspace, emitJson, parse, type CommandContext } from '../context.js';

export const targetsHelp = `expman targets list [--json]
expman targets check NAME [--json]

Targets are the places a run can execute besides this machine, one table each in $DATA/targets.toml;
a run goes there with runtime.executor = "slurm" or "ssh" and runtime.target = NAME (config or --set).

  list     the targets and their settings
  check    whether a run can execute on NAME. Slurm: its commands, the expman the nodes run (same
           major version), the data folder writable, sbatch --test-only accepting the job. SSH: the
           login, the data folder there writable, rsync there, expman there (same major version)`;

export async function targetsCommand(ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(ctx.argv, {}, true);
  const ws = dataWorkspace(values.data);
  const [action, name, ...extra] = positionals;
  if (action === 'list' && name === undefined) {
    const targets = [...(await loadTargets(ws)).values()];
    if (values.json) {
      emitJson({ file: targetsFile(ws), targets });
      return 0;
    }
    if (targets.length === 0) console.log(`no targets: ${targetsFile(ws)} defines none (README: Targets)`);
    for (const target of targets) console.log(`${target.name.padEnd(Math.max(...targets.map((t) => t.name.length)))}  ${describeTarget(target)}`);
    return 0;
  }
  if (action === 'check' && name !== undefined && extra.length === 0) {
    const target = await loadTarget(ws, name, 'NAME');
    const passed = await checkTarget(ws, target, { onPass: (item) => (values.json ? undefined : console.log(`ok  ${item.what}: ${item.detail}`)) });
    if (values.json) emitJson({ target: name, ok: true, checks: passed });
    else console.log(`target ${name} is ready`);
    return 0;
  }
  throw new ExpmanError('USAGE', 'usage: expman targets list | expman targets check NAME');
}
