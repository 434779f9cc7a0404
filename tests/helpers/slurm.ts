import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll } from 'vitest';
import { whileRunning } from './needs.js';
import { freePort, waitUntil } from './processes.js';
import type { TestSshd } from './sshd.js';

/**
 * A real single-node Slurm for tests (Debian's slurmctld, slurmd, munge, slurm-client): no systemd, no
 * cgroups, no slurmdbd, its own ports, state and munge socket in a temporary folder, stopped by PID.
 * The recipe is ../shared/slurm/README.md's; it needs root (slurmd starts jobs as their user).
 */
const DAEMONS = { munged: '/usr/sbin/munged', slurmctld: '/usr/sbin/slurmctld', slurmd: '/usr/sbin/slurmd' };

/** Why Slurm tests cannot run here, or undefined when they can. */
export function slurmUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'Slurm tests need Linux';
  if (userInfo().uid !== 0) return 'Slurm tests need root (slurmd starts jobs as their user); run them as root, as CI does';
  for (const [name, path] of Object.entries(DAEMONS)) if (!existsSync(path)) return `${path} not found (Debian: apt install slurmctld slurmd slurm-client munge) — no ${name}`;
  for (const tool of ['sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo', 'runuser']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) return `${tool} not found on PATH`;
  }
  if (spawnSync('id', ['munge'], { stdio: 'ignore' }).status !== 0) return 'no munge user (Debian: apt install munge)';
  return undefined;
}

