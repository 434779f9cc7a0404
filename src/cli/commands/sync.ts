import { ExpmanError } from '../../core/errors.js';
import type { SyncItem } from '../../core/sync/rsync-output.js';
import { syncData, type SyncResult } from '../../core/sync/sync.js';
import { resolveDataDir } from '../../core/workspace.js';
import { cancellable, signalExitCode } from '../cancellation.js';
import { emitJson, parse, parseNumberFlag, type CommandContext } from '../context.js';
import { formatBytes, formatSeconds, ProgressBar } from '../progress-bar.js';

export const syncHelp = `expman sync DEST [--data DIR] [--dry-run] [--delete] [--exclude-checkpoints] [--json]
expman sync --from SRC [same options]

Copies the data folder to DEST, or with --from brings SRC into it, with the system rsync. DEST and SRC
are local folders or [user@]host:path over SSH. Only what changed is sent; an interrupted sync resumes
where it stopped (--partial-dir). Temporary files (.tmp-*, a checkpoint being written) are never sent.
Run folders that are live on the receiving side (training, queued, or locked) are never written into
or deleted, --delete or not; each is listed as "protected". rsync ends with expman, even when expman
is killed.

  --dry-run               list what would change, change nothing
  --delete                delete files on the receiving side that the sending side no longer has
  --exclude-checkpoints   leave out checkpoints/ folders
  --bwlimit KIB           limit the bandwidth to KIB KiB/s
  --ssh-port N            SSH port (default: ssh's, usually 22)
  --ssh-key FILE          SSH identity file (default: ssh's keys and agent)

EXPMAN_SSH_COMMAND replaces the whole ssh command line, e.g.
  EXPMAN_SSH_COMMAND="ssh -p 2222 -i ~/.ssh/lab -o StrictHostKeyChecking=accept-new" expman sync lab:data

Exit codes: 3 rsync missing (here or on the host), 4 host unreachable, 5 permission denied (SSH login
or files, a read-only destination), 6 other rsync failure (e.g. DEST is a file), 130/143 cancelled.`;

function itemLine(item: SyncItem): string | undefined {
  if (item.change === 'delete') return `delete  ${item.path}${item.type === 'dir' ? '/' : ''}`;
  if (item.change === 'attributes') return undefined; // only a time or mode changed: noise in a listing
  const isNew = item.code.slice(2).startsWith('+');
  return `${isNew ? 'new   ' : 'update'}  ${item.path}${item.type === 'dir' ? '/' : ''}${item.type === 'link' ? ' (link)' : ''}`;
}

function summaryLine(result: SyncResult): string {
  const s = result.summary;
  if (result.dryRun) {
    return `Dry run ${result.source} → ${result.destination}: ${s.filesTransferred} files to transfer (${formatBytes(s.transferredSize)}), ${s.filesDeleted} to delete; nothing was changed`;
  }
  return `Synced ${result.source} → ${result.destination}: ${s.filesTransferred} files transferred (${formatBytes(s.transferredSize)} of ${formatBytes(s.totalSize)}), ${s.filesDeleted} deleted, ${formatBytes(s.bytesPerSecond)}/s, ${formatSeconds(result.seconds)}`;
}

export async function syncCommand(ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(
    ctx.argv,
    {
      from: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      delete: { type: 'boolean', default: false },
      'exclude-checkpoints': { type: 'boolean', default: false },
      bwlimit: { type: 'string' },
      'ssh-port': { type: 'string' },
      'ssh-key': { type: 'string' },
    },
    true,
  );
  if (positionals.length > 1) throw new ExpmanError('USAGE', `expected one destination, got ${positionals.length}: ${positionals.join(' ')}`);
  const port = values['ssh-port'] === undefined ? undefined : parseNumberFlag('ssh-port', values['ssh-port'], 22, true);
  const bwlimit = values.bwlimit === undefined ? undefined : parseNumberFlag('bwlimit', values.bwlimit, 0, true);
  const bar = new ProgressBar();
  const outcome = await cancellable((signal) =>
    syncData({
      dataDir: resolveDataDir(values.data),
      to: positionals[0],
      from: values.from,
      dryRun: values['dry-run'],
      delete: values.delete,
      excludeCheckpoints: values['exclude-checkpoints'],
      bwlimit,
      ssh: { command: process.env['EXPMAN_SSH_COMMAND'], port, key: values['ssh-key'], interactive: Boolean(process.stdin.isTTY) && !values.json },
      signal,
      onProgress: (p) => bar.update(p),
      onItem: (item) => {
        if (values.json || !values['dry-run']) return;
        const line = itemLine(item);
        if (line) bar.println(line);
      },
    }),
  );
  bar.clear();
  if (outcome.ok && !values.json) {
    for (const run of outcome.value.protectedRuns) console.log(`protected  ${run.path}/ (live on the receiving side: ${run.reason}); nothing in it was changed or deleted`);
  }
  if (!outcome.ok) {
    console.error('expman: sync cancelled; run it again to resume');
    return signalExitCode(outcome.signal);
  }
  if (values.json) {
    const { summary: s, dryRun, protectedRuns, ...rest } = outcome.value;
    emitJson({
      event: 'sync_finished',
      ...rest,
      dry_run: dryRun,
      protected_runs: protectedRuns,
      summary: {
        files: s.files,
        files_transferred: s.filesTransferred,
        files_deleted: s.filesDeleted,
        total_size: s.totalSize,
        transferred_size: s.transferredSize,
        bytes_sent: s.bytesSent,
        bytes_received: s.bytesReceived,
        bytes_per_second: s.bytesPerSecond,
      },
    });
  }
  else console.log(summaryLine(outcome.value));
  return 0;
}
