import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expandTokens,
  findSshBinary,
  parseDestination,
  parseProxyJump,
  parseSshG,
  resolveSshConfig,
  resolveSshConfigFallback,
  splitConfigLine,
  type SshHostConfig,
} from '../../src/transport/ssh-config.js';

/** Captured from `ssh -G -F cfg alias1` (OpenSSH 9.2), trimmed to the keys we read plus a few others. */
const CAPTURED = `host alias1
user bob
hostname 127.0.0.11
port 2222
addressfamily any
batchmode no
connecttimeout 7
hashknownhosts no
hostkeyalias myalias
identitiesonly yes
identityagent none
identityfile ~/keys/%h_%r_key
identityfile /path with space/k
globalknownhostsfile /etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2
userknownhostsfile /home/u/kh1 /home/u/kh2
proxyjump jumpuser@jump1:2200,jump2
serveralivecountmax 2
serveraliveinterval 4
stricthostkeychecking ask
`;

const DEFAULTS = `host plain
user root
hostname plain
port 22
connecttimeout none
identitiesonly no
identityfile ~/.ssh/id_rsa
identityfile ~/.ssh/id_ed25519
userknownhostsfile none
globalknownhostsfile /etc/ssh/ssh_known_hosts
serveralivecountmax 3
serveraliveinterval 0
hashknownhosts yes
`;

describe('parseSshG', () => {
  it('reads the values, expands ~ and %-tokens in IdentityFile, handles none', () => {
    const c = parseSshG(CAPTURED, { homeDir: '/home/u', localUser: 'me' });
    expect(c).toMatchObject({
      host: 'alias1',
      hostname: '127.0.0.11',
      user: 'bob',
      port: 2222,
      identityFiles: ['/home/u/keys/127.0.0.11_bob_key', '/path with space/k'],
      identitiesOnly: true,
      userKnownHostsFiles: ['/home/u/kh1', '/home/u/kh2'],
      globalKnownHostsFiles: ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
      proxyJump: 'jumpuser@jump1:2200,jump2',
      connectTimeoutMs: 7000,
      serverAliveIntervalMs: 4000,
      serverAliveCountMax: 2,
      hostKeyAlias: 'myalias',
      hashKnownHosts: false,
      identityAgent: 'none',
      source: 'ssh -G',
    });
    const d = parseSshG(DEFAULTS, { homeDir: '/root' });
    expect(d.connectTimeoutMs).toBeUndefined();
    expect(d.serverAliveIntervalMs).toBeUndefined();
    expect(d.serverAliveCountMax).toBeUndefined();
    expect(d.proxyJump).toBeUndefined();
    expect(d.userKnownHostsFiles).toEqual([]);
    expect(d.identityFiles).toEqual(['/root/.ssh/id_rsa', '/root/.ssh/id_ed25519']);
    expect(d.hashKnownHosts).toBe(true);
  });

  it('expands tokens', () => {
    const ctx = { home: '/h', hostname: 'real', host: 'alias', port: 22, user: 'r', localUser: 'l' };
    expect(expandTokens('%d/%h/%n/%p/%r/%u/%%/%Z', ctx)).toBe('/h/real/alias/22/r/l/%/%Z');
  });
});

