import { describe, expect, it } from 'vitest';
import { parseInventory, type Inventory, type InventoryHost } from '../../src/inventory/index.js';
import { errorOf, RACK_INI } from './fixtures.js';

const host = (inv: Inventory, name: string): InventoryHost => {
  const h = inv.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name}`);
  return h;
};

const ini = (text: string): Inventory => parseInventory(text, { source: 'hosts.ini', format: 'ini' });

describe('Ansible INI: a rack inventory', () => {
  const inv = parseInventory(RACK_INI, { source: 'racks/hosts' });

  it('is detected as INI', () => {
    expect(inv.format).toBe('ini');
    expect(inv.source).toBe('racks/hosts');
  });

  it('lists hosts in file order, ranges expanded', () => {
    expect(inv.hosts.map((h) => h.name)).toEqual([
      'xen01.r1.example.com',
      'xen02.r1.example.com',
      'xen03.r1.example.com',
      'xen04.r1.example.com',
      'xen-a.r2.example.com',
      'xen-b.r2.example.com',
      'xen-c.r2.example.com',
      '2001:db8::10',
      'nagios.example.com',
    ]);
  });

  it('builds the group tree like Ansible', () => {
    expect(inv.groups['all']).toEqual({ hosts: [], children: ['ungrouped', 'dom0s', 'maintenance', 'monitoring'], vars: { ansible_user: 'root', dom0_mem: '1024M' } });
    expect(inv.groups['dom0s']?.children).toEqual(['rack1', 'rack2']);
    expect(inv.groups['rack1']?.hosts).toEqual(['xen01.r1.example.com', 'xen02.r1.example.com', 'xen03.r1.example.com', 'xen04.r1.example.com']);
    expect(inv.groups['ungrouped']?.hosts).toEqual([]);
    expect(host(inv, 'xen02.r1.example.com').groups).toEqual(['all', 'dom0s', 'maintenance', 'rack1']);
    expect(host(inv, 'nagios.example.com').groups).toEqual(['all', 'monitoring']);
  });

  it('applies all < parent group < child group < host', () => {
    const x1 = host(inv, 'xen01.r1.example.com');
    expect(x1.vars).toEqual({ ansible_user: 'root', dom0_mem: '2048M', dom0_vcpus: 2, pin: 'no' });
    expect(x1.dom0).toEqual({ dom0Mem: '2048M', dom0Vcpus: '2', pin: false });
    expect(x1.user).toBe('root');
    expect(x1.host).toBeUndefined();
    expect(x1.port).toBeUndefined();

    const x4 = host(inv, 'xen04.r1.example.com');
    expect(x4.host).toBe('10.0.1.4');
    expect(x4.dom0).toEqual({ dom0Mem: '4096M,max:4096M', dom0Vcpus: '2', pin: true });
  });

  it('reads host:port, inline vars and :vars of rack2', () => {
    const b = host(inv, 'xen-b.r2.example.com');
    expect(b).toMatchObject({ port: 2222, user: 'admin', become: true });
    expect(b.dom0).toEqual({ dom0Mem: '1024M', dom0Vcpus: '4', pin: false, xenArg: ['loglvl=all', 'guest_loglvl=all'] });
    const v6 = host(inv, '2001:db8::10');
    expect(v6).toMatchObject({ port: 2200, user: 'root' });
    expect(v6.vars['ansible_port']).toBe(2200);
  });

  it('takes the identity file as written (no ~ expansion here)', () => {
    expect(host(inv, 'nagios.example.com').identityFile).toBe('~/.ssh/ops_ed25519');
  });
});

describe('Ansible INI: values', () => {
  it('evaluates Python literals inline and in :vars, like ansible-inventory', () => {
    const inv = ini(`
h1 a=5 b="5" c="'5'" d=True e=true f=[1,2] g="{'k':'v'}" g2={'k':'v'} h=None i=1.5 j=2048M k="a b"
[all:vars]
n=42
s='42'
t=yes
x=some text # with a comment
`);
    expect(inv.hosts[0]?.vars).toEqual({ n: 42, s: '42', t: 'yes', x: 'some text # with a comment', a: 5, b: 5, c: '5', d: true, e: 'true', f: [1, 2], g: { k: 'v' }, g2: '{k:v}', h: null, i: 1.5, j: '2048M', k: 'a b' });
  });

  it('accepts Ansible boolean words for become and pin', () => {
    for (const [word, value] of [['yes', true], ['no', false], ['True', true], ['off', false], ['1', true], ['0', false], ['On', true]] as const) {
      const h = ini(`h ansible_become=${word} pin=${word}`).hosts[0];
      expect(h?.become).toBe(value);
      expect(h?.dom0?.pin).toBe(value);
    }
  });

  it('treats ansible_ssh_* as aliases (the ssh_ spelling wins, as in the ssh connection plugin)', () => {
    const h = ini('h ansible_ssh_host=10.0.0.2 ansible_host=10.0.0.1 ansible_ssh_port=2201 ansible_ssh_user=ops').hosts[0];
    expect(h).toMatchObject({ host: '10.0.0.2', port: 2201, user: 'ops' });
  });

  it('takes dom0up_-prefixed settings over plain ones at the same level, and the more specific level first', () => {
    const inv = ini(`
