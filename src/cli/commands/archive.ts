import { resolve } from 'node:path';
import { ARCHIVE_FORMATS, formatFromName, type ArchiveFormat } from '../../core/archive/archive-format.js';
import { createArchive, defaultArchiveName, type ArchiveResult } from '../../core/archive/create.js';
import { ExpmanError } from '../../core/errors.js';
import { resolveDataDir } from '../../core/workspace.js';
import { cancellable, signalExitCode } from '../cancellation.js';
import { emitJson, parse, type CommandContext } from '../context.js';
import { tuneForStreaming } from '../memory.js';
import { formatBytes, formatSeconds, ProgressBar } from '../progress-bar.js';

export const archiveHelp = `expman archive [--data DIR] [--out FILE] [--format gz|zst] [--exclude-checkpoints] [--only experiments/<exp>]... [--json]
expman archive verify FILE [--json]
expman archive restore FILE --into DIR [--force] [--preserve-permissions] [--json]

Writes the data folder as a standard .tar.gz or .tar.zst (GNU tar lists and extracts it unchanged: modes,
mtimes and relative links kept). Its last entry, MANIFEST, lists the path, size and sha256 of every file,
the provenance (expman version, host, time) and the runs that were training at the time. Temporary files
(.tmp-*, e.g. a checkpoint being written) are never archived.

  --out FILE              where to write (default: ./expman-data-<date>-<time>.tar.gz); never overwritten
  --format gz|zst         gz: gzip -6 on all cores, readable everywhere (the default, unless FILE ends in
                          .tar.zst); zst: zstd -1 on all cores through the system's zstd command, about
                          10x faster at the same size; reading it needs zstd too (tar -I zstd -xf)
  --exclude-checkpoints   leave out checkpoints/ folders (best-model/ is kept)
  --only PATH             archive only this part of the folder, e.g. experiments/e1 (repeatable)

verify    reads FILE (gzip or zstd: told by its first bytes) once, applies restore's safety rules to every entry and checks every file against
          the MANIFEST: reports unsafe, missing, extra and corrupt entries; exit 1 on any problem.
restore   reads FILE once (a file or a pipe) into a staging folder inside DIR, then refuses the whole
          archive if verify would report anything, if a folder on the way in DIR is a link, or if files
          exist (unless --force); then places everything, all or nothing. Setuid/setgid bits are cleared
          unless --preserve-permissions.

Ctrl-C cancels and leaves no partial archive (exit 130).`;

function describeCreated(result: ArchiveResult, data: string): string[] {
  const ratio = result.bytes > 0 ? ` (${((100 * result.archiveBytes) / result.bytes).toFixed(0)}%)` : '';
  const lines = [
    `Archived ${result.files} files (${formatBytes(result.bytes)}) from ${data} to ${result.file}: ${formatBytes(result.archiveBytes)}${ratio} in ${formatSeconds(result.seconds)}`,
  ];
  for (const run of result.liveRuns) lines.push(`  live run: ${run.path} (pid ${run.pid} on ${run.host}); its newest checkpoint may be missing`);
  for (const skipped of result.skipped) lines.push(`  skipped: ${skipped.path}: ${skipped.reason}`);
  return lines;
}

