// Kernel updates as CentOS 6 does them (issue 18): `yum update [kernel]` with the stock kernel update
// of the vault's 6.10/updates (2.6.32-754.35.1, package `kernel`) and a newer Virt SIG kernel
// (4.9.241-38, the kernel-update knob); new-kernel-pkg with UPDATEDEFAULT=yes|no; the xen4centos
// helper present or not. Every assertion about what the host boots next asks the test bed's own
// GRUB reader (nextBoot), and the reboots confirm it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootLog, nextBoot, readHostFile, setFault, startHosts, type Fleet, type TestHost } from './index.js';
import { connect, exec, rebootVia, reconnect, run } from './ssh-helpers.js';
import { describeTestbed } from './vitest.js';

const X = '4.9.241-37.el6.x86_64';
const X2 = '4.9.241-38.el6.x86_64';
const K = '2.6.32-754.el6.x86_64';
const S = '2.6.32-754.35.1.el6.x86_64';
const STOCK_XEN_ARGS = 'dom0_mem=1024M,max:1024M cpuinfo com1=115200,8n1 console=com1,tty loglvl=all guest_loglvl=all';
/** a Dom0 with the helper: its own repo files point at dead mirrors; use the vault */
const FIX_REPOS =
  "sed -i 's/^enabled=1/enabled=0/' /etc/yum.repos.d/CentOS-Xen.repo /etc/yum.repos.d/CentOS-Xen-dependencies.repo && " +
  "printf '[xen4centos]\\nname=x\\nbaseurl=http://vault.centos.org/6.10/virt/x86_64/xen-410/\\ngpgcheck=0\\n' > /etc/yum.repos.d/vault-xen.repo";

async function rebootAndBooted(h: TestHost) {
  const c = await connect(h);
  await rebootVia(c, 'reboot');
  (await reconnect(h)).end();
  return (await bootLog(h)).at(-1)!;
}

