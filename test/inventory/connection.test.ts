/**
 * Ansible connection variables → ssh options and findings (src/inventory/connection.ts), and the
 * differential test: the options Ansible's own ssh connection plugin puts on its `ssh` command
 * line (`ansible -vvv` prints it, "SSH: EXEC ssh …") for the same inventory. The hosts are
 * 127.0.0.x port 1: nothing listens there, so Ansible's connection fails at once, on loopback.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ansibleConnection, parseInventory, shlexSplit, type InventoryHost } from '../../src/inventory/index.js';
import { ANSIBLE_BIN_DIR, ANSIBLE_MISSING, RUN_ANSIBLE_TESTS } from './helpers.js';

const conn = (vars: Record<string, unknown>) => ansibleConnection(new Map(Object.entries(vars)));
const findings = (vars: Record<string, unknown>) => conn(vars).findings.map((f) => `${f.severity} ${f.variable}`);

describe('ansibleConnection', () => {
  it('puts the options in the order of Ansible\'s ssh connection plugin', () => {
    const c = conn({
      ansible_ssh_extra_args: '-J jump',
      ansible_ssh_common_args: '-o UserKnownHostsFile=/srv/kh -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes',
      ansible_user: 'admin',
      ansible_ssh_private_key_file: '~/.ssh/fleet',
      ansible_port: 2222,
      ansible_host_key_checking: false,
      ansible_ssh_timeout: 7,
      ansible_ssh_args: '-C -o ControlMaster=auto',
    });
    expect(c.sshArgs).toEqual([
      '-C', '-o', 'ControlMaster=auto',
      '-o', 'StrictHostKeyChecking=no',
      '-o', 'Port=2222',
      '-o', 'IdentityFile="~/.ssh/fleet"',
      '-o', 'User="admin"',
      '-o', 'ConnectTimeout=7',
      '-o', 'UserKnownHostsFile=/srv/kh', '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes',
      '-J', 'jump',
    ]);
    expect(c.parts.map((p) => p.variable)).toEqual(['ansible_ssh_args', 'ansible_host_key_checking', 'ansible_port', 'ansible_ssh_private_key_file', 'ansible_user', 'ansible_ssh_timeout', 'ansible_ssh_common_args', 'ansible_ssh_extra_args']);
    expect(c.findings).toEqual([]);
  });

  it('the ansible_ssh_* spelling wins over the plain one, as in Ansible', () => {
    expect(conn({ ansible_ssh_port: 5, ansible_port: 6, ansible_user: 'a', ansible_ssh_user: 'b', ansible_timeout: 3, ansible_ssh_timeout: 9 }).sshArgs).toEqual(['-o', 'Port=5', '-o', 'User="b"', '-o', 'ConnectTimeout=9']);
  });

  it('splits the args like shlex.split (no comments: # is a character here)', () => {
    expect(conn({ ansible_ssh_common_args: '-o "ProxyJump=a b" -o User=x#y' }).sshArgs).toEqual(['-o', 'ProxyJump=a b', '-o', 'User=x#y']);
    expect(findings({ ansible_ssh_common_args: '-o "Port=1' })).toEqual(['refused ansible_ssh_common_args']);
  });

  it('refuses passwords, other become methods, sudo passwords, non-ssh connections, templates', () => {
    expect(findings({ ansible_password: 'x' })).toEqual(['refused ansible_password']);
    expect(findings({ ansible_ssh_pass: 'x' })).toEqual(['refused ansible_ssh_pass']);
    expect(findings({ ansible_ssh_password: 'x', ansible_password: '' })).toEqual(['refused ansible_ssh_password']);
    expect(findings({ ansible_password: '' })).toEqual([]); // Ansible uses no password for an empty one either
    expect(conn({ ansible_password: 'x' }).findings[0]?.message).toMatch(/dom0up does no password logins/);
    expect(findings({ ansible_become_password: 's3cret' })).toEqual(['refused ansible_become_password']);
    expect(findings({ ansible_sudo_pass: 's3cret' })).toEqual(['refused ansible_sudo_pass']);
    expect(findings({ ansible_become: true, ansible_become_method: 'su' })).toEqual(['refused ansible_become_method']);
    expect(findings({ ansible_become: true, ansible_become_method: 'sudo', ansible_become_user: 'root', ansible_become_exe: 'sudo', ansible_become_flags: '-H -S -n' })).toEqual([]);
    expect(findings({ ansible_become_user: 'postgres' })).toEqual(['refused ansible_become_user']);
    expect(findings({ ansible_become_exe: '/opt/bin/sudo' })).toEqual(['refused ansible_become_exe']);
    expect(findings({ ansible_become_flags: '-HSn' })).toEqual([]);
    expect(findings({ ansible_become_flags: '-H -E' })).toEqual(['refused ansible_become_flags']);
    expect(findings({ ansible_become: 'maybe' })).toEqual(['refused ansible_become']);
    expect(findings({ ansible_connection: 'ssh' })).toEqual([]);
    expect(findings({ ansible_connection: 'smart' })).toEqual([]);
    expect(findings({ ansible_connection: 'paramiko' })).toEqual(['refused ansible_connection']);
    expect(findings({ ansible_connection: 'local' })).toEqual(['refused ansible_connection']);
    expect(findings({ ansible_ssh_common_args: '-o ProxyJump={{ bastion }}' })).toEqual(['refused ansible_ssh_common_args']);
    expect(findings({ ansible_ssh_common_args: ['-o', 'x'] })).toEqual(['refused ansible_ssh_common_args']);
  });

  it('reports every other ansible_* variable it does not know, and says nothing about those without effect', () => {
    expect(findings({ ansible_python_interpreter: '/usr/bin/python3', ansible_pipelining: true, ansible_ssh_transfer_method: 'piped', ansible_scp_extra_args: '-O', ansible_group_priority: 3 })).toEqual([]);
    expect(findings({ ansible_ssh_executable: '/opt/ssh', ansible_ssh_retries: 3, ansible_winrm_transport: 'ntlm', 'ansible_\u001b[31mx': 1, dom0_mem: '2G', my_var: 1 })).toEqual([
      'ignored ansible_ssh_executable',
      'ignored ansible_ssh_retries',
      'ignored ansible_winrm_transport',
      `ignored ${JSON.stringify('ansible_\u001b[31mx')}`,
    ]);
  });

  it('is attached to hosts of Ansible inventories only', () => {
    const ini = parseInventory('h1 ansible_port=2222 ansible_ssh_common_args="-o IdentitiesOnly=yes"\n', { format: 'ini' });
    expect(ini.hosts[0]?.connection?.sshArgs).toEqual(['-o', 'Port=2222', '-o', 'IdentitiesOnly=yes']);
    const list = parseInventory('root@h1:2222\n', { format: 'list' });
    expect(list.hosts[0]?.connection).toBeUndefined();
  });
});

// ---- differential: Ansible's own ssh command line ---------------------------------------------------

/** Ansible's fixed additions, not settings of the inventory (ansible-core 2.14 ssh.py _build_command). */
function withoutAnsibleDefaults(argv: string[], vars: Record<string, unknown>): string[] {
  const out = [...argv];
  const drop = (...seq: string[]) => {
    for (let i = 0; i + seq.length <= out.length; i++) {
      if (seq.every((s, k) => out[i + k] === s)) {
        out.splice(i, seq.length);
        return;
      }
    }
  };
  if (vars.ansible_ssh_args === undefined) drop('-C', '-o', 'ControlMaster=auto', '-o', 'ControlPersist=60s');
  drop('-o', 'KbdInteractiveAuthentication=no', '-o', 'PreferredAuthentications=gssapi-with-mic,gssapi-keyex,hostbased,publickey', '-o', 'PasswordAuthentication=no');
  if (vars.ansible_ssh_timeout === undefined && vars.ansible_timeout === undefined) drop('-o', 'ConnectTimeout=10');
  const cp = out.findIndex((a, i) => out[i - 1] === '-o' && a.startsWith('ControlPath='));
  if (cp > 0) out.splice(cp - 1, 2);
  return out;
}

