// How dom0up reaches hosts: a non-root login through sudo with CentOS 6's requiretty, an sshd
// that offers OpenSSH 5.3-era algorithms only, and host keys that are unknown or changed.
import { expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { readHostFile } from '../testbed/index.js';
import { dom0up, XEN_ARGS } from './helpers.js';
import { openHost } from '../../src/remote/connect.js';
import { createHash } from 'node:crypto';

describeTestbed('SSH access', () => {
  const fleet = useFleet([{ name: 'sudo', sudoUser: true }, { name: 'legacy', legacyCrypto: true }, { name: 'keys' }]);
  const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;

  it('a non-root login with sudo + requiretty: apply end to end', async () => {
    const h = host('sudo');
    expect(h.sudo).toBeDefined();
    const r = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json'], { sudo: true });
    expect(r.exit, r.stderr).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.outcome).toBe('verified');
    const grub = (await readHostFile(h, '/boot/grub/grub.conf'))!;
    expect(grub).not.toContain('\r');
    const facts = JSON.parse((await dom0up(fleet(), h, 'facts', ['--json'], { sudo: true })).out).facts;
    expect(facts.grub.stat).toMatchObject({ mode: 0o600, uid: 0 });
  });

  it('with requiretty, the script runs as root and its stdin/stdout are no terminal (the host\'s own `test -t`, `tty` and /proc say so): content bytes a pty would turn into signals, EOF or newlines arrive exactly', async () => {
    const h = host('sudo');
    const { transport } = await openHost(`${h.sudo!.username}@${h.host}`, { identity: [h.sudo!.privateKeyPath], knownHosts: [fleet().knownHostsPath], port: h.port, sshConfig: '/dev/null' });
    try {
      // ^C, ^D, ^Z, ^\, CR, CRLF, DEL, a lone ESC and NUL: a pty's line discipline would act on each
      const content = Buffer.from('a\x03b\x04c\x1ad\x1ce\rf\r\ng\x7fh\x1bi\x00j\n', 'latin1');
      const r = await transport.exec('id -u; if [ -t 0 ]; then echo stdin=tty; else echo stdin=notty; fi; if [ -t 1 ]; then echo stdout=tty; else echo stdout=notty; fi; echo "tty=$(tty)"; echo "fd0=$(readlink /proc/self/fd/0)"; echo "sha=$(sha256sum | cut -d" " -f1)"', { sudo: true, stdin: content });
      expect(r.code, r.stderr.toString()).toBe(0);
      const out = r.stdout.toString('latin1');
      expect(out).not.toContain('\r');
      const kv = Object.fromEntries(out.trim().split('\n').slice(1).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      expect(out.split('\n')[0]).toBe('0');
      expect(kv).toMatchObject({ stdin: 'notty', stdout: 'notty', tty: 'not a tty', sha: createHash('sha256').update(content).digest('hex') });
      expect(kv.fd0).not.toMatch(/^\/dev\/(pts\/|tty)/);
      // the login itself needs a terminal for sudo (requiretty): without one sudo refuses, so the pty was real
      const plain = await transport.exec('sudo -n true', {});
      expect(plain.code).not.toBe(0);
      expect(plain.stderr.toString() + plain.stdout.toString()).toMatch(/tty/);
    } finally {
      await transport.close();
    }
  });

  it('OpenSSH 5.3-era algorithms only: apply end to end', async () => {
    const r = await dom0up(fleet(), host('legacy'), 'apply', [...XEN_ARGS, '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    expect(JSON.parse(r.out).outcome).toBe('verified');
  });

  it('an unknown host key is refused by default, with its fingerprint and the way to accept it', async () => {
    const empty = path.join(mkdtempSync(path.join(tmpdir(), 'dom0up-kh-')), 'known_hosts');
    writeFileSync(empty, '');
    const r = await dom0up(fleet(), host('keys'), 'facts', [], { knownHosts: empty });
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(/^dom0up: error: .*127\.0\.\d+\.\d+.*SHA256:[A-Za-z0-9+/]{43}/m);
    expect(r.stderr).toMatch(/^hint: .*--accept-new-host-key/m);
    expect(r.out).toBe('');
    const ok = await dom0up(fleet(), host('keys'), 'facts', ['--accept-new-host-key'], { knownHosts: empty });
    expect(ok.exit, ok.stderr).toBe(0);
    expect(readFileSync(empty, 'utf8')).toMatch(/127\.0\.\d+\.\d+/);
    const again = await dom0up(fleet(), host('keys'), 'facts', [], { knownHosts: empty });
    expect(again.exit).toBe(0);
  });

  it('a changed host key is always refused, naming both fingerprints', async () => {
    const kh = path.join(mkdtempSync(path.join(tmpdir(), 'dom0up-kh-')), 'known_hosts');
    const h = host('keys');
    // a known_hosts line for this address with another host's key
    const other = host('legacy').knownHostsLine.split(' ').slice(1).join(' ');
    writeFileSync(kh, `${h.knownHostsLine.split(' ')[0]} ${other}\n`);
    const r = await dom0up(fleet(), h, 'facts', ['--accept-new-host-key'], { knownHosts: kh });
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(/changed/i);
    expect((r.stderr.match(/SHA256:[A-Za-z0-9+/]{43}/g) ?? []).length).toBeGreaterThanOrEqual(2);
  });
});
