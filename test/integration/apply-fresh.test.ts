// A fresh CentOS 6.10 host end to end over real SSH, then a second run that changes nothing.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { bootLog, readHostFile } from '../testbed/index.js';
import { dom0up, XEN_ARGS } from './helpers.js';
import { parseGrubConf } from '../../src/grub/index.js';

describeTestbed('apply on a fresh host', () => {
  const fleet = useFleet([{ name: 'fresh' }]);

  it('plans before anything exists, changing nothing', async () => {
    const h = fleet().hosts[0]!;
    const before = await readHostFile(h, '/boot/grub/grub.conf');
    const r = await dom0up(fleet(), h, 'plan', [...XEN_ARGS, '--json', '--detailed-exitcode']);
    expect(r.exit).toBe(2);
    const plan = JSON.parse(r.out).plan;
    expect(plan.steps.map((s: { id: string; action: string }) => `${s.id}:${s.action}`)).toEqual([
      'repo:create', 'gpg-key:create', 'kernel-sysconfig:update', 'xen-kernel-sysconfig:create', 'yum-install:run', 'xl-conf:after-install', 'grub:after-install', 'one-shot:after-install', 'reboot:run', 'verify:run', 'grub-commit:after-install',
    ]);
    expect(plan.steps[0].after).toContain('baseurl=http://vault.centos.org/6.10/virt/x86_64/xen-410/');
    // the grub.conf change is shown before yum: predicted, with a placeholder for the kernel version
    const grub = plan.steps.find((s: { id: string }) => s.id === 'grub');
    expect(grub.predicted.diff).toMatch(/^\+title CentOS \(4\.9\.VERSION-FROM-THE-XEN-REPO\.el6\.x86_64\)$/m);
    expect(await readHostFile(h, '/boot/grub/grub.conf')).toBe(before);
    expect(await readHostFile(h, '/etc/yum.repos.d/xen4centos-410.repo')).toBeNull();
  });

  it('apply: verified Dom0, files right, the link kept', async () => {
    const h = fleet().hosts[0]!;
    const r = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--xen-arg', 'cpufreq=xen', '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.outcome).toBe('verified');
    expect(rep.verify.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
    // what the packages did is what the plan predicted (the kernel version aside)
    expect(rep.deviations).toEqual([]);
    // a fresh apply: facts, lock+journal+files, yum+facts, files+one-shot+reboot, probe, lock+verify, commit
    expect(rep.roundTrips).toBeLessThanOrEqual(12);
    expect(rep.reboot.newBootId).not.toBe(rep.reboot.oldBootId);
    // what the host booted, from the simulated firmware's own log
    const last = (await bootLog(h)).at(-1)!;
    expect(last.hypervisor).toBe('xen');
    expect(last.xenCmdline).toBe('dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin cpufreq=xen');
    expect(last.kernelRelease).toBe('4.9.241-37.el6.x86_64');
    // the files, read from the host's disk
    const grub = parseGrubConf((await readHostFile(h, '/boot/grub/grub.conf'))!);
    expect(grub.bootEntry!.kind).toBe('xen');
    expect(grub.entries.filter((e) => e.kind === 'xen')).toHaveLength(1);
    expect(grub.entries.some((e) => e.title.includes('dom0up: previous'))).toBe(false);
    expect(await readHostFile(h, '/etc/sysconfig/xen-kernel')).toMatch(/^XEN_KERNEL_ARGS="dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin cpufreq=xen"$/m);
    expect(await readHostFile(h, '/etc/xen/xl.conf')).toMatch(/^autoballoon="off"$/m);
    const link = await dom0up(fleet(), h, 'facts', ['--json']);
    const facts = JSON.parse(link.out).facts;
    expect(facts.grub.links).toContain('/etc/grub.conf -> ../boot/grub/grub.conf');
    expect(facts.grub.stat.mode).toBe(0o600);
    expect(facts.hypervisor.dom0).toBe(true);
  });

  it('a second apply changes nothing and reboots nothing', async () => {
    const h = fleet().hosts[0]!;
    const boots = (await bootLog(h)).length;
    const grub = await readHostFile(h, '/boot/grub/grub.conf');
    const r = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--xen-arg', 'cpufreq=xen', '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    expect(JSON.parse(r.out).outcome).toBe('unchanged');
    expect((await bootLog(h)).length).toBe(boots);
    expect(await readHostFile(h, '/boot/grub/grub.conf')).toBe(grub);
    const p = await dom0up(fleet(), h, 'plan', [...XEN_ARGS, '--xen-arg', 'cpufreq=xen', '--detailed-exitcode']);
    expect(p.exit).toBe(0);
    expect(p.out).toContain('nothing to change');
  });

  it('verify without options checks the default Xen entry', async () => {
    const h = fleet().hosts[0]!;
    const r = await dom0up(fleet(), h, 'verify', ['--json']);
    expect(r.exit, r.stderr).toBe(0);
    expect(JSON.parse(r.out).ok).toBe(true);
  });
});