const CASES: Record<string, Record<string, unknown>> = {
  pinned: { ansible_ssh_common_args: '-o UserKnownHostsFile=/srv/pinned/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes', ansible_user: 'root', ansible_ssh_private_key_file: '~/.ssh/fleet_rsa' },
  everything: {
    ansible_ssh_args: '-o ServerAliveInterval=30',
    ansible_ssh_host_key_checking: false,
    ansible_port: 2222,
    ansible_ssh_port: 2200,
    ansible_private_key_file: '/keys/a',
    ansible_ssh_private_key_file: '/keys/b',
    ansible_user: 'ops',
    ansible_timeout: 5,
    ansible_ssh_common_args: '-F /dev/null -o "UserKnownHostsFile=/a b/kh" -p 2022',
    ansible_ssh_extra_args: '-J jumper@127.0.0.1:1 -l nobody',
  },
  hashes: { ansible_ssh_common_args: '-o User=x#y -o "HostKeyAlias=a b"' },
  plain: {},
};

describe.skipIf(!RUN_ANSIBLE_TESTS)('the same ssh options as Ansible\'s ssh connection plugin (ansible -vvv)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dom0up-ansible-ssh-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('for INI and YAML inventories', () => {
    expect(ANSIBLE_BIN_DIR, ANSIBLE_MISSING).toBeDefined();
    writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\n'); // Ansible's defaults, whatever the machine has
    const names = Object.keys(CASES);
    const address = (i: number) => `127.0.0.${201 + i}`;
    const yaml = ['all:', '  hosts:', ...names.flatMap((n, i) => [`    ${n}:`, `      ansible_host: ${address(i)}`, ...Object.entries(CASES[n]!).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)]), ''].join('\n');
    const ini = names.map((n, i) => [n, `ansible_host=${address(i)}`, ...Object.entries(CASES[n]!).map(([k, v]) => `${k}=${typeof v === 'string' ? `'${v}'` : v === false ? 'False' : v}`)].join(' ')).join('\n') + '\n';
    for (const [file, text, format] of [['hosts.yml', yaml, 'yaml'], ['hosts.ini', ini, 'ini']] as const) {
      const path = join(dir, file);
      writeFileSync(path, text);
      const ours = new Map<string, InventoryHost>(parseInventory(text, { format }).hosts.map((h) => [h.name, h]));
      const r = spawnSync(join(ANSIBLE_BIN_DIR!, 'ansible'), ['-i', path, 'all', '-m', 'ping', '-vvv', '--forks', '8'], {
        encoding: 'utf8',
        timeout: 120_000,
        cwd: dir,
        env: { ...process.env, ANSIBLE_HOME: join(dir, 'home'), ANSIBLE_SSH_CONTROL_PATH_DIR: join(dir, 'cp'), ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_CONFIG: join(dir, 'ansible.cfg') },
      });
      const out = r.stdout + r.stderr;
      names.forEach((n, i) => {
        const line = out.split('\n').find((l) => l.startsWith(`<${address(i)}> SSH: EXEC ssh `));
        expect(line, `${file} ${n}: no "SSH: EXEC" line in ansible -vvv:\n${out.slice(-3000)}`).toBeDefined();
        const argv = shlexSplit(line!.slice(line!.indexOf('SSH: EXEC ') + 10), { comments: false });
        // ssh OPTIONS… HOST COMMAND
        const theirs = withoutAnsibleDefaults(argv.slice(1, -2), CASES[n]!);
        const mine = (ours.get(n)?.connection?.sshArgs ?? []).map((a) => a.replace('"~/', `"${homedir()}/`));
        expect({ host: n, file, args: mine }).toEqual({ host: n, file, args: theirs });
      });
    }
  }, 180_000);
});
