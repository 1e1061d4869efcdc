/**
 * A throwaway private sshd on 127.0.0.x for transport tests (needs root, /usr/sbin/sshd, unshare).
 *
 * Recipe from the testbed README §1: `unshare --mount --propagation private`, a tmpfs on /run with
 * /run/sshd, own config / host keys / authorized_keys in root-only paths, `StrictModes yes`.
 * Inside that private mount namespace only:
 *  - /etc/passwd is a bind-mounted copy with an extra user `tester` (uid 4242) for sudo tests;
 *  - /root is an empty tmpfs (no .bashrc side effects);
 *  - PATH starts with a dir holding a FAKE `sudo` driven by a mode file: it reproduces the
 *    messages of CentOS 6 sudo (`requiretty`, password required) but does not change user.
 * Nothing outside the temp dir is written; the listener is stopped by PID.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:net';

export type FakeSudoMode = 'plain' | 'requiretty' | 'password' | 'requiretty-password';

export interface PrivateSshd {
  address: string;
  port: number;
  dir: string;
  pid: number;
  /** "type base64" host public keys */
  hostKeys: { ed25519: string; rsa: string };
  /** client private key paths (authorized for root and tester) */
  keys: { rsa: string; ed25519: string; encrypted: string; unauthorized: string };
  encryptedPassphrase: string;
  setSudoMode(mode: FakeSudoMode): void;
  log(): string;
  stop(): Promise<void>;
}

export function sshdSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  if (!existsSync('/usr/sbin/sshd')) return '/usr/sbin/sshd is not installed';
  if (!existsSync('/usr/bin/unshare')) return 'unshare is not installed';
  if (!existsSync('/usr/bin/ssh-keygen')) return 'ssh-keygen is not installed';
  return undefined;
}

function keygen(path: string, type: 'rsa' | 'ed25519', passphrase = ''): string {
  const args = ['-q', '-t', type, '-N', passphrase, '-C', `dom0up-test-${type}`, '-f', path];
  if (type === 'rsa') args.push('-b', '2048');
  execFileSync('ssh-keygen', args, { stdio: 'ignore' });
  return readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

async function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, address, () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitListening(address: string, port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: address, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(20);
  }
  throw new Error('sshd did not start listening');
}

const FAKE_SUDO = `#!/bin/sh
# FAKE sudo for tests: reproduces CentOS 6 sudo's refusals, does not change the user.
mode=$(cat /run/dom0up-test/sudo-mode 2>/dev/null || echo plain)
if [ "$1" != "-n" ]; then echo "fake sudo: expected -n" >&2; exit 2; fi
shift
[ "$1" = "--" ] && shift
case $mode in
  requiretty*) if ! (: </dev/tty) 2>/dev/null; then echo "sudo: sorry, you must have a tty to run sudo" >&2; exit 1; fi ;;
esac
case $mode in
  *password) echo "sudo: a password is required" >&2; exit 1 ;;
esac
DOM0UP_FAKE_SUDO=1; export DOM0UP_FAKE_SUDO
exec "$@"
`;

