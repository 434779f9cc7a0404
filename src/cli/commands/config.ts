import { loadConfig } from '../../core/config/load.js';
import { describeOrigin } from '../../core/config/resolve.js';
import { type CONFIG_KEYS } from '../../core/config/schema.js';
import { configToToml } from '../../core/config/toml-write.js';
import { ExpmanError } from '../../core/errors.js';
import { DEFAULT_EXPERIMENT, checkName } from '../../core/workspace.js';
import { dataWorkspace, emitJson, parse, type CommandContext } from '../context.js';

export const configHelp = `expman config show [--experiment E] [--config FILE] [--set key=value]... [--origin] [--json]

Prints the resolved configuration as TOML. Precedence, weakest first: code defaults <
default-config.toml < experiments/<E>/config.toml (or --config FILE) < --set overrides.
With --origin each value says where it came from (file:line for files).`;

export async function configCommand(ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = ctx.argv;
  if (sub !== 'show') throw new ExpmanError('USAGE', `unknown config subcommand ${JSON.stringify(sub ?? '')}; try: expman config show`);
  const { values } = parse(rest, {
    experiment: { type: 'string', default: DEFAULT_EXPERIMENT },
    config: { type: 'string' },
    set: { type: 'string', multiple: true, default: [] },
    origin: { type: 'boolean', default: false },
  });
  checkName('experiment', values.experiment);
  const ws = dataWorkspace(values.data);
  const resolved = await loadConfig(ws, { experiment: values.experiment, configFile: values.config, overrides: values.set });
  if (values.json) {
    emitJson({ values: resolved.values, origins: resolved.origins });
    return 0;
  }
  const text = configToToml(resolved.values);
  if (!values.origin) {
    process.stdout.write(text);
    return 0;
  }
  // Align an origin comment after each `key = value` line.
  const lines = text.split('\n');
  const width = Math.max(...lines.map((l) => l.length));
  let section = '';
  const out = lines.map((line) => {
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      return line;
    }
    const assign = /^([A-Za-z0-9_]+) = /.exec(line);
    if (!assign) return line;
    const key = `${section}.${assign[1]}`;
    // `[params]` lines are keys of a table: each has its own origin (a --set of one param, a config line).
    const origin = resolved.tableOrigins?.[key] ?? resolved.origins[key as (typeof CONFIG_KEYS)[number]];
    return origin ? `${line.padEnd(width)}  # ${describeOrigin(origin)}` : line;
  });
  process.stdout.write(out.join('\n'));
  return 0;
}
