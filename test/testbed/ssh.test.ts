// The SSH side of the simulated hosts: OpenSSH 5.3-era algorithms (legacy crypto profile), key types,
// host key pinning, and CentOS 6's sudo with `Defaults requiretty`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientKeys, startHosts, type Fleet, type TestHost } from './index.js';
import { connect, exec, run } from './ssh-helpers.js';
import { describeTestbed } from './vitest.js';

// dh-group-exchange with the 8192-bit groups OpenSSH offers costs ssh2 ~2 s per connection (as it does
// against a real CentOS 6 sshd); the tests that do not look at the key exchange use group14
const FAST = { kex: ['diffie-hellman-group14-sha1'] } as const;

describeTestbed('ssh: legacy crypto and sudo', () => {
  let fleet: Fleet;
  let legacy: TestHost, modern: TestHost;
  beforeAll(async () => {
    fleet = await startHosts([{ name: 's-legacy', legacyCrypto: true }, { name: 's-modern' }]);
    [legacy, modern] = fleet.hosts as [TestHost, TestHost];
    const ed = fs.readFileSync(clientKeys().ed25519 + '.pub', 'utf8').trim();
    for (const h of fleet.hosts) expect((await run(h, `echo '${ed}' >> /root/.ssh/authorized_keys`, h === legacy ? { algorithms: { kex: [...FAST.kex] } } : {})).code).toBe(0);
  });
  afterAll(async () => fleet?.stop());

  it('ssh2 with its default algorithms connects, negotiating 5.3-era algorithms (dh-gex, ssh-rsa, aes-ctr, hmac-sha1)', async () => {
    const { Client } = await import('ssh2');
    const info = await new Promise<{ kex: string; serverHostKey: string; cipher: string; mac: string; out: string }>((resolve, reject) => {
      const c = new Client();
      let n: { kex: string; serverHostKey: string; cs: { cipher: string; mac: string } };
      c.on('handshake', (x: typeof n) => (n = x));
      c.on('ready', async () => {
        const r = await exec(c, 'echo ok');
        c.end();
        resolve({ kex: n.kex, serverHostKey: n.serverHostKey, cipher: n.cs.cipher, mac: n.cs.mac, out: r.stdout });
      });
      c.on('error', reject);
      c.connect({ host: legacy.host, port: legacy.port, username: 'root', privateKey: fs.readFileSync(legacy.privateKeyPath) });
    });
    expect(info.out).toBe('ok\n');
    expect(info.kex).toBe('diffie-hellman-group-exchange-sha256');
    expect(info.serverHostKey).toBe('ssh-rsa');
    expect(info.cipher).toMatch(/^aes(128|192|256)-(ctr|cbc)$/);
    expect(['hmac-sha1', 'hmac-md5', 'hmac-sha1-96', 'umac-64@openssh.com']).toContain(info.mac);
  });

  it('a client offering only modern key exchange cannot connect to the legacy host', async () => {
    await expect(connect(legacy, { algorithms: { kex: ['curve25519-sha256', 'ecdh-sha2-nistp256'] } })).rejects.toThrow(/no matching key exchange/i);
  });

  it('an ed25519 user key is rejected by the legacy host (accepted by a modern one), RSA works', async () => {
    const ed = fs.readFileSync(clientKeys().ed25519);
    await expect(connect(legacy, { privateKey: ed, algorithms: { kex: [...FAST.kex] } })).rejects.toThrow(/authentication methods failed/);
    const c = await connect(modern, { privateKey: ed });
    c.end();
    const r = await connect(legacy, { algorithms: { kex: [...FAST.kex] } });
    r.end();
  });

  it('OpenSSH 9 with its defaults refuses the legacy host key type, as against a real CentOS 6', async () => {
    const ssh = ['/usr/bin/ssh'].find((p) => fs.existsSync(p));
    if (!ssh) return;
    const out = await new Promise<{ code: number | null; err: string }>((resolve) =>
      execFile(
        ssh,
        ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-i', legacy.privateKeyPath, '-p', String(legacy.port), `root@${legacy.host}`, 'true'],
        (e, _o, err) => resolve({ code: e ? ((e as unknown as { code: number }).code ?? 1) : 0, err: String(err) }),
      ),
    );
    expect(out.code).toBe(255);
    expect(out.err).toMatch(/no matching host key type found\. Their offer: ssh-rsa/);
  });

  it('host key pinning: a different expected key is refused', async () => {
    await expect(connect(legacy, { hostKey: modern.hostKey, algorithms: { kex: [...FAST.kex] } })).rejects.toThrow();
  });

  it('sudo: NOPASSWD, but requiretty: without a pty it fails like CentOS 6', async () => {
    const c = await connect(legacy, { user: 'admin', algorithms: { kex: [...FAST.kex] } });
    const nopty = await exec(c, 'sudo -n true');
    expect(nopty.code).toBe(1);
    expect(nopty.stderr).toBe('sudo: sorry, you must have a tty to run sudo\n');
    const pty = await exec(c, 'sudo -n id -u', { pty: true });
    expect(pty.code).toBe(0);
    expect(pty.stdout.trim()).toBe('0');
    const path = await exec(c, "sudo -n sh -c 'echo $PATH'", { pty: true });
    expect(path.stdout.trim()).toBe('/sbin:/bin:/usr/sbin:/usr/bin');
    c.end();
  });

  it('a host without the sudo user', async () => {
    const f = await startHosts([{ sudoUser: false }]);
    try {
      expect(f.hosts[0]!.sudo).toBeUndefined();
      expect((await run(f.hosts[0]!, 'id admin; rpm -q sudo')).stdout).toContain('package sudo is not installed');
    } finally {
      await f.stop();
    }
  });
});
