// Fault matrix, part 1: the install. yum fails (before and after the kernel package went in), the
// connection drops in the middle of the transaction, /boot fills up under the grub.conf write, the
// reboot command never returns. After each: the test bed's GRUB reader says the next boot (and the
// one after a reset) is the stock kernel the host ran before the run; a re-run converges.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { addFaultPoint, clearFault, readHostFile, setFault } from '../testbed/index.js';
import { run } from '../testbed/ssh-helpers.js';
import { afterInstallStep, expectBootsStock, expectNothingLost, expectVerifiedDom0, FAST, GRUB, LOCK, provision, rerunConverges, runSteps, sleep, snapshot } from './faults-helpers.js';

describeTestbed('faults: the install', () => {
  const fleet = useFleet([{ name: 'yum-fail' }, { name: 'yum-fail-kernel' }, { name: 'yum-drop' }, { name: 'boot-full' }, { name: 'reboot-hangs' }], FAST);
  const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;

  it('yum fails before installing anything: the error carries yum\'s output and says the default is unchanged; the re-run converges', async () => {
    const h = host('yum-fail');
    const before = await snapshot(h);
    await setFault(h, 'yum-fail', { output: 'Error: Cannot retrieve repository metadata (repomd.xml)', exitCode: 1 });
    const r = await provision(fleet(), h);
    expect(r.error?.message).toMatch(/: yum: yum install xen failed \(exit 1\); the default boot entry was not changed \(UPDATEDEFAULT=no\)/);
    expect(r.error?.detail).toContain('Cannot retrieve repository metadata');
    expect(r.error?.message).toMatch(/dom0up rollback .* --run /);
    expect(r.ev.phases).not.toContain('reboot');
    await expectBootsStock(h);
    expect(await readHostFile(h, LOCK)).toBeNull();
    expect((await runSteps(h, r.runId)).at(-1)).toMatchObject({ status: 'end', outcome: 'failed' });
    await clearFault(h, 'yum-fail');
    await rerunConverges(fleet(), h, before, { runId: r.runId });
  });

  it('yum fails after the kernel package went in (its %post ran new-kernel-pkg): the never-booted kernel is not the default', async () => {
    const h = host('yum-fail-kernel');
    const before = await snapshot(h);
    const fp = await addFaultPoint(h, { at: 'yum', match: 'kernel', when: 'after', action: 'fail', exitCode: 1, message: 'error: %post(kernel) scriptlet failed' });
    const r = await provision(fleet(), h);
    expect(await fp.firings()).toHaveLength(1);
    expect(r.error?.message).toMatch(/: yum: yum install xen failed \(exit 1\)/);
    // new-kernel-pkg added the 4.9 entry (on top) — and GRUB still boots the stock kernel
    expect(await readHostFile(h, GRUB)).toContain('title CentOS (4.9.241-37.el6.x86_64)');
    await expectBootsStock(h);
    await rerunConverges(fleet(), h, before, { runId: r.runId });
  });

  it('the connection drops in the middle of the transaction: yum (detached) still completes on the host; the default stays; the re-run converges', async () => {
    const h = host('yum-drop');
    const before = await snapshot(h);
    const fp = await addFaultPoint(h, { at: 'yum', match: 'kernel', when: 'after', action: 'drop' });
    const r = await provision(fleet(), h);
    expect(await fp.firings()).toHaveLength(1);
    expect(r.error?.message).toMatch(/: yum: the connection was lost during yum install xen; it goes on on the host by itself \(detached\)/);
    // the lock: kept for yum while it still runs (marked), released once it has ended — never an empty lock file
    const [lockNow, rcNow] = [await readHostFile(h, LOCK), await readHostFile(h, `/var/lib/dom0up/runs/${r.runId}/yum.log.rc`)];
    if (lockNow !== null) expect(lockNow).toMatch(new RegExp(`^run=${r.runId}$[\\s\\S]*^yum=running detached`, 'm'));
    else expect(rcNow, 'the lock was released: yum had ended').not.toBeNull();
    // yum finishes by itself (its log and exit status are in the run's journal)
    let rc: string | null = null;
    for (let i = 0; i < 100 && rc === null; i++, await sleep(200)) rc = await readHostFile(h, `/var/lib/dom0up/runs/${r.runId}/yum.log.rc`);
    expect(rc).toBe('0\n');
    expect(await readHostFile(h, LOCK), 'yum released the lock when it ended').toBeNull();
    expect((await run(h, 'rpm -q xen-hypervisor')).code).toBe(0);
    await expectBootsStock(h);
    await rerunConverges(fleet(), h, before, { runId: r.runId });
  });

  it('/boot fills up under the grub.conf write: ENOSPC and where; grub.conf exactly as yum left it; the re-run converges', async () => {
    const h = host('boot-full');
    const before = await snapshot(h);
    let afterYum: string | null = null;
    const r = await provision(fleet(), h, {
      beforeReboot: async () => {
        afterYum = await readHostFile(h, GRUB);
        await setFault(h, 'boot-full');
        return true;
      },
    });
    expect(r.error?.message).toMatch(/: grub.conf write: ENOSPC: no space left on the file system of \/boot\/grub while writing \/boot\/grub\/grub\.conf; that file is untouched/);
    expect(r.error?.hint).toMatch(/free space in \/boot\/grub/);
    expect(afterYum).not.toBeNull();
    expect(await readHostFile(h, GRUB)).toBe(afterYum);
    expect(r.ev.ended.some((e) => e.id === 'reboot' && e.status === 'ok')).toBe(false);
    await expectBootsStock(h);
    await clearFault(h, 'boot-full');
    await rerunConverges(fleet(), h, before, { runId: r.runId });
  });

  it('the reboot command never returns an exit status: taken as "reboot started"; the new boot_id decides', async () => {
    const h = host('reboot-hangs');
    const before = await snapshot(h);
    // the SSH command that starts the (detached) reboot never returns: it hangs until the host goes down
    const fp = await addFaultPoint(h, { at: 'exec', fromSsh: true, match: '*nohup sh -c*sleep 0.5; /sbin/shutdown -r now*', when: 'after', action: 'hang' });
    const r = await provision(fleet(), h);
    expect(await fp.firings()).toHaveLength(1);
    expect(r.error?.message ?? null).toBeNull();
    expect(r.report!.outcome).toBe('verified');
    expect(r.ev.notes.some((n) => /the connection dropped while sending the reboot command/.test(n))).toBe(true);
    await expectVerifiedDom0(h);
    await expectNothingLost(h, before);
    void afterInstallStep;
  });
});
