// rollback: every file a run changed goes back to its bytes before that run (from the run's
// journal on the host), files it created are removed, and the host boots what it booted before.
// The judges: the host's own disk (read from outside), the test bed's firmware (what booted).
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { bootLog, readHostFile } from '../testbed/index.js';
import { dom0up, XEN_ARGS } from './helpers.js';

const FILES = ['/boot/grub/grub.conf', '/etc/sysconfig/kernel', '/etc/sysconfig/xen-kernel', '/etc/xen/xl.conf', '/etc/yum.repos.d/xen4centos-410.repo', '/etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization'];
const snapshot = async (h: Parameters<typeof readHostFile>[0]) => Object.fromEntries(await Promise.all(FILES.map(async (f) => [f, await readHostFile(h, f)] as const)));

describeTestbed('rollback', () => {
  const fleet = useFleet([{ name: 'rb-seed', layout: 'seed-lvm' }, { name: 'rb-xen', xen: 'running' }]);
  const seed = () => fleet().hosts[0]!;
  const xen = () => fleet().hosts[1]!;

  it('after a verified apply on the seed host: the files byte for byte as before, and a reboot comes back on the kernel it ran before', async () => {
    const before = await snapshot(seed());
    const ranBefore = (await bootLog(seed())).at(-1)!;
    expect(ranBefore.hypervisor).toBe('none');
    const a = await dom0up(fleet(), seed(), 'apply', [...XEN_ARGS, '--yes', '--json']);
    expect(a.exit, a.stderr).toBe(0);
    expect(JSON.parse(a.out).outcome).toBe('verified');
    expect((await bootLog(seed())).at(-1)!.hypervisor).toBe('xen');

    const nonTty = await dom0up(fleet(), seed(), 'rollback', []);
    expect(nonTty.exit).toBe(1);
    expect(nonTty.stderr).toMatch(/--yes/);

    const r = await dom0up(fleet(), seed(), 'rollback', ['--yes', '--reboot', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.removed).toEqual(expect.arrayContaining(['/etc/yum.repos.d/xen4centos-410.repo', '/etc/sysconfig/xen-kernel']));
    expect(j.reboot).toMatchObject({ kernel: ranBefore.kernelRelease, xen: false, expected: true });
    expect(await snapshot(seed())).toEqual(before);
    const last = (await bootLog(seed())).at(-1)!;
    expect(last).toMatchObject({ hypervisor: 'none', kernelRelease: ranBefore.kernelRelease, title: ranBefore.title });
  });

  it('twice in a row after apply then tune: the first undoes the tune, the second the apply', async () => {
    const h = xen();
    const start = await snapshot(h);
    const a = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json']);
    expect(a.exit, a.stderr).toBe(0);
    const afterApply = await snapshot(h);
    const t = await dom0up(fleet(), h, 'tune', ['--dom0-mem', '2048M', '--yes', '--json']);
    expect(t.exit, t.stderr).toBe(0);
    expect(JSON.parse(t.out).outcome).toBe('verified');
    const list = JSON.parse((await dom0up(fleet(), h, 'rollback', ['--list', '--json'])).out).runs as { command: string; changed: boolean; origin: boolean }[];
    expect(list.filter((r) => r.changed).map((r) => r.command)).toEqual([expect.stringMatching(/apply/), expect.stringMatching(/tune/)]);
    expect(list[0]!.origin).toBe(true);

    const r1 = await dom0up(fleet(), h, 'rollback', ['--yes', '--reboot', '--json']);
    expect(r1.exit, r1.stderr).toBe(0);
    expect(await snapshot(h)).toEqual(afterApply);
    expect((await bootLog(h)).at(-1)!.dom0MemMiB).toBe(1024);
    const r2 = await dom0up(fleet(), h, 'rollback', ['--yes', '--json']);
    expect(r2.exit, r2.stderr).toBe(0);
    expect(await snapshot(h)).toEqual(start);
    // nothing left to roll back but the rollbacks themselves
    const r3 = await dom0up(fleet(), h, 'rollback', ['--yes', '--json']);
    expect(r3.exit).toBe(1);
    expect(r3.stderr).toMatch(/no dom0up run on the host changed anything that is not rolled back already/);
  });
});