export async function startPrivateSshd(opts: { legacy?: boolean; address?: string; extraConfig?: string[] } = {}): Promise<PrivateSshd> {
  const address = opts.address ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'dom0up-sshd-'));
  chmodSync(dir, 0o700);
  const hostEd = keygen(join(dir, 'host_ed25519'), 'ed25519');
  const hostRsa = keygen(join(dir, 'host_rsa'), 'rsa');
  const rsa = join(dir, 'id_rsa');
  const ed = join(dir, 'id_ed25519');
  const enc = join(dir, 'id_encrypted');
  const unauth = join(dir, 'id_unauthorized');
  const passphrase = 'correct horse battery staple';
  const pubs = [keygen(rsa, 'rsa'), keygen(ed, 'ed25519'), keygen(enc, 'ed25519', passphrase)];
  keygen(unauth, 'ed25519');
  writeFileSync(join(dir, 'authorized_keys'), pubs.join('\n') + '\n');
  const port = await freePort(address);
  const hostKeyLines = opts.legacy ? [`HostKey ${dir}/host_rsa`] : [`HostKey ${dir}/host_ed25519`, `HostKey ${dir}/host_rsa`];
  const legacy = opts.legacy
    ? [
        'KexAlgorithms diffie-hellman-group-exchange-sha256,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1',
        'HostKeyAlgorithms ssh-rsa',
        'PubkeyAcceptedAlgorithms ssh-rsa,rsa-sha2-256,rsa-sha2-512',
        'Ciphers aes128-ctr,aes192-ctr,aes256-ctr,aes128-cbc,aes256-cbc,3des-cbc',
        'MACs hmac-sha1,hmac-md5,umac-64@openssh.com,hmac-sha1-96',
      ]
    : [];
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `ListenAddress ${address}`,
      `Port ${port}`,
      ...hostKeyLines,
      `PidFile ${dir}/sshd.pid`,
      'AuthorizedKeysFile /run/dom0up-test/keys/%u',
      'StrictModes yes',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PrintMotd no',
      'PrintLastLog no',
      'MaxAuthTries 6',
      'SetEnv PATH=/run/dom0up-test/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'LogLevel VERBOSE',
      ...legacy,
      ...(opts.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'sudo'), FAKE_SUDO, { mode: 0o755 });
  writeFileSync(join(dir, 'sudo-mode'), 'plain\n');
  const passwd = readFileSync('/etc/passwd', 'utf8').replace(/\n?$/, '\n') + 'tester:x:4242:4242:dom0up test user:/run/dom0up-test/home/tester:/bin/sh\n';
  writeFileSync(join(dir, 'passwd'), passwd);
  const setup = `set -e
D=${dir}
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/sshd /run/dom0up-test/keys /run/dom0up-test/bin /run/dom0up-test/home/tester
chmod 755 /run/dom0up-test /run/dom0up-test/keys /run/dom0up-test/bin /run/dom0up-test/home
cp "$D/authorized_keys" /run/dom0up-test/keys/root
cp "$D/authorized_keys" /run/dom0up-test/keys/tester
chmod 644 /run/dom0up-test/keys/root /run/dom0up-test/keys/tester
chown 4242:4242 /run/dom0up-test/home/tester
chmod 755 /run/dom0up-test/home/tester
cp "$D/sudo" /run/dom0up-test/bin/sudo
chmod 755 /run/dom0up-test/bin/sudo
ln -s "$D/sudo-mode" /run/dom0up-test/sudo-mode
cp "$D/passwd" /run/dom0up-test/passwd
mount --bind /run/dom0up-test/passwd /etc/passwd
mount -t tmpfs -o mode=0700 tmpfs /root
exec /usr/sbin/sshd -D -e -f "$D/sshd_config"
`;
  writeFileSync(join(dir, 'run.sh'), setup);
  // the temp dir must be traversable by `tester` for the sudo-mode symlink
  chmodSync(dir, 0o711);
  chmodSync(join(dir, 'sudo-mode'), 0o644);
  const logPath = join(dir, 'sshd.log');
  const { openSync } = await import('node:fs');
  const logFd = openSync(logPath, 'a');
  const child = spawn('/usr/bin/unshare', ['--mount', '--propagation', 'private', '/bin/sh', join(dir, 'run.sh')], {
    stdio: ['ignore', logFd, logFd],
    detached: true,
  });
  child.unref();
  const pid = child.pid as number;
  try {
    await waitListening(address, port, child, 10_000);
  } catch (e) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}\n${log}`);
  }
  return {
    address,
    port,
    dir,
    pid,
    hostKeys: { ed25519: hostEd, rsa: hostRsa },
    keys: { rsa, ed25519: ed, encrypted: enc, unauthorized: unauth },
    encryptedPassphrase: passphrase,
    setSudoMode: (mode) => writeFileSync(join(dir, 'sudo-mode'), `${mode}\n`),
    log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
    stop: async () => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i++) await sleep(20);
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
