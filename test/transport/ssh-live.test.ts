/**
 * SshTransport against a real, private, throwaway sshd on 127.0.0.1 (see helpers/private-sshd.ts).
 * Skips (with the reason printed) when not root or sshd is missing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSsh, type SshConnectOptions, type SshTransport } from '../../src/transport/ssh.js';
import { TransportError } from '../../src/transport/errors.js';
import { LEGACY_KEX } from '../../src/transport/ssh.js';
import { sh } from '../../src/transport/quote.js';
import { sshdSkipReason, startPrivateSshd, type PrivateSshd } from './helpers/private-sshd.js';

const skip = sshdSkipReason();
if (skip) console.log(`ssh-live tests skipped: ${skip}`);

function fpOf(pubLine: string): string {
  const out = execFileSync('ssh-keygen', ['-lf', '-'], { input: pubLine + '\n', encoding: 'utf8' });
  return out.split(/\s+/)[1] as string;
}

async function expectTransportError(p: Promise<unknown>, code: TransportError['code']): Promise<TransportError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).code, (e as Error).message).toBe(code);
    return e as TransportError;
  }
  throw new Error(`expected a TransportError ${code}`);
}

describe.skipIf(!!skip)('ssh transport against a private sshd', () => {
  let sshd: PrivateSshd;
  let tmp: string;
  let knownHosts: string;
  const open: SshTransport[] = [];

  const base = (over: Partial<SshConnectOptions> = {}): SshConnectOptions => ({
    host: `root@${sshd.address}:${sshd.port}`,
    useSshConfig: false,
    agent: false,
    identityFiles: [sshd.keys.ed25519],
    knownHostsFiles: [knownHosts],
    globalKnownHostsFiles: [],
    readyTimeoutMs: 10_000,
    ...over,
  });
  const connect = async (over: Partial<SshConnectOptions> = {}): Promise<SshTransport> => {
    const t = await connectSsh(base(over));
    open.push(t);
    return t;
  };

  beforeAll(async () => {
    sshd = await startPrivateSshd();
    tmp = mkdtempSync(join(tmpdir(), 'dom0up-live-'));
    knownHosts = join(tmp, 'known_hosts');
    writeFileSync(knownHosts, `[${sshd.address}]:${sshd.port} ${sshd.hostKeys.ed25519}\n[${sshd.address}]:${sshd.port} ${sshd.hostKeys.rsa}\n`);
  }, 60_000);

  afterAll(async () => {
    for (const t of open) await t.close().catch(() => undefined);
    await sshd?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('connects, verifies the host key and reports exit codes, stderr and signals', async () => {
    const t = await connect();
    expect(t.target).toBe(`root@${sshd.address}:${sshd.port}`);
    expect(t.hostKeySha256).toBe(fpOf(sshd.hostKeys.ed25519));
    const r0 = await t.exec('echo hello; id -u');
    expect(r0.code).toBe(0);
    expect(r0.stdout.toString()).toBe('hello\n0\n');
    const r7 = await t.exec('exit 7');
    expect(r7).toMatchObject({ code: 7, lost: false, timedOut: false });
    const r1 = await t.exec('echo oops >&2; false');
    expect(r1.code).toBe(1);
    expect(r1.stderr.toString()).toBe('oops\n');
    const rs = await t.exec('kill -TERM $$');
    expect(rs.code).toBeNull();
    expect(rs.signal).toBe('SIGTERM');
    expect(rs.lost).toBe(false);
    // sh -c semantics, multi-line scripts, quoting
    const weird = `it's "odd" $(x) \`y\` ; | & ü`;
    const rq = await t.exec(sh`printf '%s\n' ${weird}\nprintf 'second line\n'`);
    expect(rq.stdout.toString()).toBe(`${weird}\nsecond line\n`);
    expect(t.roundTrips).toBe(5);
  });

  it('passes stdin (binary, 1 MiB) through and keeps CR/LF bytes intact', async () => {
    const t = await connect();
    const data = randomBytes(1024 * 1024);
    const r = await t.exec('cat', { stdin: data });
    expect(r.code).toBe(0);
    expect(r.stdout.equals(data)).toBe(true);
    const crlf = await t.exec(`printf 'a\\r\\nb\\n'`);
    expect(crlf.stdout.toString('latin1')).toBe('a\r\nb\n');
    const chunks: Buffer[] = [];
    await t.exec('echo streamed', { onStdout: (c) => chunks.push(c) });
    expect(Buffer.concat(chunks).toString()).toBe('streamed\n');
  });

  it('refuses a script with NUL, naming the target', async () => {
    const t = await connect();
    const e = await expectTransportError(t.exec('echo a\0b'), 'unsafe-argument');
    expect(e.message.startsWith(`root@${sshd.address}:${sshd.port}: `)).toBe(true);
    expect(t.roundTrips).toBe(0);
  });

  it('runs commands concurrently on one connection', async () => {
    const t = await connect({ maxConcurrentExecs: 4 });
    const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => t.exec(`echo ${i}`)));
    expect(rs.map((r) => r.stdout.toString().trim())).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
  });

  it('times out a command and stays usable', async () => {
    const t = await connect();
    const r = await t.exec('sleep 10', { timeoutMs: 300 });
    expect(r).toMatchObject({ code: null, timedOut: true, lost: false });
    expect(r.durationMs).toBeLessThan(5000);
    expect((await t.exec('echo still')).stdout.toString()).toBe('still\n');
  });

  it('aborts a command with an AbortSignal', async () => {
    const t = await connect();
    const ac = new AbortController();
    const p = t.exec('sleep 10', { signal: ac.signal });
    setTimeout(() => ac.abort(), 200);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect((await t.exec('true')).code).toBe(0);
  });

  it('reports a dropped connection as lost (never success) and fires onClose', async () => {
    const t = await connect();
    const reasons: string[] = [];
    t.onClose((reason) => reasons.push(reason));
    // the shell's parent is the session's sshd: killing it drops the TCP connection mid-command
    const r = await t.exec('kill -9 $PPID; sleep 3; echo never');
    expect(r).toMatchObject({ code: null, lost: true, timedOut: false });
    expect(r.durationMs).toBeLessThan(4000);
    await sleep(50);
    expect(reasons).toEqual(['lost']);
    const after = await t.exec('echo x');
    expect(after).toMatchObject({ code: null, lost: true });
  });

  it('keeps an exit status that arrived before the connection dropped', async () => {
    const t = await connect();
    // exit status 0 first, connection killed shortly after (like a detached reboot)
    const r = await t.exec('(sleep 0.3; kill -9 $PPID) >/dev/null 2>&1 </dev/null & exit 0');
    expect(r).toMatchObject({ code: 0, lost: false });
  });

  it('detects a silently dead peer through keepalive', async () => {
    const t = await connect({ keepaliveIntervalMs: 200, keepaliveCountMax: 2 });
    const pidOut = await t.exec('echo $PPID');
    const sessionPid = Number(pidOut.stdout.toString().trim());
    expect(sessionPid).toBeGreaterThan(1);
    try {
      const started = Date.now();
      const r = await t.exec('kill -STOP $PPID; sleep 3');
      expect(r).toMatchObject({ code: null, lost: true });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      try {
        process.kill(sessionPid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });

  it('refuses an unknown host key with the fingerprint and the --accept-new-host-key hint', async () => {
    const empty = join(tmp, 'empty_known_hosts');
    const e = await expectTransportError(connect({ knownHostsFiles: [empty] }), 'host-key-unknown');
    expect(e.message).toContain(`[${sshd.address}]:${sshd.port}`);
    expect(e.message).toContain(fpOf(sshd.hostKeys.ed25519));
    expect(e.message).toContain('ssh-ed25519');
    expect(e.hint).toContain('--accept-new-host-key');
    expect(existsSync(empty)).toBe(false);
  });

  it('records a new host key with acceptNewHostKey (file 0600) and trusts it next time', async () => {
    const file = join(tmp, 'sub', 'kh_new');
    const t = await connect({ knownHostsFiles: [file], acceptNewHostKey: true });
    expect(t.hostKeySha256).toBe(fpOf(sshd.hostKeys.ed25519));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`[${sshd.address}]:${sshd.port} ${sshd.hostKeys.ed25519}\n`);
    await t.close();
    const again = await connect({ knownHostsFiles: [file] });
    expect((await again.exec('echo ok')).stdout.toString()).toBe('ok\n');
    // hashed recording
    const hashedFile = join(tmp, 'kh_hashed');
    await (await connect({ knownHostsFiles: [hashedFile], acceptNewHostKey: true, hashKnownHosts: true })).close();
    const line = readFileSync(hashedFile, 'utf8');
    expect(line).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 /);
    const found = execFileSync('ssh-keygen', ['-F', `[${sshd.address}]:${sshd.port}`, '-f', hashedFile], { encoding: 'utf8' });
    expect(found).toContain('ssh-ed25519');
  });

  it('always refuses a changed host key, naming both fingerprints and file:line', async () => {
    const other = join(tmp, 'other_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const otherPub = readFileSync(`${other}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    const file = join(tmp, 'kh_changed');
    writeFileSync(file, `# comment\nexample.org ${otherPub}\n[${sshd.address}]:${sshd.port} ${otherPub}\n`);
    const e = await expectTransportError(connect({ knownHostsFiles: [file], acceptNewHostKey: true }), 'host-key-changed');
    expect(e.message).toContain(fpOf(otherPub));
    expect(e.message).toContain(fpOf(sshd.hostKeys.ed25519));
    expect(e.message).toContain(`${file}:3`);
    expect(readFileSync(file, 'utf8').split('\n').length).toBe(4); // nothing appended
  });

  it('refuses a @revoked key', async () => {
    const file = join(tmp, 'kh_revoked');
    writeFileSync(file, `@revoked [${sshd.address}]:${sshd.port} ${sshd.hostKeys.ed25519}\n[${sshd.address}]:${sshd.port} ${sshd.hostKeys.ed25519}\n`);
    const e = await expectTransportError(connect({ knownHostsFiles: [file] }), 'host-key-changed');
    expect(e.message).toContain('@revoked');
  });

  it('pins the host key across reconnects', async () => {
    const t = await connect();
    const pin = t.hostKeySha256;
    await t.close();
    const again = await connect({ pinnedHostKey: pin });
    expect(again.hostKeySha256).toBe(pin);
    const e = await expectTransportError(connect({ pinnedHostKey: fpOf(sshd.hostKeys.rsa) }), 'host-key-changed');
    expect(e.message).toContain(fpOf(sshd.hostKeys.rsa));
    expect(e.message).toContain(pin);
    // a pinned full key is enough on its own (inventory) and steers negotiation to that key type
    const viaPin = await connect({ knownHostsFiles: [join(tmp, 'none')], pinnedHostKey: sshd.hostKeys.rsa });
    expect(viaPin.hostKeySha256).toBe(fpOf(sshd.hostKeys.rsa));
  });

  it('prefers the key type recorded in known_hosts (like OpenSSH)', async () => {
    const file = join(tmp, 'kh_rsa_only');
    writeFileSync(file, `[${sshd.address}]:${sshd.port} ${sshd.hostKeys.rsa}\n`);
    const t = await connect({ knownHostsFiles: [file] });
    expect(t.hostKeySha256).toBe(fpOf(sshd.hostKeys.rsa));
  });

  it('fails auth with a clear message and accepts an encrypted key through askPassphrase', async () => {
    const e = await expectTransportError(connect({ identityFiles: [sshd.keys.unauthorized] }), 'auth-failed');
    expect(e.message).toContain(sshd.keys.unauthorized);
    expect(e.message).toContain(`root@${sshd.address}:${sshd.port}`);
    const asked: string[] = [];
    const t = await connect({
      identityFiles: [sshd.keys.encrypted],
      askPassphrase: async (p) => {
        asked.push(p);
        return asked.length === 1 ? 'wrong' : sshd.encryptedPassphrase;
      },
    });
    expect(asked).toEqual([sshd.keys.encrypted, sshd.keys.encrypted]);
    expect((await t.exec('echo in')).stdout.toString()).toBe('in\n');
    const e2 = await expectTransportError(connect({ identityFiles: [sshd.keys.encrypted], askPassphrase: async () => undefined }), 'auth-failed');
    expect(e2.message).not.toContain(sshd.encryptedPassphrase);
  });

  describe('with ssh-agent', () => {
    let agent: ChildProcess | undefined;
    let sock: string;
    beforeAll(async () => {
      sock = join(tmp, 'agent.sock');
      agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
      for (let i = 0; i < 100 && !existsSync(sock); i++) await sleep(20);
      // 8 useless keys first, the authorized one last: more than MaxAuthTries (6)
      for (let i = 0; i < 8; i++) {
        const k = join(tmp, `junk${i}`);
        execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', k]);
        execFileSync('ssh-add', ['-q', k], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      }
      execFileSync('ssh-add', ['-q', sshd.keys.ed25519], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
    });
    afterAll(() => {
      if (agent?.pid) process.kill(agent.pid, 'SIGTERM');
    });

    it('offers the agent key matching IdentityFile first (no MaxAuthTries exhaustion)', async () => {
      const t = await connect({ agent: sock, identityFiles: [sshd.keys.ed25519] });
      expect((await t.exec('echo agent')).code).toBe(0);
    });

    it('IdentitiesOnly restricts the agent to configured identities', async () => {
      await expectTransportError(connect({ agent: sock, identityFiles: [sshd.keys.unauthorized], identitiesOnly: true }), 'auth-failed');
    });

    it('without IdentitiesOnly an agent with many keys still fails cleanly when the key is beyond MaxAuthTries', async () => {
      const e = await expectTransportError(connect({ agent: sock, identityFiles: [] }), 'auth-failed');
      expect(e.message).toContain('agent key');
    });
  });

  it('resolves an alias through ssh_config (ssh -G and the fallback parser)', async () => {
    const cfg = join(tmp, 'ssh_config');
    writeFileSync(
      cfg,
      [
        'Host testalias',
        `  HostName ${sshd.address}`,
        `  Port ${sshd.port}`,
        '  User root',
        `  IdentityFile ${sshd.keys.ed25519}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${knownHosts}`,
        '  GlobalKnownHostsFile none',
        '  ConnectTimeout 5',
        '  ServerAliveInterval 2',
        '',
      ].join('\n'),
    );
    for (const sshBinary of [undefined, false] as const) {
      const t = await connectSsh({ host: 'testalias', configFile: cfg, agent: false, sshBinary });
      open.push(t);
      expect(t.target).toBe('testalias');
      expect((await t.exec('id -un')).stdout.toString()).toBe('root\n');
    }
  });

  it('StrictHostKeyChecking no/off/accept-new in ssh_config records an unknown key (ssh -G prints "no" as "false"); yes/ask refuse', async () => {
    for (const [value, accepts] of [['no', true], ['off', true], ['accept-new', true], ['yes', false], ['ask', false]] as const) {
      for (const sshBinary of [undefined, false] as const) {
        const kh = join(tmp, `kh_strict_${value}_${sshBinary === false ? 'fallback' : 'ssh-G'}`);
        const cfg = join(tmp, `ssh_config_strict_${value}`);
        writeFileSync(cfg, ['Host strictalias', `  HostName ${sshd.address}`, `  Port ${sshd.port}`, '  User root', `  IdentityFile ${sshd.keys.ed25519}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${kh}`, '  GlobalKnownHostsFile none', `  StrictHostKeyChecking ${value}`, ''].join('\n'));
        const attempt = connectSsh({ host: 'strictalias', configFile: cfg, agent: false, sshBinary });
        if (accepts) {
          const t = await attempt;
          open.push(t);
          expect(readFileSync(kh, 'utf8'), `${value} (${sshBinary === false ? 'fallback parser' : 'ssh -G'})`).toContain(sshd.hostKeys.ed25519);
        } else {
          await expectTransportError(attempt, 'host-key-unknown');
          expect(existsSync(kh)).toBe(false);
        }
      }
    }
  });

  it('bounded: 200 MB from the host stops at 16 MiB and the connection stays usable', async () => {
    const { bounded } = await import('../../src/transport/bounded.js');
    const t = bounded(await connect());
    let got = 0;
    const t0 = Date.now();
    await expect(t.exec('head -c 200000000 /dev/zero', { timeoutMs: 60_000, onStdout: (c) => (got += c.length) })).rejects.toMatchObject({ code: 'output-limit' });
    expect(got).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect((await t.exec('echo ok', { timeoutMs: 10_000 })).stdout.toString()).toBe('ok\n');
  });

  it('connects through a ProxyJump hop (each hop verified)', async () => {
    const jump = `root@${sshd.address}:${sshd.port}`;
    const t = await connect({ proxyJump: jump });
    expect((await t.exec('echo hopped')).stdout.toString()).toBe('hopped\n');
    await t.close();
    // two hops: localhost → 127.0.0.1 → target
    const file2 = join(tmp, 'kh_two_hops');
    writeFileSync(file2, `[localhost]:${sshd.port} ${sshd.hostKeys.ed25519}\n[127.0.0.1]:${sshd.port} ${sshd.hostKeys.ed25519}\n`);
    const t2 = await connect({ host: `root@127.0.0.1:${sshd.port}`, proxyJump: `root@localhost:${sshd.port},root@127.0.0.1:${sshd.port}`, knownHostsFiles: [file2] });
    expect((await t2.exec('echo two')).stdout.toString()).toBe('two\n');
    await t2.close();
    // the jump host's key is unknown → refused, naming the jump host
    const file = join(tmp, 'kh_final_only');
    writeFileSync(file, `[127.0.0.1]:${sshd.port} ${sshd.hostKeys.ed25519}\n`);
    const e = await expectTransportError(
      connect({ host: `root@127.0.0.1:${sshd.port}`, proxyJump: `root@localhost:${sshd.port}`, knownHostsFiles: [file] }),
      'host-key-unknown',
    );
    expect(e.message).toContain('jump host');
  });

  it('maps connection failures to typed errors', async () => {
    // a closed port
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    await expectTransportError(connect({ host: `root@127.0.0.1:${port}` }), 'connect-refused');
    // a server that accepts TCP but never speaks SSH
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const sp = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      await expectTransportError(connect({ host: `root@127.0.0.1:${sp}`, readyTimeoutMs: 300 }), 'connect-timeout');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      silent.close();
    }
    // unreadable known_hosts fails closed
    const dirAsFile = join(tmp, 'kh_dir');
    execFileSync('mkdir', ['-p', dirAsFile]);
    await expectTransportError(connect({ knownHostsFiles: [dirAsFile] }), 'config');
  });

  describe('sudo for a non-root login (fake CentOS-6-like sudo)', () => {
    const asTester = (): Promise<SshTransport> => connect({ host: `tester@${sshd.address}:${sshd.port}` });

    it('root: sudo is a no-op without extra round trips', async () => {
      const t = await connect();
      const r = await t.exec('id -u; echo "${DOM0UP_FAKE_SUDO:-none}"', { sudo: true });
      expect(r.stdout.toString()).toBe('0\nnone\n');
      expect(t.roundTrips).toBe(1);
    });

    it('plain sudo: sudo -n sh -c, stdin and exit code pass through', async () => {
      sshd.setSudoMode('plain');
      const t = await asTester();
      const r = await t.exec('echo "$DOM0UP_FAKE_SUDO"; cat; exit 3', { sudo: true, stdin: 'in\n' });
      expect(r.stdout.toString()).toBe('1\nin\n');
      expect(r.code).toBe(3);
      const r2 = await t.exec('echo again', { sudo: true });
      expect(r2.stdout.toString()).toBe('again\n');
      expect(t.roundTrips).toBe(3); // 1 detection + 2 commands
    });

    it('requiretty: runs sudo under a pty but keeps content out of it', async () => {
      sshd.setSudoMode('requiretty');
      const t = await asTester();
      const bin = Buffer.concat([Buffer.from('line1\r\nline2\n\x00\x01\xff'), randomBytes(64 * 1024)]);
      const r = await t.exec('echo "$DOM0UP_FAKE_SUDO" >&2; cat; exit 4', { sudo: true, stdin: bin });
      expect(r.code).toBe(4);
      expect(r.stdout.equals(bin)).toBe(true);
      expect(r.stderr.toString()).toBe('1\n');
      expect(r.lost).toBe(false);
      // a non-sudo exec still goes without a pty
      const plain = await t.exec('[ -t 0 ] && echo tty || echo notty');
      expect(plain.stdout.toString()).toBe('notty\n');
      const leftovers = await t.exec('find /tmp -maxdepth 1 -name "dom0up.*" -user tester | wc -l');
      expect(leftovers.stdout.toString().trim()).toBe('0');
      const slow = await t.exec('sleep 10', { sudo: true, timeoutMs: 500 });
      expect(slow).toMatchObject({ code: null, timedOut: true, lost: false });
    });

    it('a password prompt is a clear sudo-password-required error (with and without requiretty)', async () => {
      for (const mode of ['password', 'requiretty-password'] as const) {
        sshd.setSudoMode(mode);
        const t = await asTester();
        const e = await expectTransportError(t.exec('true', { sudo: true }), 'sudo-password-required');
        expect(e.hint).toContain('NOPASSWD');
        expect(e.message).toContain(`tester@${sshd.address}:${sshd.port}`);
        // cached: same error again, no new detection
        const before = t.roundTrips;
        await expectTransportError(t.exec('true', { sudo: true }), 'sudo-password-required');
        expect(t.roundTrips).toBe(before);
      }
      sshd.setSudoMode('plain');
    });
  });
});

describe.skipIf(!!skip)('ssh transport against a legacy-crypto sshd (OpenSSH 5.3-era algorithms)', () => {
  let sshd: PrivateSshd;
  let tmp: string;
  beforeAll(async () => {
    sshd = await startPrivateSshd({ legacy: true, address: '127.0.0.2' });
    tmp = mkdtempSync(join(tmpdir(), 'dom0up-legacy-'));
  }, 60_000);
  afterAll(async () => {
    await sshd?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('negotiates with the default algorithm lists and an RSA user key', async () => {
    const file = join(tmp, 'kh');
    const t = await connectSsh({
      host: `root@${sshd.address}:${sshd.port}`,
      useSshConfig: false,
      agent: false,
      identityFiles: [sshd.keys.rsa],
      knownHostsFiles: [file],
      globalKnownHostsFiles: [],
      acceptNewHostKey: true,
    });
    try {
      expect(t.hostKeySha256).toBe(fpOf(sshd.hostKeys.rsa));
      expect(t.negotiated?.serverHostKey).toBe('ssh-rsa');
      expect(['diffie-hellman-group-exchange-sha256', ...LEGACY_KEX]).toContain(t.negotiated?.kex);
      expect(t.negotiated?.cs.cipher).toMatch(/^aes(128|192|256)-(ctr|cbc)$/);
      expect(t.negotiated?.cs.mac).toBe('hmac-sha1');
      expect((await t.exec('echo legacy')).stdout.toString()).toBe('legacy\n');
      expect(readFileSync(file, 'utf8')).toContain('ssh-rsa ');
    } finally {
      await t.close();
    }
  });

  it('an ed25519 user key is rejected (as on CentOS 6) with auth-failed', async () => {
    const e = await expectTransportError(
      connectSsh({
        host: `root@${sshd.address}:${sshd.port}`,
        useSshConfig: false,
        agent: false,
        identityFiles: [sshd.keys.ed25519],
        knownHosts: [`[${sshd.address}]:${sshd.port} ${sshd.hostKeys.rsa}`],
        knownHostsFiles: [],
        globalKnownHostsFiles: [],
      }),
      'auth-failed',
    );
    expect(e.message).toContain(sshd.keys.ed25519);
  });
});

describe.skipIf(!!skip)('ssh transport against an sshd that only speaks SHA-1 kex, CBC ciphers and hmac-sha1', () => {
  let sshd: PrivateSshd;
  beforeAll(async () => {
    sshd = await startPrivateSshd({
      address: '127.0.0.3',
      extraConfig: [
        'KexAlgorithms diffie-hellman-group14-sha1,diffie-hellman-group1-sha1',
        'HostKeyAlgorithms ssh-rsa',
        'Ciphers aes128-cbc,aes256-cbc',
        'MACs hmac-sha1',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await sshd?.stop();
  });
  const opts = (over: Partial<SshConnectOptions> = {}): SshConnectOptions => ({
    host: `root@${sshd.address}:${sshd.port}`,
    useSshConfig: false,
    agent: false,
    identityFiles: [sshd.keys.rsa],
    knownHosts: [`[${sshd.address}]:${sshd.port} ${sshd.hostKeys.rsa}`],
    knownHostsFiles: [],
    globalKnownHostsFiles: [],
    ...over,
  });

  it('connects only thanks to the appended legacy algorithms', async () => {
    const t = await connectSsh(opts());
    try {
      expect(t.negotiated).toMatchObject({ kex: 'diffie-hellman-group14-sha1', serverHostKey: 'ssh-rsa', cs: { mac: 'hmac-sha1' } });
      expect(t.negotiated?.cs.cipher).toMatch(/^aes(128|256)-cbc$/);
      expect((await t.exec('echo sha1')).stdout.toString()).toBe('sha1\n');
    } finally {
      await t.close();
    }
    // ssh2's plain defaults cannot talk to it: a typed handshake error
    const e = await expectTransportError(connectSsh(opts({ algorithms: {} })), 'config');
    expect(e.message).toContain('handshake');
  });
});
