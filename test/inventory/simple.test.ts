import { describe, expect, it } from 'vitest';
import { detectFormat, hostsFromArgs, parseInventory } from '../../src/inventory/index.js';
import { errorOf, RACK_INI, RACK_JSON, RACK_YAML, SSH_CONFIG } from './fixtures.js';

describe('~/.ssh/config aliases', () => {
  const inv = parseInventory(SSH_CONFIG, { source: '~/.ssh/config' });

  it('is detected by its Host lines', () => expect(inv.format).toBe('ssh-config'));

  it('lists aliases without wildcards, in order, with first-value-wins settings', () => {
    expect(inv.hosts.map((h) => ({ name: h.name, host: h.host, port: h.port, user: h.user, identityFile: h.identityFile }))).toEqual([
      { name: 'bastion', host: 'bastion.example.com', port: 2222, user: 'ops', identityFile: undefined },
      // `Host *` comes first, so its User wins, as with ssh -G
      { name: 'xen01', host: 'xen01.r1.example.com', port: undefined, user: 'ops', identityFile: '~/.ssh/dom0_ed25519' },
      { name: 'xen02', host: 'xen02.r1.example.com', port: undefined, user: 'ops', identityFile: '~/.ssh/dom0_ed25519' },
      { name: 'legacy', host: '10.0.0.5', port: 22022, user: 'ops', identityFile: undefined },
    ]);
    expect(inv.hosts.every((h) => h.groups.join() === 'all,ungrouped')).toBe(true);
  });

  it('skips aliases that are not host names, and says so', () => {
    expect(inv.warnings?.some((w) => /"quoted alias"/.test(w))).toBe(true);
    expect(inv.warnings?.some((w) => /Include is not followed/.test(w))).toBe(true);
  });

  it('refuses a bad port with its line', () => {
    const e = errorOf(() => parseInventory('Host a\n  Port 0x16\n', { source: 'cfg' }));
    expect(e).toMatchObject({ code: 'invalid-port', line: 2 });
  });
});

describe('plain host lists', () => {
  it('reads one host per line with user@, :port, [v6]:port, ranges and comments', () => {
    const inv = parseInventory(
      `# dom0s to convert
xen01.example.com
root@xen02.example.com:2222   # the odd one
[2001:db8::7]:2200
2001:db8::8

admin@xen[03:04].example.com
xen01.example.com
`,
      { source: 'hosts.txt' },
    );
    expect(inv.format).toBe('list');
    expect(inv.hosts.map((h) => [h.name, h.user, h.port])).toEqual([
      ['xen01.example.com', undefined, undefined],
      ['xen02.example.com', 'root', 2222],
      ['2001:db8::7', undefined, 2200],
      ['2001:db8::8', undefined, undefined],
      ['xen03.example.com', 'admin', undefined],
      ['xen04.example.com', 'admin', undefined],
    ]);
    expect(inv.groups['ungrouped']?.hosts).toHaveLength(6);
    expect(inv.hosts[1]?.vars).toEqual({ ansible_user: 'root', ansible_port: 2222 });
  });

  it.each([
    ['a\nb c\n', 'syntax', 2],
    ['a\nb:0\n', 'invalid-port', 2],
    ['a\nb:70000\n', 'invalid-port', 2],
    ['a\nb;reboot\n', 'invalid-host', 2],
    ['root@a\nadmin@a\n', 'duplicate-host', 2],
    ['a:22\na:2222\n', 'duplicate-host', 2],
    ['-oProxyCommand=x\n', 'invalid-host', 1],
    ['"ro ot"@a\n', 'syntax', 1],
  ])('%j → %s at line %i', (text, code, line) => {
    const e = errorOf(() => parseInventory(text, { source: 'hosts.txt', format: 'list' }));
    expect(e.code).toBe(code);
    expect(e.line).toBe(line);
    expect(e.message.startsWith(`hosts.txt:${line}: `)).toBe(true);
  });
});

describe('hostsFromArgs', () => {
  it('parses names, user@host:port, IPv6 and commas', () => {
    expect(hostsFromArgs(['xen01', 'root@xen02:2222', '[fe80::1%eth0]:22', '::1', 'ssh://ops@xen03:2200/', 'a,b,,c'])).toEqual([
      { name: 'xen01', groups: ['all', 'ungrouped'], vars: {} },
      { name: 'xen02', port: 2222, user: 'root', groups: ['all', 'ungrouped'], vars: { ansible_user: 'root', ansible_port: 2222 } },
      { name: 'fe80::1%eth0', port: 22, groups: ['all', 'ungrouped'], vars: { ansible_port: 22 } },
      { name: '::1', groups: ['all', 'ungrouped'], vars: {} },
      { name: 'xen03', port: 2200, user: 'ops', groups: ['all', 'ungrouped'], vars: { ansible_user: 'ops', ansible_port: 2200 } },
      { name: 'a', groups: ['all', 'ungrouped'], vars: {} },
      { name: 'b', groups: ['all', 'ungrouped'], vars: {} },
      { name: 'c', groups: ['all', 'ungrouped'], vars: {} },
    ]);
  });

  it('expands ranges and drops exact duplicates', () => {
    expect(hostsFromArgs(['xen[1:3]', 'xen2']).map((h) => h.name)).toEqual(['xen1', 'xen2', 'xen3']);
  });

  it.each([
    ['-oProxyCommand=x', 'invalid-host'],
    ['host:0', 'invalid-port'],
    ['host:ssh', 'invalid-port'],
    ['@host', 'invalid-value'],
    ['a b', 'invalid-host'],
    ['$(reboot)', 'invalid-host'],
    ['', 'no-hosts'],
  ])('%j → %s', (arg, code) => {
    if (code === 'no-hosts') {
      expect(hostsFromArgs([arg])).toEqual([]);
      return;
    }
    const e = errorOf(() => hostsFromArgs([arg]));
    expect(e.code).toBe(code);
    expect(e.file).toBe('<command line>');
  });
});

describe('format detection', () => {
  it.each([
    [RACK_INI, 'ini'],
    [RACK_YAML, 'yaml'],
    [RACK_JSON, 'ansible-json'],
    [SSH_CONFIG, 'ssh-config'],
    ['xen01\nxen02:2222\n', 'list'],
    ['\uFEFF# bom\nroot@xen01\n[2001:db8::1]:22\n', 'list'],
    ['web1 ansible_host=10.0.0.1\n', 'ini'],
    ['; comment\n[dom0s]\nxen1\n', 'ini'],
    ['---\nall:\n  hosts:\n', 'yaml'],
    ['# comment\nall:\n  hosts: {xen1: }\n', 'yaml'],
    ['{"all": {"hosts": {"h": {}}}}', 'yaml'],
    ['{"_meta": {"hostvars": {}}}', 'ansible-json'],
    ['', 'list'],
  ])('%#: %s', (text, format) => {
    expect(detectFormat(text)).toBe(format);
  });
});