export interface TestSlurm {
  dir: string;
  /** The node's name (this host's short name) and the partition every job goes to by default. */
  node: string;
  partition: string;
  /** process.env plus SLURM_CONF: for sbatch, squeue, scontrol and the code under test. */
  env: NodeJS.ProcessEnv;
  /** Runs a Slurm command against this cluster; its stdout. */
  run(tool: string, args: string[]): string;
  /** Stops and starts slurmctld (jobs go on; the controller reloads its state). */
  restartController(): Promise<void>;
  /** The daemons' logs, for a failing test's message. */
  logs(): string;
  /** waitUntil, with the daemons' logs in its message when it times out. */
  until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms?: number): Promise<T>;
  stop(): Promise<void>;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopPid(pid: number | undefined): Promise<void> {
  if (!pid || !pidAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(50);
  if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
}

export async function startSlurm(): Promise<TestSlurm> {
  const dir = mkdtempSync(join(tmpdir(), 'expman-slurm-'));
  chmodSync(dir, 0o755);
  for (const sub of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, sub));
  const munge = spawnSync('id', ['-u', 'munge'], { encoding: 'utf8' });
  const mungeGid = spawnSync('id', ['-g', 'munge'], { encoding: 'utf8' });
  const [uid, gid] = [Number(munge.stdout.trim()), Number(mungeGid.stdout.trim())];
  chownSync(join(dir, 'munge'), uid, gid);
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, Buffer.from(Array.from({ length: 1024 }, () => Math.floor(Math.random() * 256))), { mode: 0o400 });
  chownSync(key, uid, gid);
  const node = hostname().split('.')[0]!;
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=expmantest',
      `SlurmctldHost=${node}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'SlurmUser=root',
      'AuthType=auth/munge',
      `AuthInfo=socket=${join(dir, 'munge', 'munge.socket')}`,
      'MailProg=/bin/true',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'JobCompType=jobcomp/none',
      'SchedulerType=sched/backfill',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'MpiDefault=none',
      'ReturnToService=2',
      'KillWait=5',
      // Poll the node often: a job's start and end are seen sooner.
      'SchedulerParameters=sched_interval=1',
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=1000 State=UNKNOWN`,
      'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
    ].join('\n') + '\n',
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const mungePid = join(dir, 'munge', 'munged.pid');
  const started = spawnSync(
    'runuser',
    ['-u', 'munge', '--', DAEMONS.munged, `--socket=${join(dir, 'munge', 'munge.socket')}`, `--key-file=${key}`, `--pid-file=${mungePid}`, `--log-file=${join(dir, 'munge', 'munged.log')}`, `--seed-file=${join(dir, 'munge', 'munged.seed')}`],
    { encoding: 'utf8' },
  );
  if (started.status !== 0) throw new Error(`munged did not start: ${started.stderr}`);
  const daemon = (program: string, args: string[]): number => {
    const child = spawn(program, args, { env, detached: true, stdio: ['ignore', 'ignore', 'ignore'] });
    child.unref();
    return child.pid!;
  };
  const pids: Record<string, number | undefined> = {};
  // -c (clear state) only the first time: a restarted controller reloads its jobs, as on a real cluster.
  const startController = (clear: boolean): void => void (pids['slurmctld'] = daemon(DAEMONS.slurmctld, ['-D', ...(clear ? ['-c'] : []), '-f', conf]));
  startController(true);
  pids['slurmd'] = daemon(DAEMONS.slurmd, ['-D', '-f', conf, '-N', node]);
  const run = (tool: string, args: string[]): string => {
    const result = spawnSync(tool, args, { env, encoding: 'utf8', timeout: 30_000 });
    if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${result.stderr || result.error?.message}`);
    return result.stdout;
  };
  const logs = (): string =>
    ['slurmctld.log', 'slurmd.log']
      .map((name) => {
        try {
          return `--- ${name}\n${readFileSync(join(dir, 'log', name), 'utf8').split('\n').slice(-30).join('\n')}`;
        } catch {
          return `--- ${name}: none`;
        }
      })
      .join('\n');
  const waitIdle = async (what: string): Promise<void> => {
    for (let i = 0; i < 120; i++) {
      const state = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' }).stdout?.trim();
      if (state === 'idle' || state === 'mixed' || state === 'allocated') return;
      await sleep(100);
    }
    throw new Error(`${what}\n${logs()}`);
  };
  // If the test process ends without stop() (a timed-out hook, a killed run), the daemons go with it.
  const killAll = (): void => {
    for (const pid of [pids['slurmd'], pids['slurmctld'], () => Number(readFileSync(mungePid, 'utf8').trim())]) {
      try {
        const id = typeof pid === 'function' ? pid() : pid;
        if (id) process.kill(id, 'SIGKILL');
      } catch {
        // already gone (or never started)
      }
    }
  };
  process.once('exit', killAll);
  const stop = async (): Promise<void> => {
    process.off('exit', killAll);
    // Jobs first: their processes (under slurmstepd) would outlive the daemons.
    const jobs = spawnSync('squeue', ['-h', '-o', '%i'], { env, encoding: 'utf8' }).stdout?.trim().split(/\s+/).filter(Boolean) ?? [];
    if (jobs.length) {
      spawnSync('scancel', ['--full', '--signal=KILL', ...jobs], { env });
      spawnSync('scancel', jobs, { env });
      for (let i = 0; i < 100 && spawnSync('squeue', ['-h', '-t', 'all', '-o', '%T'], { env, encoding: 'utf8' }).stdout?.match(/RUNNING|COMPLETING|PENDING/); i++) await sleep(100);
    }
    await stopPid(pids['slurmd']);
    await stopPid(pids['slurmctld']);
    const munged = Number(readFileSync(mungePid, 'utf8').trim());
    await stopPid(Number.isFinite(munged) ? munged : undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitIdle('slurm did not come up');
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dir,
    node,
    partition: 'debug',
    env,
    run,
    logs,
    until: (what, probe, ms) => waitUntil(what, probe, ms, logs),
    stop,
    async restartController(): Promise<void> {
      await stopPid(pids['slurmctld']);
      startController(false);
      await waitIdle('slurmctld did not come back');
    },
  };
}

/**
 * One test cluster for the tests of the suite this is called in (a describe body, or the file's top
 * level): started before them, stopped after them; returns the running one (read it inside a test).
 * Where Slurm cannot run here (slurmUnavailable()), nothing is started: the suite is skipped then
 * (describeIfAvailable). `confEnv` also sets this process's SLURM_CONF to the cluster's while the suite
 * runs, for the expman processes a test starts (they inherit it: sbatch and friends find the cluster);
 * unset after.
 */
export function useSlurm(options: { confEnv?: boolean } = {}): TestSlurm {
  let slurm: TestSlurm | undefined;
  beforeAll(async () => {
    if (slurmUnavailable()) return;
    slurm = await startSlurm();
    if (options.confEnv) process.env['SLURM_CONF'] = slurm.env['SLURM_CONF'];
  }, 60_000);
  afterAll(async () => {
    if (options.confEnv) delete process.env['SLURM_CONF'];
    await slurm?.stop();
    slurm = undefined;
  }, 60_000);
  return whileRunning('the test cluster', () => slurm, () => slurmUnavailable() ?? 'read it inside a test, after beforeAll');
}

/**
 * The ssh command line to a login node that is the test sshd: it passes the test cluster's config on to
 * sbatch/scontrol/scancel there (a real login node has its own; the test sshd accepts SLURM_CONF).
 */
export function loginSshCommand(sshd: Pick<TestSshd, 'sshCommand'>, slurm: Pick<TestSlurm, 'env'>): string {
  return `${sshd.sshCommand()} -o SetEnv=SLURM_CONF=${slurm.env['SLURM_CONF']}`;
}
