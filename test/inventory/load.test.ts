import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryError, loadInventory, type Inventory } from '../../src/inventory/index.js';
import { RACK_INI } from './fixtures.js';

let root: string;

async function put(rel: string, text: string): Promise<string> {
  const full = join(root, rel);
  await mkdir(dirname(full), { recursive: true });
  await writeFile(full, text);
  return full;
}

async function loadError(path: string): Promise<InventoryError> {
  try {
    await loadInventory(path);
  } catch (e) {
    if (e instanceof InventoryError) return e;
    throw e;
  }
  throw new Error('expected an InventoryError');
}

const byName = (inv: Inventory, name: string) => inv.hosts.find((h) => h.name === name);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dom0up-inventory-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadInventory: a file with group_vars/ and host_vars/', () => {
  it('applies Ansible precedence across inventory and vars files', async () => {
    const file = await put('site/hosts', RACK_INI);
    await put('site/group_vars/all.yml', '---\ndom0_mem: 1536M\nntp_server: ntp.example.com\n');
    await put('site/group_vars/rack2/10-main.yml', 'dom0_vcpus: 6\n');
    await put('site/group_vars/rack2/20-override.yaml', 'dom0_vcpus: 8\n');
    await put('site/group_vars/rack2/README.md', 'not: loaded\n');
    await put('site/group_vars/rack2/vault.yml', '$ANSIBLE_VAULT;1.1;AES256\n6162636465\n');
    await put('site/group_vars/monitoring.json', '{"dom0_mem": "512M"}');
    await put('site/host_vars/xen04.r1.example.com.yml', 'pin: false\nansible_port: 2204\n');
    await put('site/host_vars/xen01.r1.example.com', 'dom0_vcpus: 1\n');

    const inv = await loadInventory(file);
    expect(inv.source).toBe(file);
    expect(inv.format).toBe('ini');
    // [rack1:vars] dom0_mem=2048M is an *inventory group var*: group_vars/all.yml outranks it (Ansible's order)
    expect(byName(inv, 'xen03.r1.example.com')?.dom0).toEqual({ dom0Mem: '1536M', dom0Vcpus: '2', pin: false });
    expect(byName(inv, 'xen03.r1.example.com')?.vars['ntp_server']).toBe('ntp.example.com');
    // inline host vars still beat every group, and host_vars/ beats inline host vars
    expect(byName(inv, 'xen04.r1.example.com')).toMatchObject({ port: 2204, dom0: { dom0Mem: '4096M,max:4096M', pin: false } });
    expect(byName(inv, 'xen01.r1.example.com')?.dom0?.dom0Vcpus).toBe('1');
    // a group_vars directory is merged in sorted order
    expect(byName(inv, 'xen-a.r2.example.com')?.dom0?.dom0Vcpus).toBe('8');
    expect(inv.groups['rack2']?.vars['dom0_vcpus']).toBe(8);
    expect(byName(inv, 'nagios.example.com')?.dom0?.dom0Mem).toBe('512M');
    expect(inv.warnings?.some((w) => w.includes('vault.yml') && w.includes('vault-encrypted'))).toBe(true);
  });

  it('can leave the vars files alone', async () => {
    const inv = await loadInventory(join(root, 'site/hosts'), { varsFiles: false });
    expect(byName(inv, 'xen03.r1.example.com')?.dom0?.dom0Mem).toBe('2048M');
  });

  it('names the vars file and line in errors', async () => {
    await put('bad/hosts', '[g]\nh\n');
    await put('bad/group_vars/g.yml', 'dom0_mem: 1G\nansible_port: http\n');
    const e = await loadError(join(root, 'bad/hosts'));
    expect(e).toMatchObject({ code: 'invalid-port', line: 2 });
    expect(e.file).toBe(join(root, 'bad/group_vars/g.yml'));
  });

  it('refuses a vars file that is not a mapping', async () => {
    await put('bad2/hosts', 'h\n');
    await put('bad2/host_vars/h.yml', '- a\n- b\n');
    expect((await loadError(join(root, 'bad2/hosts'))).code).toBe('invalid-structure');
  });
});

describe('loadInventory: formats and directories', () => {
  it('uses the extension for YAML and detects the rest', async () => {
    const y = await put('fmt/inv.yml', 'all:\n  hosts:\n    h1:\n');
    expect((await loadInventory(y)).format).toBe('yaml');
    const s = await put('fmt/ssh_config', 'Host xen01\n  HostName 10.0.0.1\n');
    expect((await loadInventory(s)).hosts[0]?.host).toBe('10.0.0.1');
    const j = await put('fmt/inv.json', '{"_meta": {"hostvars": {}}, "g": {"hosts": ["h"]}}');
    expect((await loadInventory(j)).format).toBe('ansible-json');
    const l = await put('fmt/list', 'root@a:2222\nb\n');
    expect((await loadInventory(l)).hosts.map((h) => h.name)).toEqual(['a', 'b']);
  });

  it('reads an inventory directory the way Ansible does', async () => {
    await put('dir/01-racks', '[rack1]\nxen1\n');
    await put('dir/02-more.yml', 'all:\n  children:\n    rack1:\n      hosts:\n        xen2:\n');
    await put('dir/sub/03-extra', '[mon]\nnagios\n');
    await put('dir/hosts.ini', 'ignored-by-ansible\n');
    await put('dir/README.md', '# notes\n');
    await put('dir/.hidden', 'hidden\n');
    await put('dir/backup~', 'backup\n');
    await put('dir/ec2.py', '#!/usr/bin/env python\nprint("{}")\n');
    await put('dir/group_vars/rack1.yml', 'dom0_mem: 3G\n');
    const inv = await loadInventory(join(root, 'dir'));
    expect(inv.hosts.map((h) => h.name)).toEqual(['xen1', 'xen2', 'nagios']);
    expect(inv.hosts.map((h) => h.dom0?.dom0Mem)).toEqual(['3G', '3G', undefined]);
    expect(inv.format).toBe('ini');
    expect(inv.warnings?.some((w) => w.includes('ec2.py') && w.includes('ansible-inventory'))).toBe(true);
  });

  it('reports errors with the path as given', async () => {
    await put('dir2/hosts', '[g]\nh x=\n[g:vars]\nbroken\n');
    const e = await loadError(join(root, 'dir2'));
    expect(e.file).toBe(join(root, 'dir2', 'hosts'));
    expect(e.line).toBe(4);
  });

  it('reports missing files and empty directories', async () => {
    const missing = await loadError(join(root, 'no/such/inventory'));
    expect(missing.code).toBe('read-failed');
    expect(missing.message).toContain('ENOENT');
    await mkdir(join(root, 'empty'));
    expect((await loadError(join(root, 'empty'))).code).toBe('read-failed');
  });
});
