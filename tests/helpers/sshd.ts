import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { whileRunning } from './needs.js';
import { cliBundle, testLogDir } from './data-dir.js';
import { freePort } from './processes.js';

export const SSHD = '/usr/sbin/sshd';

/** Why SSH tests cannot run here, or undefined when they can. */
export function sshdUnavailable(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} not found (Debian: apt install openssh-server)`;
  for (const tool of ['ssh', 'ssh-keygen', 'rsync']) {
    if (spawnSync(tool, ['-V'], { stdio: 'ignore' }).error) return `${tool} not found on PATH`;
  }
  return undefined;
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface TestSshd {
  port: number;
  user: string;
  /** Private key that the server accepts. */
  key: string;
  /** Another key, which it does not. */
  wrongKey: string;
  /** The ssh command line for rsync -e / EXPMAN_SSH_COMMAND: this port and key, no host-key prompts. */
  sshCommand(key?: string): string;
  stop(): void;
}

/**
 * An sshd of its own on 127.0.0.1 and a free port, running as the current user with a temporary host
 * key, user key and config (StrictModes and PAM off, so no system accounts or files are involved). As
 * root, OpenSSH also needs its privilege-separation folder /run/sshd, created here when missing.
 */
export async function startSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'expman-sshd-'));
  const keygen = (name: string) => spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)], { stdio: 'ignore' });
  keygen('host_key');
  keygen('user_key');
  keygen('wrong_key');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')));
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'LogLevel ERROR',
      // A test cluster's config (tests/helpers/slurm.ts) reaches scheduler commands run over SSH: ssh -o SetEnv=SLURM_CONF=….
      'AcceptEnv SLURM_CONF',
    ].join('\n') + '\n',
  );
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (let i = 0; i < 100 && !(await accepting(port)); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!(await accepting(port))) {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`test sshd did not start: ${stderr}`);
  }
  const sshCommand = (key = join(dir, 'user_key')) =>
    `ssh -p ${port} -i ${key} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -o IdentitiesOnly=yes`;
  return {
    port,
    user: userInfo().username,
    key: join(dir, 'user_key'),
    wrongKey: join(dir, 'wrong_key'),
    sshCommand,
    stop() {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One test sshd for the tests of the suite this is called in (a describe body, or the file's top level):
 * started before them, stopped after them; returns the running one (read it inside a test).
 * Where sshd cannot run here (sshdUnavailable()), nothing is started: the suite is skipped then
 * (describeIfAvailable). `sshCommandEnv` also sets this process's EXPMAN_SSH_COMMAND while the suite
 * runs — to sshd.sshCommand(), or to what the function makes of the running sshd — for the expman
 * processes a test starts (they inherit it) and an in-process backend (it reads it); unset after.
 */
export function useSshd(options: { sshCommandEnv?: true | ((sshd: TestSshd) => string) } = {}): TestSshd {
  let sshd: TestSshd | undefined;
  beforeAll(async () => {
    if (sshdUnavailable()) return;
    sshd = await startSshd();
    const { sshCommandEnv } = options;
    if (sshCommandEnv) process.env['EXPMAN_SSH_COMMAND'] = sshCommandEnv === true ? sshd.sshCommand() : sshCommandEnv(sshd);
  }, 30_000);
  afterAll(() => {
    if (options.sshCommandEnv) delete process.env['EXPMAN_SSH_COMMAND'];
    sshd?.stop();
    sshd = undefined;
  });
  return whileRunning('the test sshd', () => sshd, () => sshdUnavailable() ?? 'read it inside a test, after beforeAll');
}

/** The expman a test target runs: this checkout's CLI bundle, logging to the tests' log folder. */
export const targetExpman = `env EXPMAN_LOG_DIR=${testLogDir} ${process.execPath} ${cliBundle}`;

/** targets.toml text for an SSH target `name` on the test sshd whose data folder is `remote` (plus `extra` lines). */
export function sshTargetToml(sshd: Pick<TestSshd, 'user'>, remote: string, name = 'box', extra = ''): string {
  return `[${name}]\nexecutor = "ssh"\nhost = "127.0.0.1"\nuser = "${sshd.user}"\ndata = "${remote}"\nexpman = "${targetExpman}"\n${extra}`;
}