async function create(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      out: { type: 'string' },
      format: { type: 'string' },
      'exclude-checkpoints': { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
    },
    true,
  );
  if (positionals.length) throw new ExpmanError('USAGE', `unexpected argument ${JSON.stringify(positionals[0])}; subcommands: verify, restore`);
  const data = resolveDataDir(values.data);
  if (values.format !== undefined && !(ARCHIVE_FORMATS as readonly string[]).includes(values.format)) {
    throw new ExpmanError('USAGE', `--format ${values.format}: expected one of ${ARCHIVE_FORMATS.join(', ')}`, { key: 'format' });
  }
  const named = values.out === undefined ? undefined : formatFromName(values.out);
  const format = (values.format as ArchiveFormat | undefined) ?? named ?? 'gz';
  if (named && named !== format) throw new ExpmanError('USAGE', `--out ${values.out} names a ${named} archive but --format is ${format}`, { key: 'format' });
  const out = resolve(values.out ?? defaultArchiveName(new Date(), format));
  const bar = new ProgressBar();
  tuneForStreaming();
  const outcome = await cancellable((signal) =>
    // No bar (not a terminal): no progress asked, which spares the walk that counts the total.
    createArchive({ dataDir: data, out, format, excludeCheckpoints: values['exclude-checkpoints'], only: values.only, signal, onProgress: bar.enabled ? (p) => bar.update(p) : undefined }),
  );
  bar.clear();
  if (!outcome.ok) {
    console.error('expman: archive cancelled; no file was written');
    return signalExitCode(outcome.signal);
  }
  if (values.json) {
    const r = outcome.value;
    emitJson({ event: 'archive_created', data, file: r.file, format: r.format, files: r.files, links: r.links, bytes: r.bytes, archive_bytes: r.archiveBytes, live_runs: r.liveRuns, skipped: r.skipped, seconds: r.seconds });
  }
  else for (const line of describeCreated(outcome.value, data)) console.log(line);
  return 0;
}

async function verify(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {}, true);
  if (positionals.length !== 1) throw new ExpmanError('USAGE', 'expected one archive: expman archive verify FILE');
  const file = resolve(positionals[0]!);
  const bar = new ProgressBar();
  // Loaded only by the subcommand that uses it: `expman archive` keeps its footprint to what writing needs.
  const { verifyArchive } = await import('../../core/archive/verify.js');
  tuneForStreaming();
  const outcome = await cancellable((signal) => verifyArchive(file, { signal, onProgress: (p) => bar.update(p) }));
  bar.clear();
  if (!outcome.ok) return signalExitCode(outcome.signal);
  const report = outcome.value;
  if (values.json) emitJson({ event: 'archive_verified', ...report });
  else {
    for (const problem of report.problems) console.log(`${problem.kind.padEnd(8)} ${problem.path}: ${problem.detail}`);
  }
  if (!report.ok) {
    const first = report.problems[0]!;
    throw new ExpmanError('ARCHIVE_INVALID', `${file}: ${report.problems.length} problem(s), e.g. ${first.kind} ${first.path} (${first.detail})`, {
      file,
      problems: report.problems,
    });
  }
  if (!values.json) {
    const p = report.manifest!.provenance;
    console.log(`OK: ${file}: ${report.checked} files match the MANIFEST (made ${p.created} by expman ${p.tool_version} on ${p.host})`);
  }
  return 0;
}

async function restore(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { into: { type: 'string' }, force: { type: 'boolean', default: false }, 'preserve-permissions': { type: 'boolean', default: false } },
    true,
  );
  if (positionals.length !== 1) throw new ExpmanError('USAGE', 'expected one archive: expman archive restore FILE --into DIR');
  if (!values.into) throw new ExpmanError('USAGE', 'restore needs --into DIR (the folder to restore into)', { key: 'into' });
  const file = resolve(positionals[0]!);
  const bar = new ProgressBar();
  const { restoreArchive } = await import('../../core/archive/restore.js');
  tuneForStreaming();
  const outcome = await cancellable((signal) => restoreArchive(file, values.into!, { force: values.force, preservePermissions: values['preserve-permissions'], signal, onProgress: (p) => bar.update(p) }));
  bar.clear();
  if (!outcome.ok) {
    console.error('expman: restore cancelled; nothing was changed');
    return signalExitCode(outcome.signal);
  }
  const result = outcome.value;
  if (values.json) {
    const { manifest, ...rest } = result;
    emitJson({ event: 'archive_restored', file, ...rest, provenance: manifest.provenance, live_runs: manifest.live_runs });
  } else {
    const replaced = result.overwritten ? `, ${result.overwritten} existing files replaced` : '';
    console.log(`Restored ${result.files} files (${formatBytes(result.bytes)}) into ${result.into}, verified against the MANIFEST${replaced}`);
  }
  return 0;
}

export async function archiveCommand(ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = ctx.argv;
  if (sub === 'verify') return verify(rest);
  if (sub === 'restore') return restore(rest);
  return create(ctx.argv);
}
