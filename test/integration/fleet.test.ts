// Fleets: an Ansible INI inventory with group and host Dom0 settings, --limit, reboots in
// batches, and a failure budget that stops further reboots.
import { expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { bootLog, consoleLog, readHostFile, setFault, type Fleet, type TestHost } from '../testbed/index.js';
import { runCli } from '../helpers/run-cli.js';
import { logDir } from './helpers.js';
import { parseGrubConf } from '../../src/grub/index.js';

function inventory(fleet: Fleet): string {
  const line = (i: number) => {
    const h = fleet.hosts[i]!;
    return `${h.name} ansible_host=${h.host} ansible_port=${h.port} ansible_user=root ansible_ssh_private_key_file=${h.privateKeyPath}`;
  };
  const text = `# a small rack
[rack1]
${line(0)}
${line(1)} dom0_mem=1536M

[rack2]
${line(2)}
${line(3)}

[rack1:vars]
dom0_vcpus=1

[dom0s:children]
rack1
rack2

[dom0s:vars]
dom0_mem=1024M
pin=true
`;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dom0up-inv-')), 'hosts.ini');
  writeFileSync(file, text);
  return file;
}

/** ms of a console timestamp HH:MM:SS.mmm (the day is the test's: a window never spans hours). */
const clock = (t: string) => {
  const [h, m, sec] = t.split(':').map(Number) as [number, number, number];
  return ((h * 60 + m) * 60 + sec) * 1000;
};

/** When the host's last reboot took it down and when it was booting again, from its console log. */
async function rebootWindow(h: TestHost): Promise<{ down: number; up: number }> {
  const lines = (await consoleLog(h)).split('\n');
  const at = lines.findLastIndex((l) => / power\] reboot: down for \d+ ms$/.test(l));
  expect(at, `${h.name} never rebooted:\n${lines.slice(-20).join('\n')}`).toBeGreaterThanOrEqual(0);
  const next = lines.slice(at + 1).find((l) => /^\[\d\d:\d\d:\d\d\.\d{3} /.test(l));
  expect(next, `${h.name} did not boot again`).toBeDefined();
  const ts = (l: string) => clock(/^\[(\d\d:\d\d:\d\d\.\d{3}) /.exec(l)![1]!);
  let up = ts(next!);
  const down = ts(lines[at]!);
  if (up < down) up += 86_400_000;
  return { down, up };
}

const cli = (fleet: Fleet, args: string[]) => runCli([...args, '--known-hosts', fleet.knownHostsPath, '--ssh-config', '/dev/null'], { DOM0UP_LOG_DIR: logDir, DOM0UP_REPO_METADATA: 'off' });

describeTestbed('fleet rollout', () => {
  const fleet = useFleet(4, { downtimeMs: 500 });

  it('plan over an inventory with --limit: one document per host, nothing changed', async () => {
    const inv = inventory(fleet());
    const r = await cli(fleet(), ['plan', '-i', inv, '--limit', 'rack2', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout.toString());
    expect(j.hosts.map((h: { name: string }) => h.name)).toEqual([fleet().hosts[2]!.name, fleet().hosts[3]!.name]);
    expect(j.hosts.every((h: { outcome: string }) => h.outcome === 'pending')).toBe(true);
    // --detailed-exitcode over the inventory: 2, changes are pending
    const d = await cli(fleet(), ['plan', '-i', inv, '--limit', 'rack2', '--detailed-exitcode']);
    expect(d.exit, d.stderr).toBe(2);
    expect((await cli(fleet(), ['plan', '-i', inv, '--limit', 'rack2'])).exit).toBe(0);
  });

  it('apply to the rack in batches of one (--serial 1): the reboots do not overlap, per-host settings from the inventory, a summary', async () => {
    const inv = inventory(fleet());
    const r = await cli(fleet(), ['apply', '-i', inv, '--limit', 'rack1', '--serial', '1', '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout.toString());
    expect(j.summary).toMatchObject({ hosts: 2, verified: 2 });
    const [a, b] = [fleet().hosts[0]!, fleet().hosts[1]!];
    expect((await bootLog(a)).at(-1)).toMatchObject({ hypervisor: 'xen', dom0MemMiB: 1024, dom0Vcpus: 1 });
    expect((await bootLog(b)).at(-1)).toMatchObject({ hypervisor: 'xen', dom0MemMiB: 1536, dom0Vcpus: 1 });
    // --serial 1: the two reboots did not overlap — from the test bed's console logs: the moment
    // each machine went down and the moment it was booting again (its first boot line after that)
    const [wa, wb] = [await rebootWindow(a), await rebootWindow(b)];
    expect(wa.up).toBeGreaterThanOrEqual(wa.down);
    expect(wb.up).toBeGreaterThanOrEqual(wb.down);
    expect(wa.up <= wb.down || wb.up <= wa.down, `reboot windows overlap: ${a.name} ${JSON.stringify(wa)}, ${b.name} ${JSON.stringify(wb)}`).toBe(true);
    expect(j.hosts.every((h: { log: string }) => typeof h.log === 'string' && h.log.length > 0)).toBe(true);
  });

  it('failure budget: one host fails, the others are not rebooted and are reported as skipped', async () => {
    const inv = inventory(fleet());
    const [c, d] = [fleet().hosts[2]!, fleet().hosts[3]!];
    await setFault(c, 'yum-fail', 'Error: Package: xen-runtime requires: seabios');
    const r = await cli(fleet(), ['apply', '-i', inv, '--limit', 'rack2', '--serial', '1', '--max-fail', '0', '--yes', '--json']);
    const j = JSON.parse(r.stdout.toString());
    const byName = Object.fromEntries(j.hosts.map((h: { name: string; outcome: string }) => [h.name, h]));
    expect(byName[c.name].outcome).toBe('failed');
    expect(byName[c.name].message).toMatch(/yum install xen failed/);
    expect(byName[d.name].outcome).toBe('skipped');
    expect(r.exit).toBe(2); // two hosts not verified
    // d got the packages but was not rebooted, and its default stays on the kernel it runs
    const g = parseGrubConf((await readHostFile(d, '/boot/grub/grub.conf'))!);
    expect(g.entries.some((e) => e.kind === 'xen')).toBe(false);
    expect(g.bootEntry!.version).toBe('2.6.32-754.el6.x86_64');
    expect((await bootLog(d)).at(-1)!.hypervisor).toBe('none');
    expect(byName[d.name].message).toMatch(/default stays on the kernel the host runs/);
    // the human summary names both
    const human = await cli(fleet(), ['verify', '-i', inv, '--limit', 'rack2']);
    expect(human.exit).toBe(2);
  });
});