describeTestbed('kernel updates on CentOS 6 (new-kernel-pkg, UPDATEDEFAULT, the xen4centos helper)', () => {
  let fleet: Fleet;
  let fresh: TestHost, yes: TestHost, no: TestHost, helper: TestHost, stock: TestHost, hyp: TestHost;
  beforeAll(async () => {
    fleet = await startHosts(
      [
        { name: 'ku-fresh' },
        { name: 'ku-yes', xen: 'running' },
        { name: 'ku-no', xen: 'running' },
        { name: 'ku-helper', xen: 'running', xenHelper: true },
        { name: 'ku-stock', xen: 'running', xenHelper: true },
        { name: 'ku-hyp', xen: 'running' },
      ],
      { downtimeMs: 100, rebootDelayMs: 100, xencommonsDelayMs: 0, yumLineDelayMs: 1 },
    );
    [fresh, yes, no, helper, stock, hyp] = fleet.hosts as [TestHost, TestHost, TestHost, TestHost, TestHost, TestHost];
  });
  afterAll(async () => fleet?.stop());

  it('a fresh CentOS 6.10: `yum update kernel` installs the stock update from 6.10/updates and makes it the default', async () => {
    const r = await run(fresh, 'yum check-update; echo rc=$?; yum -y update kernel');
    expect(r.stdout).toMatch(/^kernel\.x86_64 +2\.6\.32-754\.35\.1\.el6 +updates$/m);
    expect(r.stdout).toContain('rc=100');
    expect(r.stdout).toContain('Installed:\n  kernel.x86_64 0:2.6.32-754.35.1.el6');
    const nb = await nextBoot(fresh);
    expect(nb).toMatchObject({ entryIndex: 0, title: `CentOS (${S})`, kernelRelease: S, xen: false, boots: true });
    expect(await rebootAndBooted(fresh)).toMatchObject({ kernelRelease: S, hypervisor: 'none', cmdline: nb.cmdline });
  });

  it('a Dom0: the stock update is older than the installed Virt SIG kernel, so yum (like the real one) does not offer it', async () => {
    const r = await run(yes, 'yum check-update; echo rc=$?; yum -y update');
    expect(r.stdout).toContain('rc=0');
    expect(r.stdout).toContain('No Packages marked for Update');
    expect(await nextBoot(yes)).toMatchObject({ xen: true, kernelRelease: X });
  });

  it('UPDATEDEFAULT=yes, no helper: a Virt SIG update makes its PLAIN entry (copied from the Xen default) the default: the next boot loses Xen', async () => {
    const before = await nextBoot(yes);
    expect(before).toMatchObject({ entryIndex: 0, xen: true, kernelRelease: X, boots: true });
    await setFault(yes, 'kernel-update', '4.9.241-38.el6');
    const r = await run(yes, 'yum -y update kernel');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('Installing xen.gz stanza');
    const nb = await nextBoot(yes);
    // grubby --copy-default from a Xen template: the dom0 kernel's arguments, no hypervisor
    expect(nb).toMatchObject({ entryIndex: 0, title: `CentOS (${X2})`, xen: false, kernelRelease: X2, cmdline: before.dom0Cmdline, boots: true });
    expect(nb.afterReset).toMatchObject({ entryIndex: 0, xen: false });
    const conf = (await readHostFile(yes, '/etc/grub.conf'))!;
    expect(conf).toContain(`title CentOS (${X2})\n\troot (hd0,0)\n\tkernel /vmlinuz-${X2} ${before.dom0Cmdline}\n\tinitrd /initramfs-${X2}.img\n`);
    expect(await rebootAndBooted(yes)).toMatchObject({ kernelRelease: X2, hypervisor: 'none' });
  });

  it('UPDATEDEFAULT=no: the new entry goes on top, the default index moves with the Xen entry: the next boot is the same Dom0', async () => {
    const before = await nextBoot(no);
    expect((await run(no, "sed -i 's/^UPDATEDEFAULT=yes/UPDATEDEFAULT=no/' /etc/sysconfig/kernel && grep ^UPDATEDEFAULT /etc/sysconfig/kernel")).stdout).toBe('UPDATEDEFAULT=no\n');
    await setFault(no, 'kernel-update', '4.9.241-38.el6');
    expect((await run(no, 'yum -y update kernel')).code).toBe(0);
    const nb = await nextBoot(no);
    expect(nb.entries[0]!.title).toBe(`CentOS (${X2})`);
    expect(nb).toMatchObject({ entryIndex: before.entryIndex! + 1, title: before.title, xen: true, kernelRelease: X, xenCmdline: before.xenCmdline, dom0Cmdline: before.dom0Cmdline });
    expect(await rebootAndBooted(no)).toMatchObject({ hypervisor: 'xen', kernelRelease: X, xenCmdline: before.xenCmdline });
  });

  it('with the helper: a Virt SIG update gets a Xen entry, made default, its Xen line from /etc/sysconfig/xen-kernel (not from grub.conf)', async () => {
    const before = await nextBoot(helper);
    expect(before).toMatchObject({ xen: true, kernelRelease: X, xenCmdline: STOCK_XEN_ARGS });
    const ARGS = 'dom0_mem=2048M,max:2048M dom0_max_vcpus=2';
    await setFault(helper, 'kernel-update', '4.9.241-38.el6');
    const r = await run(helper, `${FIX_REPOS} && sed -i 's/^XEN_KERNEL_ARGS=.*/XEN_KERNEL_ARGS="${ARGS}"/' /etc/sysconfig/xen-kernel && yum -y update kernel`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Installing xen.gz stanza for kver ${X2}`);
    const nb = await nextBoot(helper);
    expect(nb).toMatchObject({ entryIndex: 0, title: `CentOS (${X2})`, xen: true, kernelRelease: X2, xenCmdline: ARGS, dom0Cmdline: before.dom0Cmdline, boots: true });
    // the helper replaced the plain entry of the same title: no plain 4.9.241-38 entry is left
    expect(nb.entries.filter((e) => e.title === `CentOS (${X2})`)).toHaveLength(1);
    expect(await rebootAndBooted(helper)).toMatchObject({ hypervisor: 'xen', kernelRelease: X2, xenCmdline: ARGS });
  });

  it('a stock kernel update never becomes a Xen dom0 entry, even with the helper: it becomes the plain default', async () => {
    const c = await connect(stock);
    const r = await exec(c, `${FIX_REPOS} && yum -y update; yum -y install kernel-2.6.32-754.35.1.el6`);
    c.end();
    expect(r.stdout).toContain('No Packages marked for Update');
    expect(r.stdout).toContain('Installed:\n  kernel.x86_64 0:2.6.32-754.35.1.el6');
    expect(r.stdout).not.toContain('Installing xen.gz stanza');
    const conf = (await readHostFile(stock, '/etc/grub.conf'))!;
    expect(conf).not.toMatch(new RegExp(`module /vmlinuz-${S.replaceAll('.', '\\.')}`));
    const nb = await nextBoot(stock);
    expect(nb).toMatchObject({ entryIndex: 0, title: `CentOS (${S})`, xen: false, kernelRelease: S, boots: true });
    expect(await rebootAndBooted(stock)).toMatchObject({ kernelRelease: S, hypervisor: 'none' });
  });

  it('HYPERVISOR= in /etc/sysconfig/kernel (new-kernel-pkg 7.0.15-4+) turns EVERY kernel into a Xen entry: a stock one panics under Xen', async () => {
    await run(hyp, "printf 'HYPERVISOR=/boot/xen.gz\\nHYPERVISOR_ARGS=dom0_mem=2048M\\n' >> /etc/sysconfig/kernel");
    const r = await run(hyp, 'yum -y install kernel-2.6.32-754.35.1.el6');
    expect(r.code).toBe(0);
    const nb = await nextBoot(hyp);
    // --copy-default from the Xen default: HYPERVISOR_ARGS merged key-wise into the template's Xen line
    expect(nb).toMatchObject({ entryIndex: 0, title: `CentOS (${S})`, xen: true, kernelRelease: S, result: 'panic', rebootAfterPanic: true });
    expect(nb.xenCmdline).toBe(STOCK_XEN_ARGS.replace('dom0_mem=1024M,max:1024M', 'dom0_mem=2048M'));
    expect(nb.log.join('\n')).toContain('Kernel does not support Dom0 operation');
    // no one-shot pending: the panic reboot boots the same entry again
    expect(nb.afterReset).toMatchObject({ entryIndex: 0, result: 'panic' });
    // the stock kernel the host ran before is still there, one entry down
    expect(nb.entries.some((e) => e.title.includes(K))).toBe(true);
  });
});
