// After dom0up: a later `yum update kernel` never takes Xen away from the Dom0 (UPDATEDEFAULT=no,
// BOOT_XEN_AS_DEFAULT="no"), and `dom0up apply` moves it to the new kernel through the verified
// one-shot boot. The judge of what booted is the test bed's firmware (its own GRUB reader).
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { bootLog, clearFault, readHostFile, setFault } from '../testbed/index.js';
import { connect, exec, rebootVia, reconnect } from '../testbed/ssh-helpers.js';
import { dom0up, XEN_ARGS } from './helpers.js';

const NEW = '4.9.241-38.el6';

describeTestbed('kernel updates after dom0up', () => {
  const fleet = useFleet([{ name: 'ku-a' }, { name: 'ku-helper', xenHelper: true }]);

  for (const [i, label] of [[0, 'without the xen4centos helper'], [1, 'with the xen4centos helper']] as const) {
    it(`${label}: yum update kernel and a plain reboot come back under Xen with the same Dom0; dom0up apply then moves to the new kernel`, async () => {
      const h = fleet().hosts[i]!;
      const a = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json']);
      expect(a.exit, a.stderr).toBe(0);
      const before = (await bootLog(h)).at(-1)!;
      expect(before).toMatchObject({ hypervisor: 'xen', dom0MemMiB: 1024, dom0Vcpus: 2 });

      await setFault(h, 'kernel-update', NEW);
      const c = await connect(h);
      // the helper's own repo files point at dead mirrors (dom0up's plan warns about them): the operator skips them
      const u = await exec(c, i === 1 ? 'yum -y --disablerepo=centos-virt-xen-410 --disablerepo=centos-virt-xen-epel update kernel' : 'yum -y update kernel');
      expect(u.code, u.stderr).toBe(0);
      expect(await readHostFile(h, `/boot/vmlinuz-${NEW}.x86_64`)).not.toBeNull();
      // the plan sees the new kernel and no drift: GRUB still boots what runs
      const p = await dom0up(fleet(), h, 'plan', [...XEN_ARGS, '--json']);
      const plan = JSON.parse(p.out).plan;
      expect(plan.warnings.filter((w: { code: string }) => w.code === 'boot-drift')).toEqual([]);
      expect(plan.desired.kernel).toBe(`${NEW}.x86_64`);
      const v = await dom0up(fleet(), h, 'verify', ['--json']);
      expect(JSON.parse(v.out).checks.find((x: { id: string }) => x.id === 'next-boot').ok).toBe(true);

      // a plain reboot (a power cut, an operator): still the same Xen Dom0
      await rebootVia(c, 'reboot');
      c.end();
      const c2 = await reconnect(h);
      c2.end();
      const after = (await bootLog(h)).at(-1)!;
      expect(after).toMatchObject({ hypervisor: 'xen', kernelRelease: before.kernelRelease, xenCmdline: before.xenCmdline, dom0MemMiB: 1024 });

      // dom0up moves it to the new kernel deliberately: one-shot boot, verification, commit
      const m = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--json']);
      expect(m.exit, m.stderr).toBe(0);
      const rep = JSON.parse(m.out);
      expect(rep.outcome).toBe('verified');
      expect(rep.plan.staging).not.toBeNull();
      const last = (await bootLog(h)).at(-1)!;
      expect(last).toMatchObject({ hypervisor: 'xen', kernelRelease: `${NEW}.x86_64`, dom0MemMiB: 1024, dom0Vcpus: 2 });
      // and the one after that too (the commit made it the default)
      const c3 = await connect(h);
      await rebootVia(c3, 'reboot');
      c3.end();
      (await reconnect(h)).end();
      expect((await bootLog(h)).at(-1)).toMatchObject({ hypervisor: 'xen', kernelRelease: `${NEW}.x86_64` });
      await clearFault(h, 'kernel-update');
    });
  }
});
