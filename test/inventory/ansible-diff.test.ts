/**
 * Differential test against the real thing: `ansible-inventory -i FILE --list`.
 * Runs when ansible-inventory is on PATH, and always in CI (.ci/run installs Debian's `ansible`), where
 * a missing ansible-inventory fails the first test instead of skipping the file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInventory, selectHosts, type Inventory } from '../../src/inventory/index.js';
import { RACK_INI, RACK_YAML } from './fixtures.js';
import { ANSIBLE_BIN_DIR, ANSIBLE_MISSING, RUN_ANSIBLE_TESTS } from './helpers.js';

const ANSIBLE_INVENTORY = ANSIBLE_BIN_DIR ? join(ANSIBLE_BIN_DIR, 'ansible-inventory') : undefined;

/** Extra INI cases aimed at the corners: precedence, literal types, ungrouped, ranges, ports. */
const CORNERS_INI = `h0 a=1 b="x y" c=True d=yes e="'07'" f=[1,2] g=None h=1e3 i=2048M
[zeta]
h1
h2:2202 z=host
[alpha]
h1
[zeta:vars]
x=zeta
z=group
[alpha:vars]
x=alpha
n=42
s='42'
[top:children]
mid
leaf
[mid:children]
leaf
[leaf]
h3
web[01:03]:2222 ansible_user=ops
db-[a:b]
[mid]
h3
[leaf:vars]
x=leaf
[mid:vars]
x=mid
[top:vars]
x=top
[all:vars]
x=all
y=all
[prio]
h1
[prio:vars]
ansible_group_priority=5
x=prio
`;

const CORNERS_YAML = `all:
  vars: {x: all, y: all}
  hosts:
    h0: {a: yes, b: 0755, c: 1:30, d: 1e3, e: 2024-01-02, f: y}
  children:
    zeta:
      hosts: {h1: , h2:2202: {z: host}}
      vars: {x: zeta, z: group}
    alpha:
      hosts: {h1: }
      vars: {x: alpha}
    top:
      vars: {x: top}
      children:
        mid:
          vars: {x: mid}
          hosts: {h3: }
          children:
            leaf:
              vars: {x: leaf}
              hosts:
                h3:
                web[01:03]:2222: {ansible_user: ops}
        leaf:
`;

interface AnsibleList {
  _meta?: { hostvars?: Record<string, Record<string, unknown>> };
  [group: string]: unknown;
}

const dir = RUN_ANSIBLE_TESTS ? mkdtempSync(join(tmpdir(), 'dom0up-ansible-diff-')) : '';
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function ansibleList(file: string, limit?: string): AnsibleList {
  const args = ['-i', file, '--list', ...(limit ? ['--limit', limit] : [])];
  const r = spawnSync(ANSIBLE_INVENTORY as string, args, {
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_INVENTORY_UNPARSED_FAILED: '1', ANSIBLE_NOCOLOR: '1', ANSIBLE_DEPRECATION_WARNINGS: '0' },
  });
  if (r.status !== 0) throw new Error(`ansible-inventory failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as AnsibleList;
}

/**
 * The hosts a pattern selects, as `ansible PATTERN --list-hosts` prints them (every ansible-core
 * version has it; `ansible-inventory --limit` only exists since 2.16).
 */
function ansibleListHosts(file: string, pattern: string): string[] {
  const ansible = join(dirname(ANSIBLE_INVENTORY as string), 'ansible');
  const r = spawnSync(ansible, ['-i', file, '--list-hosts', '--', pattern], {
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_INVENTORY_UNPARSED_FAILED: '1', ANSIBLE_NOCOLOR: '1', ANSIBLE_DEPRECATION_WARNINGS: '0' },
  });
  if (r.status !== 0) throw new Error(`ansible --list-hosts failed: ${r.stderr}`);
  return r.stdout.split('\n').slice(1).map((l) => l.trim()).filter(Boolean).sort();
}

/** Ansible's JSON turns our vars into the same JSON: compare through JSON. */
const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** Every host in the output: hosts without variables are missing from _meta.hostvars. */
function hostsOf(list: AnsibleList): string[] {
  const names = new Set(Object.keys(list._meta?.hostvars ?? {}));
  for (const [name, data] of Object.entries(list)) {
    if (name !== '_meta') for (const h of (data as { hosts?: string[] }).hosts ?? []) names.add(h);
  }
  return [...names].sort();
}

function compare(ours: Inventory, theirs: AnsibleList): void {
  const hostvars = theirs._meta?.hostvars ?? {};
  expect(ours.hosts.map((h) => h.name).sort()).toEqual(hostsOf(theirs));
  for (const h of ours.hosts) {
    expect({ host: h.name, vars: json(h.vars) }).toEqual({ host: h.name, vars: json(hostvars[h.name] ?? {}) });
  }
  for (const [name, data] of Object.entries(theirs)) {
    if (name === '_meta') continue;
    const g = data as { hosts?: string[]; children?: string[] };
    const mine = ours.groups[name];
    expect(mine, `group ${name}`).toBeDefined();
    if (name !== 'all') expect({ group: name, hosts: [...(mine?.hosts ?? [])].sort() }).toEqual({ group: name, hosts: [...(g.hosts ?? [])].sort() });
    // whether an empty 'ungrouped' is listed under 'all' varies between Ansible versions
    const kids = (list: string[]): string[] => list.filter((c) => name !== 'all' || c !== 'ungrouped').sort();
    expect({ group: name, children: kids(mine?.children ?? []) }).toEqual({ group: name, children: kids(g.children ?? []) });
  }
}

describe.skipIf(!RUN_ANSIBLE_TESTS)('agrees with ansible-inventory --list', () => {
  it('ansible-inventory is installed', () => {
    expect(ANSIBLE_INVENTORY, ANSIBLE_MISSING).toBeDefined();
  });

  const cases: [string, string][] = [
    ['racks.ini', RACK_INI],
    ['racks.yml', RACK_YAML],
    ['corners.ini', CORNERS_INI],
    ['corners.yml', CORNERS_YAML],
  ];
  it.each(cases)('%s', async (name, text) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    compare(await loadInventory(file), ansibleList(file));
  });

  it.each(['dom0s:!rack2', 'dom0s:&maintenance', 'xen0*', '~xen-[ab]', 'rack1[1:2]', '!maintenance', 'rack*,nagios.example.com'])('--limit %s', async (pattern) => {
    const file = join(dir, 'limit.ini');
    writeFileSync(file, RACK_INI);
    const theirs = ansibleListHosts(file, pattern);
    const ours = selectHosts(await loadInventory(file), pattern).map((h) => h.name).sort();
    expect(ours).toEqual(theirs);
  });
});
