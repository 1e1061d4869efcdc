// Fault matrix, part 2: the connection drops at the exact point each row names — inside a write
// (between the temporary file and the rename, and right after the rename), after the one-shot boot
// is set, as the reboot command goes out, during verification, inside the commit. The fault points
// fire in the host (test/testbed: fault points); each row asserts the file's exact bytes (old or
// new) and what GRUB boots next (the test bed's GRUB reader), and a re-run converges.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { addFaultPoint, readHostFile, type TestHost } from '../testbed/index.js';
import { afterInstallStep, expectBootsStock, expectNextBoot, FAST, GRUB, LOCK, provision, rerunConverges, SIG, snapshot, STOCK } from './faults-helpers.js';

describeTestbed('faults: the connection drops', () => {
  const fleet = useFleet(
    [{ name: 'drop-repo-before' }, { name: 'drop-repo-after' }, { name: 'drop-grub-before' }, { name: 'drop-grub-after' }, { name: 'drop-oneshot' }, { name: 'drop-reboot' }, { name: 'drop-verify' }, { name: 'drop-commit' }],
    FAST,
  );
  const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;
  const REPO = '/etc/yum.repos.d/xen4centos-410.repo';

  async function repoRow(h: TestHost, when: 'before' | 'after') {
    const before = await snapshot(h);
    const fp = await addFaultPoint(h, { at: 'rename', match: REPO, when, action: 'kill' });
    const r = await provision(fleet(), h);
    expect(await fp.firings()).toHaveLength(1);
    expect(r.error?.message).toMatch(/: repo write: the connection was lost while writing \/etc\/yum\.repos\.d\/xen4centos-410\.repo.*each file is either the old or the new version/);
    const repo = await readHostFile(h, REPO);
    if (when === 'before') expect(repo).toBeNull();
    else expect(repo).toBe(afterInstallStep(r.ev, 'repo').after);
    // no temp file left behind is visible to yum (a dot file, removed by the next write)
    await expectBootsStock(h);
    // the lock was released over a new connection
    expect(await readHostFile(h, LOCK)).toBeNull();
    await rerunConverges(fleet(), h, before, { runId: r.runId });
  }
  it('between the temporary file and the rename of the .repo file: the old file (none), the default untouched; the re-run converges', () => repoRow(host('drop-repo-before'), 'before'));
  it('right after the rename of the .repo file: exactly the new file; the re-run converges', () => repoRow(host('drop-repo-after'), 'after'));

  async function grubRow(h: TestHost, when: 'before' | 'after') {
    const before = await snapshot(h);
    let afterYum: string | null = null;
    // armed after yum (new-kernel-pkg renames grub.conf too): the next rename is dom0up's
    let fp: Awaited<ReturnType<typeof addFaultPoint>> | null = null;
    const r = await provision(fleet(), h, {
      beforeReboot: async () => {
        afterYum = await readHostFile(h, GRUB);
        fp = await addFaultPoint(h, { at: 'rename', match: GRUB, when, action: 'kill' });
        return true;
      },
    });
    expect(await fp!.firings()).toHaveLength(1);
    // the files go out with the one-shot boot and the reboot in one script: its exit status never came, the old boot answered
    expect(r.error?.message).toMatch(/: reboot: the connection dropped before the script that writes grub\.conf, sets the one-shot boot and reboots had completed; the host did not reboot/);
    const now = await readHostFile(h, GRUB);
    // exactly the file as yum left it, or exactly the staged file dom0up planned — and either boots the stock kernel
    expect(now).toBe(when === 'before' ? afterYum : afterInstallStep(r.ev, 'grub').after);
    await expectBootsStock(h);
    await rerunConverges(fleet(), h, before, { runId: r.runId });
  }
  it('between the temporary file and the rename of grub.conf: exactly the old file; the stock kernel boots next; the re-run converges', () => grubRow(host('drop-grub-before'), 'before'));
  it('right after the rename of grub.conf: exactly the staged file (default still the stock kernel); the re-run converges', () => grubRow(host('drop-grub-after'), 'after'));

  it('after the one-shot boot is set, before the reboot: Xen boots once, a reset after that boots the stock kernel; the re-run converges', async () => {
    const h = host('drop-oneshot');
    const before = await snapshot(h);
    let fp: Awaited<ReturnType<typeof addFaultPoint>> | null = null;
    const r = await provision(fleet(), h, { beforeReboot: async () => ((fp = await addFaultPoint(h, { at: 'exec', match: '/sbin/grub --batch*', when: 'after', action: 'drop' })), true) });
    expect(await fp!.firings()).toHaveLength(1);
    expect(r.error?.message).toMatch(/: reboot: the connection dropped before the script that writes grub\.conf, sets the one-shot boot and reboots had completed; the host did not reboot/);
    await expectNextBoot(h, { kernel: SIG, xen: true, afterReset: { kernel: STOCK, xen: false } });
    await rerunConverges(fleet(), h, before, { runId: r.runId });
  });

  it('right when the detached reboot starts: the exit status never arrives, the new boot_id decides, the run verifies', async () => {
    const h = host('drop-reboot');
    const fp = await addFaultPoint(h, { at: 'exec', match: '*nohup sh -c sleep 0.5*', when: 'before', action: 'drop' });
    const r = await provision(fleet(), h);
    expect(await fp.firings()).toHaveLength(1);
    expect(r.error?.message ?? null).toBeNull();
    expect(r.report!.outcome).toBe('verified');
    // the host did go down and come back (a new boot_id), whatever became of the command's exit status
    expect(r.report!.reboot!.newBootId).not.toBe(r.report!.reboot!.oldBootId);
  });

  it('during verification after the one-shot boot: the error names the phase; the stock kernel is still the default; the re-run verifies the running Dom0 and commits', async () => {
    const h = host('drop-verify');
    const before = await snapshot(h);
    // armed after yum (the facts read with yum's result run xl too)
    let fp: Awaited<ReturnType<typeof addFaultPoint>> | null = null;
    const r = await provision(fleet(), h, { beforeReboot: async () => ((fp = await addFaultPoint(h, { at: 'exec', match: 'xl vcpu-list', when: 'before', action: 'drop' })), true) });
    expect(await fp!.firings()).toHaveLength(1);
    expect(r.error?.message).toMatch(/: verify: /);
    // the host runs the one-shot Xen boot; GRUB's default is still the stock kernel
    await expectBootsStock(h);
    const again = await rerunConverges(fleet(), h, before, { runId: r.runId });
    expect(again.report!.steps.map((s) => `${s.id}:${s.status}`)).toEqual(expect.arrayContaining(['verify:done', 'reboot:skipped']));
  });

  it('between the temporary file and the rename of the commit: exactly the staged file, the stock kernel still the default; the re-run commits', async () => {
    const h = host('drop-commit');
    const before = await snapshot(h);
    let armed: ReturnType<typeof addFaultPoint> | null = null;
    const r = await provision(fleet(), h, {
      hooks: {
        // the host runs the one-shot Xen boot and passed verification: the next rename of grub.conf is the commit
        done: (id, status) => {
          if (id === 'verify' && status === 'ok' && !armed) armed = addFaultPoint(h, { at: 'rename', match: GRUB, when: 'before', action: 'kill' });
        },
      },
    });
    expect(armed).not.toBeNull();
    expect(await (await armed!).firings()).toHaveLength(1);
    expect(r.error?.message).toMatch(/the connection was lost while writing \/boot\/grub\/grub\.conf/);
    expect(await readHostFile(h, GRUB)).toBe(afterInstallStep(r.ev, 'grub').after);
    await expectBootsStock(h);
    await rerunConverges(fleet(), h, before, { runId: r.runId });
  });
});
