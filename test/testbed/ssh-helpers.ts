// Small ssh2 helpers for the test bed's own tests (the tool's transport is separate).
import fs from 'node:fs';
import { Client, type ConnectConfig, type ClientChannel } from 'ssh2';
import type { TestHost } from './index.js';

export interface ExecResult {
  /** exit status; null when the connection dropped before one arrived */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
  /** the connection closed while the command ran */
  dropped: boolean;
}

export interface ConnectOpts {
  user?: 'root' | 'admin';
  privateKey?: Buffer | string;
  /** expected host key ("ssh-rsa AAAA..."); default: the host's key from startHosts */
  hostKey?: string | null;
  readyTimeout?: number;
  algorithms?: ConnectConfig['algorithms'];
  /** extra ssh2 options */
  extra?: Partial<ConnectConfig>;
}

export function connect(h: TestHost, opts: ConnectOpts = {}): Promise<Client> {
  const user = opts.user ?? 'root';
  const keyPath = user === 'admin' ? h.sudo?.privateKeyPath : h.privateKeyPath;
  const key = opts.privateKey ?? (keyPath ? fs.readFileSync(keyPath) : undefined);
  const want = opts.hostKey === undefined ? h.hostKey : opts.hostKey;
  return new Promise((resolve, reject) => {
    const c = new Client();
    let seen = '';
    c.on('ready', () => resolve(c));
    c.on('error', (e) => reject(Object.assign(e, { seenHostKey: seen })));
    c.connect({
      host: h.host,
      port: h.port,
      username: user,
      privateKey: key,
      readyTimeout: opts.readyTimeout ?? 10_000,
      algorithms: opts.algorithms,
      hostVerifier: (k: Buffer) => {
        seen = k.toString('base64');
        return want === null || want.split(' ')[1] === seen;
      },
      ...opts.extra,
    });
  });
}

/** Run a command; stdout/stderr are always consumed (else ssh2 may never emit close). */
export function exec(c: Client, cmd: string, opts: { pty?: boolean; stdin?: string; onStdout?: (s: string) => void } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    c.exec(cmd, opts.pty ? { pty: true } : {}, (err: Error | undefined, st: ClientChannel) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      let signal: string | undefined;
      let settled = false;
      const finish = (dropped: boolean) => {
        if (settled) return;
        settled = true;
        resolve({ code, signal, stdout, stderr, dropped });
      };
      st.on('data', (d: Buffer) => {
        stdout += d.toString('utf8');
        opts.onStdout?.(d.toString('utf8'));
      });
      st.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      st.on('exit', (c2: number | null, s?: string) => {
        if (typeof c2 === 'number') code = c2;
        if (s) signal = s;
      });
      st.on('close', () => finish(false));
      c.once('close', () => finish(true));
      if (opts.stdin !== undefined) st.end(opts.stdin);
      else st.end();
    });
  });
}

export async function run(h: TestHost, cmd: string, opts: ConnectOpts = {}): Promise<ExecResult> {
  const c = await connect(h, opts);
  try {
    return await exec(c, cmd);
  } finally {
    c.end();
  }
}

export function sftpWrite(c: Client, path: string, data: string): Promise<void> {
  return new Promise((resolve, reject) =>
    c.sftp((e, s) => {
      if (e) return reject(e);
      s.writeFile(path, data, (e2) => {
        s.end();
        return e2 ? reject(e2) : resolve();
      });
    }),
  );
}

/** Connect, retrying while the host is down (refused / reset / timeout). */
export async function reconnect(h: TestHost, timeoutMs = 30_000, opts: ConnectOpts = {}): Promise<Client> {
  const t0 = Date.now();
  for (;;) {
    try {
      return await connect(h, { readyTimeout: 3000, ...opts });
    } catch (e) {
      if (Date.now() - t0 > timeoutMs) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Send a reboot command and wait until the connection has dropped. */
export async function rebootVia(c: Client, cmd = 'reboot'): Promise<ExecResult> {
  c.on('error', () => {});
  const closed = new Promise<void>((r) => c.once('close', () => r()));
  const res = await exec(c, cmd);
  await closed;
  return res;
}

export async function bootId(c: Client): Promise<string> {
  return (await exec(c, 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();
}