describe('config files: real ssh -G and the fallback parser agree', () => {
  let tmp: string;
  let cfg: string;
  const home = userInfo().homedir; // ssh expands ~ with the passwd home directory
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'dom0up-cfg-'));
    mkdirSync(join(tmp, 'conf.d'));
    cfg = join(tmp, 'config');
    writeFileSync(
      join(tmp, 'conf.d', '10-lab.conf'),
      ['Host lab-*', '  User labuser', '  IdentityFile ~/.ssh/lab_%h', '  ProxyJump bastion.example:2200', ''].join('\n'),
    );
    writeFileSync(
      cfg,
      [
        '# top comment',
        `Include ${join(tmp, 'conf.d')}/*.conf`,
        'Host alias1',
        '  HostName 127.0.0.11',
        '  User bob',
        '  Port 2222',
        '  IdentityFile ~/keys/%h_%r_key',
        '  IdentityFile "/path with space/k"',
        '  IdentitiesOnly yes',
        '  UserKnownHostsFile ~/kh1 /abs/kh2',
        '  ProxyJump jumpuser@jump1:2200,jump2',
        '  ConnectTimeout=7',
        '  ServerAliveInterval 4',
        '  ServerAliveCountMax 2',
        '  HostKeyAlias myalias',
        '  IdentityAgent none',
        'Host !nomatch,*.example.org',
        '  Port 2200',
        'Host plain',
        '  StrictHostKeyChecking accept-new',
        'Host *',
        '  ConnectTimeout 99',
        '  User fallbackuser',
        '  HashKnownHosts yes',
        '  ProxyJump none',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const pick = (c: SshHostConfig): Record<string, unknown> => ({
    hostname: c.hostname,
    user: c.user,
    port: c.port,
    identityFiles: c.identityFiles,
    identitiesOnly: c.identitiesOnly,
    userKnownHostsFiles: c.userKnownHostsFiles,
    proxyJump: c.proxyJump,
    connectTimeoutMs: c.connectTimeoutMs,
    serverAliveIntervalMs: c.serverAliveIntervalMs,
    serverAliveCountMax: c.serverAliveCountMax,
    hostKeyAlias: c.hostKeyAlias,
    hashKnownHosts: c.hashKnownHosts,
  });

  const ssh = findSshBinary();
  it.skipIf(!ssh)('resolves aliases like ssh -G does', async () => {
    for (const host of ['alias1', 'lab-7', 'www.example.org', 'plain', 'unlisted']) {
      const viaSsh = await resolveSshConfig(host, { configFile: cfg });
      const viaFallback = resolveSshConfigFallback(host, { configFile: cfg, homeDir: home });
      expect(viaSsh.source).toBe('ssh -G');
      expect(viaFallback.source).toBe('fallback');
      expect(pick(viaFallback), host).toEqual(pick(viaSsh));
    }
    const a = await resolveSshConfig('alias1', { configFile: cfg });
    expect(a).toMatchObject({ hostname: '127.0.0.11', user: 'bob', port: 2222, proxyJump: 'jumpuser@jump1:2200,jump2', identityAgent: 'none' });
    expect(a.identityFiles).toEqual([join(home, 'keys/127.0.0.11_bob_key'), '/path with space/k']);
    const lab = await resolveSshConfig('lab-7', { configFile: cfg });
    expect(lab).toMatchObject({ user: 'labuser', proxyJump: 'bastion.example:2200', identityFiles: [join(home, '.ssh/lab_lab-7')] });
    expect((await resolveSshConfig('plain', { configFile: cfg })).strictHostKeyChecking).toBe('accept-new');
  });

  it.skipIf(!ssh)('command-line user/port override the config, as with ssh -l/-p', async () => {
    const c = await resolveSshConfig('alias1', { configFile: cfg, user: 'carol', port: 2022 });
    expect(c).toMatchObject({ user: 'carol', port: 2022 });
    const f = resolveSshConfigFallback('alias1', { configFile: cfg, user: 'carol', port: 2022, homeDir: home });
    expect(f).toMatchObject({ user: 'carol', port: 2022 });
  });

  it('reports a broken config as a config error', async () => {
    const bad = join(tmp, 'bad');
    writeFileSync(bad, 'Host x\n  Port notaport\n');
    if (ssh) await expect(resolveSshConfig('x', { configFile: bad })).rejects.toMatchObject({ code: 'config' });
    await expect(resolveSshConfig('x', { configFile: cfg, sshBinary: join(tmp, 'no-such-ssh') })).rejects.toMatchObject({ code: 'config' });
    await expect(resolveSshConfig('-oProxyCommand=x', { configFile: cfg })).rejects.toMatchObject({ code: 'config' });
  });

  it('uses the fallback when asked (sshBinary: false) and applies defaults', async () => {
    const c = await resolveSshConfig('unlisted', { configFile: cfg, sshBinary: false, homeDir: '/home/x', localUser: 'me' });
    expect(c).toMatchObject({
      source: 'fallback',
      hostname: 'unlisted',
      user: 'fallbackuser',
      port: 22,
      connectTimeoutMs: 99_000,
      userKnownHostsFiles: ['/home/x/.ssh/known_hosts', '/home/x/.ssh/known_hosts2'],
    });
    expect(c.identityFiles[0]).toBe('/home/x/.ssh/id_rsa');
    expect(c.proxyJump).toBeUndefined();
  });

  it('splits config lines like ssh does', () => {
    expect(splitConfigLine('  IdentityFile "/a b/c" # trailing')).toEqual(['IdentityFile', '/a b/c']);
    expect(splitConfigLine('Port=2222')).toEqual(['Port', '2222']);
    expect(splitConfigLine('Port = 2222')).toEqual(['Port', '2222']);
    expect(splitConfigLine('Host a b\tc')).toEqual(['Host', 'a', 'b', 'c']);
  });
});

describe('destinations', () => {
  it('parses user@host:port forms', () => {
    expect(parseDestination('root@127.0.0.11:2222')).toEqual({ user: 'root', host: '127.0.0.11', port: 2222 });
    expect(parseDestination('alias')).toEqual({ host: 'alias' });
    expect(parseDestination('ssh://u@h.example:23')).toEqual({ user: 'u', host: 'h.example', port: 23 });
    expect(parseDestination('u@[::1]:2200')).toEqual({ user: 'u', host: '::1', port: 2200 });
    expect(parseDestination('[fe80::1]')).toEqual({ host: 'fe80::1' });
    expect(parseDestination('fe80::1')).toEqual({ host: 'fe80::1' });
    expect(parseDestination('a@b@host')).toEqual({ user: 'a@b', host: 'host' });
    for (const bad of ['host:0', 'host:99999', 'host:x', '-oProxyCommand=x', 'a b', '@host', "h'; reboot"]) {
      expect(() => parseDestination(bad), bad).toThrow(expect.objectContaining({ code: 'config' }));
    }
  });

  it('parses ProxyJump lists', () => {
    expect(parseProxyJump('jumpuser@jump1:2200,jump2')).toEqual([{ user: 'jumpuser', host: 'jump1', port: 2200 }, { host: 'jump2' }]);
    expect(parseProxyJump('none')).toEqual([]);
  });
});

