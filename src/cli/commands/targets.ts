import { checkTarget } from '../../core/executors/check.js';
import { loadTarget, loadTargets, targetsFile, type Target } from '../../core/executors/targets.js';
import { ExpmanError } from '../../core/errors.js';
import { dataWorkspace, emitJson, parse, type CommandContext } from '../context.js';

export const targetsHelp = `expman targets list [--json]
expman targets check NAME [--json]

Targets are the places a run can execute besides this machine, one table each in $DATA/targets.toml;
a run goes there with runtime.executor = "slurm" and runtime.target = NAME (config or --set).

  list     the targets and their settings
  check    whether a run can execute on NAME: Slurm's commands, the expman there (same major
           version), the data folder writable, and sbatch --test-only accepting the job`;

function describe(target: Target): string {
  if (target.executor === 'ssh') return `ssh ${target.ssh.user ? `${target.ssh.user}@` : ''}${target.ssh.host}${target.ssh.port ? `:${target.ssh.port}` : ''} data ${target.data}`;
  const parts = [
    target.ssh ? `submit on ${target.ssh.host}` : 'submit here',
    target.partition && `partition ${target.partition}`,
    target.account && `account ${target.account}`,
    target.time && `time ${target.time}`,
    target.cpus && `cpus ${target.cpus}`,
    target.mem && `mem ${target.mem}`,
    target.gres && `gres ${target.gres}`,
    target.requeue && `requeue (signal ${target.signal_before} s before the limit)`,
    target.modules.length > 0 && `modules ${target.modules.join(' ')}`,
  ];
  return `slurm ${parts.filter(Boolean).join(', ')}`;
}

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
    for (const target of targets) console.log(`${target.name.padEnd(Math.max(...targets.map((t) => t.name.length)))}  ${describe(target)}`);
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
