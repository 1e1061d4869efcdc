import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { DOM0UP_ALGORITHMS, parseSshArgs } from '../../src/transport/ssh-args.js';
import { buildAlgorithms } from '../../src/transport/ssh.js';

const ssh2Constants: unknown = createRequire(import.meta.url)('ssh2/lib/protocol/constants.js');

const sev = (argv: string[]) => parseSshArgs(argv).findings.map((f) => [f.severity, f.option]);

describe('parseSshArgs: ssh\'s getopt', () => {
  it('takes values attached or separate, bundles flags, keeps the order', () => {
    const p = parseSshArgs(['-Cq', '-oUserKnownHostsFile=/k', '-o', 'StrictHostKeyChecking yes', '-p2222', '-l', 'root', '-i', '/id', '-J', 'j@127.0.0.1', '-F', '/cfg', '-Ti', '/id2']);
    expect(p.args).toEqual(['-o', 'UserKnownHostsFile=/k', '-o', 'StrictHostKeyChecking yes', '-p', '2222', '-l', 'root', '-i', '/id', '-J', 'j@127.0.0.1', '-F', '/cfg', '-i', '/id2']);
    expect(Object.fromEntries(p.sets)).toEqual({ userknownhostsfile: '/k', stricthostkeychecking: 'yes', port: '2222', user: 'root', identityfile: '/id', proxyjump: 'j@127.0.0.1' });
    expect(p.identityFiles).toEqual(['/id', '/id2']);
    expect(p.configFile).toBe('/cfg');
    expect(p.findings).toEqual([]);
  });

  it('the first value of an option is the one that counts (ssh\'s rule); quotes are ssh_config\'s', () => {
    const p = parseSshArgs(['-o', 'Port=2222', '-p', '2200', '-o', 'User="root"', '-l', 'admin', '-o', 'IdentityFile="/a b"']);
    expect(p.sets.get('port')).toBe('2222');
    expect(p.sets.get('user')).toBe('root');
    expect(p.identityFiles).toEqual(['/a b']);
  });

  it('refuses words that are not options, unknown flags, missing values, control characters, bad ports', () => {
    expect(sev(['bastion'])).toEqual([['refused', 'bastion']]);
    expect(sev(['--', '-o'])).toEqual([['refused', '--'], ['refused', '-o']]);
    expect(sev(['-Z'])).toEqual([['refused', '-Z']]);
    expect(sev(['-p', '0'])).toEqual([['refused', '-p 0']]);
    expect(sev(['-o', 'User=a\nb'])[0]?.[0]).toBe('refused');
    expect(sev(['-o', 'Include=/x'])).toEqual([['refused', '-o Include=/x']]);
    expect(sev(['-o', 'justakey'])).toEqual([['refused', '-o justakey']]);
    expect(sev(['-W', '%h:%p', '-N'])).toEqual([['refused', '-W %h:%p'], ['refused', '-N']]);
  });

  it('classifies -o options: honoured, no effect, ignored (reported), refused', () => {
    // honoured or without effect: nothing to say
    expect(sev(['-o', 'UserKnownHostsFile=/k', '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ControlMaster=auto', '-o', 'ControlPersist=60s', '-o', 'PasswordAuthentication=no', '-o', 'PreferredAuthentications=gssapi-with-mic,publickey', '-o', 'ServerAliveInterval=30', '-o', 'ProxyCommand=none', '-o', 'ForwardAgent=no', '-o', 'KexAlgorithms=+diffie-hellman-group1-sha1', '-o', 'HostKeyAlgorithms=+ssh-rsa', '-o', 'PubkeyAcceptedKeyTypes=+ssh-rsa', '-C', '-q'])).toEqual([]);
    expect(sev(['-o', 'ForwardAgent=yes', '-A', '-o', 'SendEnv=LANG', '-o', 'StrictHostKeyChecking=no', '-o', 'KexAlgorithms=+sntrup761x25519-sha512@openssh.com', '-L', '8080:127.0.0.1:80'])).toEqual([
      ['ignored', '-o ForwardAgent=yes'],
      ['ignored', '-A'],
      ['ignored', '-o SendEnv=LANG'],
      ['ignored', '-o StrictHostKeyChecking=no'],
      ['ignored', '-o KexAlgorithms=+sntrup761x25519-sha512@openssh.com'],
      ['ignored', '-L 8080:127.0.0.1:80'],
    ]);
    expect(sev(['-o', 'ProxyCommand=ssh -W %h:%p bastion', '-o', 'Ciphers=aes256-ctr', '-c', 'aes256-ctr', '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password', '-o', 'RevokedHostKeys=/etc/ssh/revoked', '-I', '/usr/lib/opensc.so'])).toEqual([
      ['refused', '-o ProxyCommand=ssh -W %h:%p bastion'],
      ['refused', '-o Ciphers=aes256-ctr'],
      ['refused', '-c aes256-ctr'],
      ['refused', '-o PubkeyAuthentication=no'],
      ['refused', '-o PreferredAuthentications=password'],
      ['refused', '-o RevokedHostKeys=/etc/ssh/revoked'],
      ['refused', '-I /usr/lib/opensc.so'],
    ]);
    const proxy = parseSshArgs(['-o', 'ProxyCommand=ssh -W %h:%p bastion']).findings[0]!;
    expect(proxy.message).toMatch(/ProxyJump/);
  });

  it('knows which algorithms dom0up offers (ssh2\'s defaults plus the CentOS 6 extras of buildAlgorithms)', () => {
    const c = ssh2Constants as unknown as Record<string, string[]>;
    const a = buildAlgorithms() as unknown as Record<string, { append?: string[] }>;
    const withExtra = (base: string[], extra: string[] = []) => [...new Set([...base, ...extra])].sort();
    expect([...DOM0UP_ALGORITHMS.kexalgorithms].sort()).toEqual(withExtra(c.DEFAULT_KEX!, a.kex?.append));
    expect([...DOM0UP_ALGORITHMS.ciphers].sort()).toEqual(withExtra(c.DEFAULT_CIPHER!, a.cipher?.append));
    expect([...DOM0UP_ALGORITHMS.macs].sort()).toEqual(withExtra(c.DEFAULT_MAC!, a.hmac?.append));
    expect([...DOM0UP_ALGORITHMS.hostkeyalgorithms].sort()).toEqual(withExtra(c.DEFAULT_SERVER_HOST_KEY!, a.serverHostKey?.append));
  });
});