describe('command-line ssh options first (an inventory\'s ansible_ssh_*_args): ssh -G and the fallback agree', () => {
  let tmp: string;
  let cfg: string;
  const home = userInfo().homedir;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'dom0up-cfgargs-'));
    cfg = join(tmp, 'config');
    writeFileSync(cfg, ['Host pinned', '  User cfguser', '  Port 2200', '  IdentityFile ~/.ssh/cfg_key', '  UserKnownHostsFile ~/cfg_known_hosts', '  StrictHostKeyChecking accept-new', ''].join('\n'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const pick = (c: SshHostConfig) => ({
    user: c.user,
    port: c.port,
    identityFiles: c.identityFiles,
    identitiesOnly: c.identitiesOnly,
    userKnownHostsFiles: c.userKnownHostsFiles,
    strict: c.strictHostKeyChecking,
    // ssh -G prints a -J host as jumper@[127.0.0.1]:2201: compare what it means
    proxyJump: c.proxyJump === undefined ? undefined : parseProxyJump(c.proxyJump),
    connectTimeoutMs: c.connectTimeoutMs,
  });
  const cases: { args: string[]; user?: string; port?: number; identityFiles?: string[]; want: Partial<ReturnType<typeof pick>> }[] = [
    // the reported inventory: known_hosts pinned, keys only
    { args: ['-o', 'UserKnownHostsFile=/srv/pinned/known_hosts', '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes'], want: { userKnownHostsFiles: ['/srv/pinned/known_hosts'], strict: 'true', identitiesOnly: true, user: 'cfguser' } },
    // Ansible's order: ansible_port/ansible_user come before the common args, and the first value wins
    { args: ['-o', 'Port=2222', '-o', 'User="root"', '-p', '2022', '-l', 'admin'], user: 'carol', port: 22, want: { port: 2222, user: 'root' } },
    // dom0up's own -l/-p come after: they only fill in what the options leave open
    { args: ['-o', 'ConnectTimeout=7'], user: 'carol', port: 2023, want: { port: 2023, user: 'carol', connectTimeoutMs: 7000 } },
    // identity files: the options' first, then dom0up's -i, then the config's
    { args: ['-o', 'IdentityFile="/etc/hostname"'], identityFiles: ['/etc/hosts'], want: { identityFiles: ['/etc/hostname', '/etc/hosts', join(home, '.ssh/cfg_key')] } },
    { args: ['-J', 'jumper@127.0.0.1:2201', '-oStrictHostKeyChecking=no'], want: { proxyJump: [{ user: 'jumper', host: '127.0.0.1', port: 2201 }], strict: 'false' } },
  ];
  const ssh = findSshBinary();
  it.skipIf(!ssh)('resolves like ssh -G does', async () => {
    for (const c of cases) {
      const o = { configFile: cfg, args: c.args, ...(c.user ? { user: c.user } : {}), ...(c.port ? { port: c.port } : {}), ...(c.identityFiles ? { identityFiles: c.identityFiles } : {}) };
      const viaSsh = pick(await resolveSshConfig('pinned', o));
      const viaFallback = pick(resolveSshConfigFallback('pinned', { ...o, homeDir: home }));
      // ssh -G prints yes/no as true/false
      viaFallback.strict = { yes: 'true', no: 'false' }[viaFallback.strict as string] ?? viaFallback.strict;
      expect(viaFallback, c.args.join(' ')).toEqual(viaSsh);
      expect(viaSsh, c.args.join(' ')).toMatchObject(c.want);
    }
  });

  it('a -F among the options replaces the config file (the last -F wins, as in ssh)', async () => {
    const other = join(tmp, 'other');
    writeFileSync(other, 'Host pinned\n  User otheruser\n');
    const f = resolveSshConfigFallback('pinned', { configFile: cfg, args: ['-F', '/dev/null', '-F', other], homeDir: home });
    expect(f.user).toBe('otheruser');
    if (ssh) expect((await resolveSshConfig('pinned', { configFile: cfg, args: ['-F', '/dev/null', '-F', other] })).user).toBe('otheruser');
  });

  it.skipIf(!ssh)('an option ssh does not know is ssh\'s error', async () => {
    await expect(resolveSshConfig('pinned', { configFile: cfg, args: ['-o', 'NoSuchOption=1'] })).rejects.toMatchObject({ code: 'config', message: expect.stringMatching(/Bad configuration option/i) });
  });
});
