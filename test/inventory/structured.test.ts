import { describe, expect, it } from 'vitest';
import { parseInventory, type Inventory, type InventoryHost } from '../../src/inventory/index.js';
import { errorOf, RACK_JSON, RACK_YAML } from './fixtures.js';

const host = (inv: Inventory, name: string): InventoryHost => {
  const h = inv.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name}`);
  return h;
};

const yaml = (text: string): Inventory => parseInventory(text, { source: 'inv.yml', format: 'yaml' });

describe('Ansible YAML inventory', () => {
  const inv = parseInventory(RACK_YAML, { source: 'racks.yml' });

  it('is detected', () => expect(inv.format).toBe('yaml'));

  it('reads the nested tree, ranges and host:port keys', () => {
    expect(inv.hosts.map((h) => h.name)).toEqual([
      'xen01.r1.example.com',
      'xen02.r1.example.com',
      'xen03.r1.example.com',
      'xen04.r1.example.com',
      'xen-a.r2.example.com',
      'xen-b.r2.example.com',
      'xen-c.r2.example.com',
      'nagios.example.com',
    ]);
    expect(inv.groups['all']?.children).toEqual(['ungrouped', 'dom0s', 'maintenance', 'monitoring']);
    expect(host(inv, 'xen02.r1.example.com').groups).toEqual(['all', 'dom0s', 'maintenance', 'rack1']);
  });

  it('merges like the INI version (same precedence)', () => {
    expect(host(inv, 'xen01.r1.example.com').dom0).toEqual({ dom0Mem: '2048M', dom0Vcpus: '2', pin: false });
    expect(host(inv, 'xen04.r1.example.com')).toMatchObject({ host: '10.0.1.4', dom0: { dom0Mem: '4096M,max:4096M', dom0Vcpus: '2', pin: true } });
    expect(host(inv, 'xen-c.r2.example.com')).toMatchObject({
      port: 2222,
      user: 'admin',
      become: true,
      dom0: { dom0Mem: '1024M', dom0Vcpus: '4', pin: false, xenArg: ['loglvl=all', 'guest_loglvl=all'] },
    });
    expect(host(inv, 'nagios.example.com').vars).toEqual({ ansible_user: 'root', dom0_mem: '1024M' });
  });

  it('resolves scalars like PyYAML (YAML 1.1), not YAML 1.2', () => {
    const h = yaml(`all:
  hosts:
    h:
      a: yes
      b: Off
      c: y
      d: n
      e: 0755
      f: 1:30
      g: 1e3
      h: 1.5e+3
      i: 2024-01-02
      j: ~
      k: !unsafe '{{ lookup("pipe", "id") }}'
      l: !vault |
        $ANSIBLE_VAULT;1.1;AES256
        6162
`).hosts[0];
    expect(h?.vars).toEqual({
      a: true,
      b: false,
      c: 'y',
      d: 'n',
      e: 493,
      f: 90,
      g: '1e3',
      h: 1500,
      i: '2024-01-02',
      j: null,
      k: '{{ lookup("pipe", "id") }}',
      l: { __ansible_vault: '$ANSIBLE_VAULT;1.1;AES256\n6162\n' },
    });
  });

  it('supports anchors, merge keys, duplicate keys (last wins) and null hosts maps', () => {
    const inv2 = yaml(`all:
  children:
    dom0s:
      hosts:
        a: &base { ansible_user: ops, dom0_mem: 2G }
        b: { <<: *base, dom0_mem: 3G }
        c:
        d: null
      vars:
        pin: true
        pin: false
    empty:
      hosts:
`);
    expect(inv2.hosts.map((h) => [h.name, h.user, h.dom0?.dom0Mem, h.dom0?.pin])).toEqual([
      ['a', 'ops', '2G', false],
      ['b', 'ops', '3G', false],
      ['c', undefined, undefined, false],
      ['d', undefined, undefined, false],
    ]);
    expect(inv2.groups['empty']).toEqual({ hosts: [], children: [], vars: {} });
  });

  it('accepts top-level groups besides all, and "hosts: name" shorthand', () => {
    const inv2 = yaml('rack1:\n  hosts: xen1\nrack2:\n  hosts:\n    xen2:\n');
    expect(inv2.groups['all']?.children).toEqual(['ungrouped', 'rack1', 'rack2']);
    expect(inv2.hosts.map((h) => h.groups)).toEqual([['all', 'rack1'], ['all', 'rack2']]);
  });

  it('puts hosts directly under all into ungrouped', () => {
    const inv2 = yaml('all:\n  hosts:\n    test1:\n    test2:\n');
    expect(inv2.groups['ungrouped']?.hosts).toEqual(['test1', 'test2']);
    expect(inv2.groups['all']?.hosts).toEqual(['test1', 'test2']);
  });

  it('warns about and skips what Ansible skips', () => {
    const inv2 = yaml('all:\n  hosts:\n    h:\n  colour: blue\n  frobs:\n    x: 1\nweird: [1, 2]\n');
    expect(inv2.hosts.map((h) => h.name)).toEqual(['h']);
    expect(inv2.warnings?.join('\n')).toMatch(/inv\.yml:4: skipping key "colour"/);
    expect(inv2.warnings?.join('\n')).toMatch(/inv\.yml:5: skipping unexpected key "frobs"/);
    expect(inv2.warnings?.join('\n')).toMatch(/inv\.yml:7: skipping "weird"/);
  });

  it.each([
    ['all:\n  children:\n    - a\n    - b\n', 'invalid-structure', 2, /"children" of group "all" must be a mapping/],
    ['all:\n  hosts:\n    h1:\n    h2: just-a-string\n', 'invalid-structure', 4, /variables of host "h2"/],
    ['plugin: aws_ec2\nregions: [eu-west-1]\n', 'invalid-structure', 1, /inventory plugin/],
    ['all:\n  hosts:\n    h1: {\n', 'syntax', undefined, /invalid YAML/],
    ['all:\n  hosts:\n    web[3:1]:\n', 'bad-range', 3, /begin must be <= end/],
    ['all:\n  hosts:\n    h:\n      ansible_port: 0\n', 'invalid-port', 4, /ansible_port/],
    ['all:\n  hosts:\n    "bad host":\n', 'invalid-host', 3, /contains " "/],
    ['all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n', 'group-cycle', 5, /loop/],
    ['a: &x\n  children:\n    g: *x\n', 'invalid-structure', undefined, /nested more than 100/],
  ])('%j → %s', (text, code, line, re) => {
    const e = errorOf(() => yaml(text));
    expect(e.code).toBe(code);
    if (line !== undefined) expect(e.line).toBe(line);
    expect(e.message).toMatch(re);
    expect(e.message).not.toMatch(/\n/);
  });

  it('rejects an empty document', () => {
    expect(errorOf(() => yaml('---\n')).code).toBe('invalid-structure');
  });
});

describe('ansible-inventory --list JSON', () => {
  const inv = parseInventory(RACK_JSON, { source: 'inv.json' });

  it('is detected', () => expect(inv.format).toBe('ansible-json'));

  it('takes hosts from groups and vars from _meta.hostvars', () => {
    expect(inv.hosts.map((h) => h.name)).toEqual(['xen01.r1.example.com', 'xen04.r1.example.com', 'xen-a.r2.example.com', 'nagios.example.com']);
    expect(host(inv, 'xen04.r1.example.com')).toMatchObject({ host: '10.0.1.4', user: 'root', dom0: { dom0Mem: '4096M,max:4096M', dom0Vcpus: '2', pin: true } });
    expect(host(inv, 'xen-a.r2.example.com')).toMatchObject({ port: 2222, become: true, dom0: { dom0Vcpus: '4', xenArg: ['loglvl=all'] } });
    expect(host(inv, 'xen01.r1.example.com').groups).toEqual(['all', 'dom0s', 'rack1']);
  });

  it('merges group vars of the --export form under the host vars', () => {
    const exported = JSON.stringify({
      _meta: { hostvars: { x1: { dom0_mem: '4G' }, x2: {} } },
      all: { children: ['ungrouped', 'dom0s'], vars: { ansible_user: 'root', dom0_mem: '1G' } },
      dom0s: { hosts: ['x1', 'x2'], vars: { dom0_mem: '2G', pin: true } },
    });
    const inv2 = parseInventory(exported);
    expect(inv2.hosts.map((h) => [h.name, h.user, h.dom0?.dom0Mem, h.dom0?.pin])).toEqual([
      ['x1', 'root', '4G', true],
      ['x2', 'root', '2G', true],
    ]);
  });

  it('accepts the script forms: a list of hosts, and a bare vars object', () => {
    const inv2 = parseInventory('{"web": ["w1", "w2"], "db1": {"ansible_host": "10.0.0.9"}, "_meta": {"hostvars": {"ghost": {}}}}');
    expect(inv2.format).toBe('ansible-json');
    expect(inv2.hosts.map((h) => [h.name, h.groups])).toEqual([
      ['w1', ['all', 'web']],
      ['w2', ['all', 'web']],
      ['db1', ['all', 'db1']],
    ]);
    expect(inv2.hosts[2]?.host).toBe('10.0.0.9');
    expect(inv2.warnings?.[0]).toMatch(/"ghost", which is in no group/);
  });

  it('reads a YAML-style inventory written as JSON as yaml', () => {
    const inv2 = parseInventory('{"all": {"hosts": {"h1": {"ansible_port": 2200}}}}');
    expect(inv2.format).toBe('yaml');
    expect(inv2.hosts[0]?.port).toBe(2200);
  });

  it.each([
    ['{"g": {"hosts": "h1"}}', /"hosts" of group "g" must be a list/, 1],
    ['{\n  "g": {\n    "hosts": [\n      1\n    ]\n  }\n}', /host names must be strings/, 4],
    ['{"_meta": {"hostvars": []}}', /_meta.hostvars must be an object/, 1],
    ['{"g": {"hosts": ["h"]}, "_meta": {"hostvars": {"h": {"ansible_port": "x"}}}}', /ansible_port/, 1],
    ['{"g": {"hosts": ["a b"]}}', /contains " "/, 1],
    ['{"g": [1, ', /invalid JSON/, undefined],
  ])('%j is refused', (text, re, line) => {
    const e = errorOf(() => parseInventory(text, { source: 'inv.json', format: 'ansible-json' }));
    expect(e.message).toMatch(re);
    if (line !== undefined) expect(e.line).toBe(line);
  });
});
