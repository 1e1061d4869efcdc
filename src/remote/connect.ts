/**
 * Opening a host for a command: ssh2 via src/transport with the CLI's SSH options, and a
 * reconnect function for after the reboot that pins the host key seen now.
 */
import type { SshConnectOptions, Transport } from '../transport/index.js';
import { bounded, type BoundedTransport } from '../transport/bounded.js';

export interface SshCliOptions {
  identity?: string[];
  port?: number;
  user?: string;
  knownHosts?: string[];
  acceptNewHostKey?: boolean;
  sshConfig?: string;
  connectTimeoutS?: number;
  /** Extra known_hosts lines (e.g. from an inventory). */
  knownHostLines?: string[];
  /**
   * OpenSSH options from an Ansible inventory (checked with parseSshArgs), placed before the
   * options above on the `ssh -G` command line: where both set the same thing, these win
   * (src/fleet/targets.ts leaves the other out).
   */
  args?: string[];
  /** Asked for an encrypted key's passphrase; `attempt` > 0 after a wrong answer. */
  askPassphrase?: (keyPath: string, attempt?: number) => Promise<string | undefined>;
}

export interface OpenHost {
  /** The connection, with every answer bounded in size and time (transport/bounded.ts). */
  transport: BoundedTransport;
  reconnect: () => Promise<Transport>;
  /** Does the host's sshd accept TCP connections? (cheap; absent behind a jump host) */
  probe?: () => Promise<boolean>;
}

/** A TCP connect that succeeds within `timeoutMs`: the cheap way to see sshd come back after a reboot. */
export function tcpProbe(host: string, port: number, timeoutMs = 300): () => Promise<boolean> {
  return () =>
    new Promise((resolve) => {
      import('node:net').then(({ connect }) => {
        const sock = connect({ host, port });
        const done = (ok: boolean) => {
          sock.removeAllListeners();
          sock.destroy();
          resolve(ok);
        };
        sock.setTimeout(timeoutMs, () => done(false));
        sock.once('connect', () => done(true));
        sock.once('error', () => done(false));
      }, () => resolve(false));
    });
}

export function sshOptions(target: string, o: SshCliOptions): SshConnectOptions {
  const opts: SshConnectOptions = { host: target };
  if (o.identity?.length) opts.identityFiles = o.identity;
  if (o.port !== undefined) opts.port = o.port;
  if (o.user !== undefined) opts.user = o.user;
  if (o.knownHosts?.length) opts.knownHostsFiles = o.knownHosts;
  if (o.knownHostLines?.length) opts.knownHosts = o.knownHostLines;
  if (o.acceptNewHostKey) opts.acceptNewHostKey = true;
  if (o.sshConfig !== undefined) opts.configFile = o.sshConfig;
  if (o.connectTimeoutS !== undefined) opts.readyTimeoutMs = o.connectTimeoutS * 1000;
  if (o.askPassphrase) opts.askPassphrase = o.askPassphrase;
  if (o.args?.length) opts.sshArgs = o.args;
  return opts;
}

export async function openHost(target: string, o: SshCliOptions): Promise<OpenHost> {
  const { connectSsh } = await import('../transport/ssh.js');
  const base = sshOptions(target, o);
  // the passphrases this connection was given: a reconnect (after the reboot, to release the lock)
  // uses them and never prompts — nobody may be at the terminal any more, and a prompt would wait
  // forever with the host locked. A key it would need anew fails the reconnect with auth-failed.
  const given = new Map<string, string>();
  const ask = o.askPassphrase;
  if (ask) {
    base.askPassphrase = async (keyPath: string, attempt?: number) => {
      const p = await ask(keyPath, attempt);
      if (p !== undefined) given.set(keyPath, p);
      return p;
    };
  }
  const ssh = await connectSsh(base);
  const pinned = ssh.hostKey;
  const reconnect = async (): Promise<Transport> =>
    bounded(await connectSsh({
      ...base,
      acceptNewHostKey: false,
      pinnedHostKey: pinned,
      readyTimeoutMs: Math.min(base.readyTimeoutMs ?? 5000, 5000),
      askPassphrase: async (keyPath: string, attempt?: number) => (attempt ? undefined : given.get(keyPath)),
    }));
  const addr = ssh.directAddress;
  return { transport: bounded(ssh), reconnect, ...(addr ? { probe: tcpProbe(addr.host, addr.port) } : {}) };
}