[g]
a dom0_mem=1G dom0up_dom0_mem=2G
b dom0_mem=3G
[g:vars]
dom0up_dom0_mem=4G
dom0_vcpus=1
dom0up_dom0_vcpus=2
`);
    expect(inv.hosts[0]?.dom0).toEqual({ dom0Mem: '2G', dom0Vcpus: '2' });
    expect(inv.hosts[1]?.dom0).toEqual({ dom0Mem: '3G', dom0Vcpus: '2' }); // host level beats the group's prefixed name
  });

  it('keeps the port of the first definition, as Ansible add_host does', () => {
    const inv = ini('[a]\nh:2201\n[b]\nh:2202\n');
    expect(inv.hosts[0]?.port).toBe(2201);
    expect(inv.hosts[0]?.groups).toEqual(['all', 'a', 'b']);
  });

  it('expands steps, multiple ranges and letter ranges', () => {
    const names = ini('web[1:7:3]-[a:b]\n').hosts.map((h) => h.name);
    expect(names).toEqual(['web1-a', 'web1-b', 'web4-a', 'web4-b', 'web7-a', 'web7-b']);
    expect(ini('db[08:10].x\n').hosts.map((h) => h.name)).toEqual(['db08.x', 'db09.x', 'db10.x']);
    expect(ini('[g]\nweb[01:02]:2222 pin=True\n').hosts.map((h) => [h.name, h.port, h.dom0?.pin])).toEqual([
      ['web01', 2222, true],
      ['web02', 2222, true],
    ]);
  });
});

describe('Ansible INI: ungrouped and all', () => {
  it('puts hosts before any section in ungrouped, until they join a group', () => {
    const inv = ini('host1\nhost2\nhost3\n[servers]\nhost3\nhost4\n[all]\nhost5\n');
    expect(inv.groups['ungrouped']?.hosts).toEqual(['host1', 'host2', 'host5']);
    expect(inv.groups['servers']?.hosts).toEqual(['host3', 'host4']);
    expect(inv.groups['all']?.hosts).toEqual(['host5']);
    expect(inv.hosts.find((h) => h.name === 'host3')?.groups).toEqual(['all', 'servers']);
    expect(inv.hosts.find((h) => h.name === 'host1')?.groups).toEqual(['all', 'ungrouped']);
  });

  it('accepts [group:children] before the child is declared, and [g:vars] before [g]', () => {
    const inv = ini('[p:children]\nc\n[c:vars]\nx=1\n[c]\nh\n[q:vars]\ny=2\n[q]\n');
    expect(inv.groups['p']?.children).toEqual(['c']);
    expect(inv.hosts[0]?.groups).toEqual(['all', 'p', 'c']);
    expect(inv.groups['q']?.vars).toEqual({ y: 2 });
  });
});

describe('variable precedence', () => {
  it('same-depth groups merge alphabetically: the last name wins, not the last section', () => {
    const inv = ini('[zeta]\nh\n[alpha]\nh\n[zeta:vars]\nx=zeta\n[alpha:vars]\nx=alpha\n');
    expect(inv.hosts[0]?.vars['x']).toBe('zeta');
    expect(inv.hosts[0]?.groups).toEqual(['all', 'alpha', 'zeta']);
  });

  it('ansible_group_priority outranks the alphabet (and is not a variable)', () => {
    const inv = ini('[zeta]\nh\n[alpha]\nh\n[zeta:vars]\nx=zeta\n[alpha:vars]\nx=alpha\nansible_group_priority=10\n');
    expect(inv.hosts[0]?.vars).toEqual({ x: 'alpha' });
    expect(inv.hosts[0]?.groups).toEqual(['all', 'zeta', 'alpha']);
  });

  it('a child group beats its parent whatever their names', () => {
    const inv = ini('[z:children]\na\n[a]\nh\n[a:vars]\nx=child\n[z:vars]\nx=parent\n');
    expect(inv.hosts[0]?.vars['x']).toBe('child');
  });

  it('depth is the longest path from all', () => {
    // c is a child of both top (depth 1) and mid (depth 2): depth 3, so it beats mid
    const inv = ini('[top:children]\nmid\nc\n[mid:children]\nc\n[c]\nh\n[mid]\nh\n[c:vars]\nx=c\n[mid:vars]\nx=mid\n[top:vars]\nx=top\n');
    expect(inv.hosts[0]?.vars['x']).toBe('c');
    expect(inv.hosts[0]?.groups).toEqual(['all', 'top', 'mid', 'c']);
  });

  it('host vars beat group vars, also when the group section comes later', () => {
    const inv = ini('[g]\nh dom0_mem=512M\n[g:vars]\ndom0_mem=2048M\n[all:vars]\ndom0_mem=1G\n');
    expect(inv.hosts[0]?.dom0?.dom0Mem).toBe('512M');
  });

  it('all is the weakest', () => {
    const inv = ini('[all:vars]\nx=all\n[g]\nh\n[g:vars]\nx=g\n');
    expect(inv.hosts[0]?.vars['x']).toBe('g');
  });
});

describe('Ansible INI: errors name the file and line', () => {
  it.each([
    ['h1\n[web:vars]\nx=1\n', 'undefined-group', 2, /\[web:vars\]/],
    ['[p:children]\nmissing\n', 'undefined-group', 2, /missing/],
    ['[bad group]\n', 'syntax', 1, /invalid section/],
    ['[g:hostz]\n', 'syntax', 1, /unknown type/],
    ['[g]\nweb1 novalue\n', 'syntax', 2, /key=value/],
    ['[g]\nweb1 x=1 ; only # starts a comment here\n', 'syntax', 2, /got ";"/],
    ['[g]\n\nweb1 x="open\n', 'syntax', 3, /closing quotation/],
    ['[g]\nweb1:\n', 'syntax', 2, /trailing ':'/],
    ['---\nall:\n', 'syntax', 1, /YAML/],
    ['web1:99999\n', 'invalid-port', 1, /99999/],
    ['web1 ansible_port=abc\n', 'invalid-port', 1, /ansible_port/],
    ['[g]\nh\n[g:vars]\n\nansible_port=70000\n', 'invalid-port', 5, /70000/],
    ['web[3:1]\n', 'bad-range', 1, /begin must be <= end/],
    ['web[01:9]\n', 'bad-range', 1, /same width/],
    ['web[a:9]\n', 'bad-range', 1, /neither numeric/],
    ['web[1:2:0]\n', 'bad-range', 1, /step/],
    ['web$(reboot)\n', 'invalid-host', 1, /"\$"/],
    ['-oProxyCommand=evil\n', 'invalid-host', 1, /starts with '-'/],
    ['root@web1\n', 'invalid-host', 1, /@/],
    ['h ansible_host=-oProxyCommand=x\n', 'invalid-host', 1, /ansible_host/],
    ['h ansible_host="a b"\n', 'invalid-host', 1, /contains " "/],
    ['h ansible_user="ro ot"\n', 'invalid-value', 1, /ansible_user/],
    ['[a:children]\nb\n[b:children]\na\n', 'group-cycle', 4, /loop/],
    ['[a:children]\na\n', 'group-cycle', 2, /loop/],
    ['\n\nh pin=maybe\n', 'invalid-value', 3, /pin/],
    ['h ansible_become=2\n', 'invalid-value', 1, /ansible_become/],
    ['h dom0_mem=[1]\n', 'invalid-value', 1, /dom0_mem/],
    ['h xen_args={}\n', 'invalid-value', 1, /xen_args/],
    ['[g]\nh\n[g:vars]\nansible_group_priority=high\n', 'invalid-value', 4, /priority/],
  ])('%j → %s at line %i', (text, code, line, re) => {
    const e = errorOf(() => ini(text));
    expect(e.code).toBe(code);
    expect(e.file).toBe('hosts.ini');
    expect(e.line).toBe(line);
    expect(e.message).toMatch(re);
    expect(e.message.startsWith(`hosts.ini:${line}: `)).toBe(true);
    expect(e.message).not.toMatch(/\n/);
    expect(e.name).toBe('InventoryError');
  });

  it('reports an error from group vars at the line of the :vars entry, for the first host affected', () => {
    const e = errorOf(() => ini('[dom0s]\nxen1\nxen2\n[dom0s:vars]\nansible_become=perhaps\n'));
    expect(e.line).toBe(5);
    expect(e.message).toContain('"xen1"');
    expect(e.hint).toMatch(/yes\/no/);
  });
});
