import { describe, expect, it } from 'vitest';
import { parseLocation, rsyncPath } from '../../../src/core/sync/location.js';
import { protectRules } from '../../../src/core/sync/live-runs.js';
import { rsyncArgs, sshCommand } from '../../../src/core/sync/rsync-args.js';
import { parseItemLine, parseProgressLine, parseStats } from '../../../src/core/sync/rsync-output.js';

describe('sync locations', () => {
  it('tells [user@]host:path from local paths the way rsync does', () => {
    expect(parseLocation('alice@gpu:/srv/data')).toEqual({ kind: 'ssh', user: 'alice', host: 'gpu', path: '/srv/data' });
    expect(parseLocation('gpu:data')).toEqual({ kind: 'ssh', user: undefined, host: 'gpu', path: 'data' });
    expect(parseLocation('./a:b', '/home/me')).toEqual({ kind: 'local', path: '/home/me/a:b' });
    expect(parseLocation('/mnt/backup', '/x')).toEqual({ kind: 'local', path: '/mnt/backup' });
    expect(() => parseLocation('host::module')).toThrow(/rsync daemon/);
    expect(() => parseLocation('rsync://host/x')).toThrow(/rsync daemon/);
    expect(() => parseLocation('@host:x')).toThrow(/expected \[user@\]host:path/);
    expect(rsyncPath({ kind: 'ssh', host: 'gpu', path: 'data' })).toBe('gpu:data/');
    expect(rsyncPath({ kind: 'ssh', host: 'gpu', path: '' })).toBe('gpu:');
  });

  it('builds an argument array: no shell, temporaries excluded, ssh options quoted for rsync -e', () => {
    const args = rsyncArgs({
      source: { kind: 'local', path: '/d' },
      destination: { kind: 'ssh', host: 'h', path: 'x y' },
      delete: true,
      excludeCheckpoints: true,
      ssh: { port: 2222, key: '/k e y' },
      filters: protectRules([{ path: 'experiments/e/models/m', experiment: 'e', model: 'm', status: 'running', reason: 'r' }]),
    });
    expect(args).toEqual([
      '-a', '--partial-dir=.tmp-rsync-partial', '--info=progress2', '--no-inc-recursive', '--stats', '--out-format=%i %n%L',
      '--filter=- /experiments/e/models/m/', '--exclude=.tmp-*', '--exclude=checkpoints/', '--delete', '-e', 'ssh -o ConnectTimeout=15 -o BatchMode=yes -p 2222 -i "/k e y"', '--', '/d/', 'h:x y/',
    ]);
    expect(sshCommand({ command: ' ssh -F cfg ', port: 1 })).toBe('ssh -F cfg');
    expect(sshCommand({ interactive: true })).toBe('ssh -o ConnectTimeout=15');
  });

  it('protect rules match a run folder literally, wildcards in its name included', () => {
    const run = (model: string) => ({ path: `experiments/e/models/${model}`, experiment: 'e', model, status: 'running', reason: 'r' });
    expect(protectRules([run('a*b[1]'), run('plain\\x')])).toEqual(['--filter=- /experiments/e/models/a\\*b\\[1]/', '--filter=- /experiments/e/models/plain\\x/']);
  });
});

describe('rsync output', () => {
  it('parses --info=progress2 lines', () => {
    expect(parseProgressLine('     12,345,678  45%   11.80MB/s    0:00:01 (xfr#3, to-chk=10/20)')).toEqual({ bytes: 12345678, percent: 45, rate: '11.80MB/s' });
    expect(parseProgressLine('>f+++++++++ a.txt')).toBeUndefined();
  });

  it('parses itemized changes', () => {
    expect(parseItemLine('>f+++++++++ datasets/a.csv')).toEqual({ change: 'receive', type: 'file', path: 'datasets/a.csv', code: '>f+++++++++' });
    expect(parseItemLine('<f.st...... logs/run.log')).toMatchObject({ change: 'send', type: 'file' });
    expect(parseItemLine('cd+++++++++ experiments/e1/')).toMatchObject({ change: 'create', type: 'dir', path: 'experiments/e1' });
    expect(parseItemLine('cL+++++++++ latest -> models/run-0')).toMatchObject({ type: 'link', path: 'latest' });
    expect(parseItemLine('*deleting   old/file.txt')).toEqual({ change: 'delete', type: 'file', path: 'old/file.txt', code: '*deleting' });
    expect(parseItemLine('Number of files: 3')).toBeUndefined();
  });

  it('parses --stats', () => {
    const stats = parseStats(`Number of files: 1,234 (reg: 1,000, dir: 234)
Number of created files: 10
Number of deleted files: 2
Number of regular files transferred: 7
Total file size: 9,876,543 bytes
Total transferred file size: 54,321 bytes
Total bytes sent: 60,000
Total bytes received: 1,234

sent 60,000 bytes  received 1,234 bytes  40,822.67 bytes/sec
total size is 9,876,543  speedup is 161.30`);
    expect(stats).toEqual({ files: 1234, filesTransferred: 7, filesDeleted: 2, totalSize: 9876543, transferredSize: 54321, bytesSent: 60000, bytesReceived: 1234, bytesPerSecond: 40822.67 });
  });
});
