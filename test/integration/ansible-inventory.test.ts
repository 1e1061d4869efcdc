// One Ansible inventory, two tools, the same simulated hosts: `ansible -m ping` and dom0up (facts,
// plan -i INVENTORY) must reach the same hosts and refuse the same ones. The judge is Ansible itself
// (Debian's ansible-core 2.14 and its OpenSSH ssh), not dom0up's idea of what the settings mean.
// Runs when Ansible is installed, and always in CI (.ci/run installs it), where a missing Ansible fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import type { Fleet, TestHost } from '../testbed/index.js';
import { runCli } from '../helpers/run-cli.js';
import { logDir } from './helpers.js';

const ANSIBLE = spawnSync('ansible', ['--version'], { encoding: 'utf8' }).status === 0 ? 'ansible' : undefined;
const RUN = ANSIBLE !== undefined || !!process.env.CI;

const dir = mkdtempSync(path.join(tmpdir(), 'dom0up-ansible-inv-'));
// the simulated hosts run this machine's python3 behind CentOS files (a real CentOS 6 has Python 2.6)
writeFileSync(path.join(dir, 'ansible.cfg'), '[defaults]\ninterpreter_python = /usr/bin/python3\nretry_files_enabled = False\n');

type HostVars = Record<string, string | number>;

/** A YAML inventory: group `dom0s` with the given hosts, `all` vars as given. */
function inventory(name: string, allVars: HostVars, hosts: [TestHost, HostVars?][]): string {
  const q = (v: string | number) => (typeof v === 'number' ? String(v) : JSON.stringify(v));
  const lines = ['all:', '  vars:', ...Object.entries(allVars).map(([k, v]) => `    ${k}: ${q(v)}`), '  children:', '    dom0s:', '      hosts:'];
  for (const [h, vars] of hosts) {
    lines.push(`        ${h.name}:`, `          ansible_host: ${h.host}`, `          ansible_port: ${h.port}`);
    for (const [k, v] of Object.entries(vars ?? {})) lines.push(`          ${k}: ${q(v)}`);
  }
  const file = path.join(dir, `${name}.yml`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** `ansible -m ping -o`: each host's verdict. */
function ansiblePing(inv: string): Record<string, string> {
  expect(ANSIBLE, 'Ansible is not installed (apt-get install ansible; .ci/run does it): in CI this comparison must run').toBeDefined();
  // a fresh ControlPath directory each time: Ansible's ControlPersist masters of an earlier call would
  // otherwise carry the next call over connections that already passed their host key check
  const cp = mkdtempSync(path.join(dir, 'cp-'));
  const r = spawnSync('ansible', ['-i', inv, 'all', '-m', 'ping', '-o', '--forks', '8'], {
    encoding: 'utf8',
    cwd: dir,
    timeout: 170_000,
    env: { ...process.env, ANSIBLE_CONFIG: path.join(dir, 'ansible.cfg'), ANSIBLE_HOME: path.join(dir, 'ansible-home'), ANSIBLE_SSH_CONTROL_PATH_DIR: cp, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'True' },
  });
  const out: Record<string, string> = {};
  for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) {
    const m = /^(\S+) \| (SUCCESS|UNREACHABLE!|FAILED!)/.exec(line);
    if (m) out[m[1]!] = m[2] === 'SUCCESS' ? 'ok' : `failed: ${line.slice(0, 300)}`;
  }
  return out;
}

/** dom0up facts|plan -i INV --json: each host's verdict (no SSH option on the command line: all from the inventory). */
async function dom0up(cmd: 'facts' | 'plan', inv: string): Promise<{ verdict: Record<string, string>; stderr: string; hosts: Record<string, unknown>[] }> {
  const r = await runCli([cmd, '-i', inv, '--json'], { DOM0UP_LOG_DIR: logDir, HOME: process.env.HOME ?? '/root' });
  const j = JSON.parse(r.stdout.toString() || '{"hosts":[]}') as { hosts: Record<string, unknown>[] };
  const verdict: Record<string, string> = {};
  for (const h of j.hosts) {
    const ok = cmd === 'facts' ? h.facts !== undefined : h.outcome === 'pending';
    verdict[String(h.name)] = ok ? 'ok' : `failed: ${String(h.error ?? h.message)}`;
  }
  return { verdict, stderr: r.stderr, hosts: j.hosts };
}

const okness = (v: Record<string, string>) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === 'ok' ? 'ok' : 'failed']));

(RUN ? describeTestbed : describeTestbed.skip)('an Ansible inventory: dom0up reaches the hosts Ansible reaches', () => {
  const fleet = useFleet(3);
  const hosts = () => fleet().hosts as [TestHost, TestHost, TestHost];
  const base = (f: Fleet): HostVars => ({ ansible_user: 'root', ansible_ssh_private_key_file: f.hosts[0]!.privateKeyPath });

  it('known_hosts pinned through ansible_ssh_common_args (the reported inventory)', async () => {
    const [a, b] = hosts();
    const inv = inventory('pinned', { ...base(fleet()), ansible_ssh_common_args: `-o UserKnownHostsFile=${fleet().knownHostsPath} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes` }, [[a], [b]]);
    const theirs = ansiblePing(inv);
    expect(theirs).toEqual({ [a.name]: 'ok', [b.name]: 'ok' });
    const facts = await dom0up('facts', inv);
    expect(facts.verdict, facts.stderr).toEqual(theirs);
    const plan = await dom0up('plan', inv);
    expect(plan.verdict, plan.stderr).toEqual(theirs);
    expect(plan.stderr).not.toMatch(/note:/); // nothing ignored
  });

  it('the same inventory with a known_hosts that lacks the keys: both refuse every host', async () => {
    const [a, b] = hosts();
    const empty = path.join(dir, 'empty_known_hosts');
    writeFileSync(empty, '');
    const inv = inventory('unpinned', { ...base(fleet()), ansible_ssh_common_args: `-o UserKnownHostsFile=${empty} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes` }, [[a], [b]]);
    const theirs = ansiblePing(inv);
    expect(okness(theirs)).toEqual({ [a.name]: 'failed', [b.name]: 'failed' });
    const facts = await dom0up('facts', inv);
    expect(okness(facts.verdict)).toEqual(okness(theirs));
    expect(facts.verdict[a.name]).toMatch(/unknown host key/);
  });

  it('StrictHostKeyChecking=accept-new: both record the keys in the inventory\'s known_hosts', async () => {
    const [a, b] = hosts();
    const kh = (tool: string) => path.join(dir, `${tool}_known_hosts`);
    const inv = (tool: string) => inventory(`acceptnew-${tool}`, { ...base(fleet()), ansible_ssh_common_args: `-o UserKnownHostsFile=${kh(tool)} -o StrictHostKeyChecking=accept-new` }, [[a], [b]]);
    writeFileSync(kh('ansible'), '');
    writeFileSync(kh('dom0up'), '');
    expect(ansiblePing(inv('ansible'))).toEqual({ [a.name]: 'ok', [b.name]: 'ok' });
    const facts = await dom0up('facts', inv('dom0up'));
    expect(facts.verdict, facts.stderr).toEqual({ [a.name]: 'ok', [b.name]: 'ok' });
    const keysOf = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ').slice(1).join(' ')).sort();
    expect(keysOf(kh('dom0up'))).toEqual([a.hostKey, b.hostKey].sort());
    expect(keysOf(kh('ansible'))).toEqual(expect.arrayContaining([a.hostKey, b.hostKey]));
  });

  it('ProxyJump (-J) with -F: through the jump host when it answers, refused when it does not — like Ansible', async () => {
    const [a, , jump] = hosts();
    const cfg = path.join(dir, 'ssh_config');
    writeFileSync(cfg, `Host *\n  User root\n  IdentityFile ${jump.privateKeyPath}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${fleet().knownHostsPath}\n  StrictHostKeyChecking yes\n`);
    const common = `-F ${cfg} -o UserKnownHostsFile=${fleet().knownHostsPath} -o StrictHostKeyChecking=yes`;
    const good = inventory('jump', { ...base(fleet()), ansible_ssh_common_args: common, ansible_ssh_extra_args: `-J root@${jump.host}:${jump.port}` }, [[a]]);
    // nothing listens on port 1: a tool that ignored -J would still reach the host directly
    const bad = inventory('badjump', { ...base(fleet()), ansible_ssh_common_args: common, ansible_ssh_extra_args: '-J root@127.0.0.1:1' }, [[a]]);
    const theirsGood = ansiblePing(good);
    const theirsBad = ansiblePing(bad);
    expect(okness(theirsGood)).toEqual({ [a.name]: 'ok' });
    expect(okness(theirsBad)).toEqual({ [a.name]: 'failed' });
    const mineGood = await dom0up('facts', good);
    const mineBad = await dom0up('facts', bad);
    expect(okness(mineGood.verdict), mineGood.stderr).toEqual(okness(theirsGood));
    expect(okness(mineBad.verdict), mineBad.stderr).toEqual(okness(theirsBad));
    expect(mineBad.verdict[a.name]).toMatch(/127\.0\.0\.1/);
  });

  it('per host: a password login is refused with a clear message, an unknown variable is reported, the rest go on', async () => {
    const [a, b] = hosts();
    const inv = inventory('mixed', { ...base(fleet()), ansible_ssh_common_args: `-o UserKnownHostsFile=${fleet().knownHostsPath}` }, [[a, { ansible_ssh_pass: 'hunter2' }], [b, { ansible_ssh_retries: 3 }]]);
    const plan = await dom0up('plan', inv);
    expect(plan.verdict[b.name]).toBe('ok');
    expect(plan.verdict[a.name]).toMatch(/^failed: connection settings: ansible_ssh_pass: dom0up does no password logins/);
    expect(plan.hosts.find((h) => h.name === a.name)).toMatchObject({ outcome: 'refused' });
    expect(plan.hosts.find((h) => h.name === b.name)).toMatchObject({ connectionNotes: [expect.stringMatching(/^ansible_ssh_retries: /)] });
    expect(plan.stderr).toMatch(new RegExp(`note: ansible_ssh_retries: .*\\(${b.name}\\)`));
    expect(plan.stderr).not.toContain('hunter2');
    expect(JSON.stringify(plan.hosts)).not.toContain('hunter2');
  });
});
