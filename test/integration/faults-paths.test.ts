// Fault matrix, part 6: failure paths that need no connection drop — yum "succeeds" without
// installing Xen, a file changes between the plan after yum and the grub.conf write (the
// compare-and-swap), another run breaks the lock mid-run, and a rollback whose stage2 word write
// fails. Each fault fires at the exact point the row names (test bed fault points, or the
// provisioning's own beforeReboot hook: the moment right before the grub.conf write is sent); the
// judges are the host's files read from outside and the test bed's GRUB reader.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { addFaultPoint, nextBoot, readHostFile, writeHostFile } from '../testbed/index.js';
import { dom0up } from './helpers.js';
import { expectBootsStock, expectNextBoot, FAST, GRUB, LOCK, provision, rerunConverges, runSteps, SIG, snapshot, STOCK } from './faults-helpers.js';

describeTestbed('faults: failure paths of the walk and of the way back', () => {
  const fleet = useFleet([{ name: 'yum-noop' }, { name: 'cas-grub' }, { name: 'lock-broken' }, { name: 'rb-word' }], FAST);
  const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;

  it('yum exits 0 without installing anything: "Xen still looks uninstalled after yum", nothing more written, the stock kernel boots; the re-run converges', async () => {
    const h = host('yum-noop');
    const before = await snapshot(h);
    const fp = await addFaultPoint(h, { at: 'exec', match: '*yum -y*install xen', when: 'before', action: 'fail', exitCode: 0, message: 'Nothing to do' });
    const r = await provision(fleet(), h);
    expect(await fp.firings()).toHaveLength(1);
    expect(r.error?.message).toMatch(/: after yum: Xen still looks uninstalled after yum install xen \(no xen-hypervisor package or \/boot\/xen\.gz\)/);
    expect(r.error?.hint).toMatch(/yum output/);
    expect(r.ev.ended.some((e) => e.id === 'grub' && e.status === 'ok')).toBe(false);
    expect(await readHostFile(h, '/boot/xen.gz')).toBeNull();
    await expectBootsStock(h);
    expect(await readHostFile(h, LOCK)).toBeNull();
    expect((await runSteps(h, r.runId)).at(-1)).toMatchObject({ status: 'end', outcome: 'failed' });
    await rerunConverges(fleet(), h, before, { runId: r.runId });
  });

  it('grub.conf changes between the plan after yum and its write: the compare-and-swap refuses, nothing of that script is written, no one-shot boot, no reboot', async () => {
    const h = host('cas-grub');
    const before = await snapshot(h);
    let edited: string | null = null;
    const r = await provision(fleet(), h, {
      beforeReboot: async () => {
        edited = `${(await readHostFile(h, GRUB))!}# edited by hand while dom0up ran\n`;
        await writeHostFile(h, GRUB, edited, 0o600);
        return true;
      },
    });
    expect(r.error?.message).toMatch(/: reboot: \/boot\/grub\/grub\.conf changed since it was read \(by hand or by a package\) — after the plan was made; nothing was written by this step/);
    expect(await readHostFile(h, GRUB)).toBe(edited);
    expect(r.report).toBeNull();
    expect(r.ev.ended.some((e) => e.id === 'reboot' && e.status === 'ok')).toBe(false);
    // no one-shot boot was set: the stock kernel boots next and after a reset
    await expectBootsStock(h);
    expect(await readHostFile(h, LOCK)).toBeNull();
    await rerunConverges(fleet(), h, before, { runId: r.runId });
    // the hand edit survives the re-run
    expect(await readHostFile(h, GRUB)).toContain('# edited by hand while dom0up ran\n');
  });

  it('another run breaks the lock mid-run (after yum, before the grub.conf write): this run stops before changing anything more and leaves that run\'s lock alone', async () => {
    const h = host('lock-broken');
    let afterYum: string | null = null;
    let otherLock = '';
    const r = await provision(fleet(), h, {
      beforeReboot: async () => {
        afterYum = await readHostFile(h, GRUB);
        const lock = (await readHostFile(h, LOCK))!;
        expect(lock).toMatch(/^run=/m);
        otherLock = lock.replace(/^run=.*$/m, 'run=20261202T000000Z-breaker');
        await writeHostFile(h, LOCK, otherLock, 0o600);
        return true;
      },
    });
    expect(r.error?.message).toMatch(/: reboot: the host lock is no longer this run's \(another run broke it\): stopped before changing anything more/);
    expect(await readHostFile(h, GRUB)).toBe(afterYum);
    expect(await readHostFile(h, LOCK)).toBe(otherLock);
    expect(r.ev.ended.some((e) => e.id === 'reboot' && e.status === 'ok')).toBe(false);
    await expectBootsStock(h);
  });

  it('rollback cannot set the stage2 word back (the write fails): exit 1 naming the host and the phase, the pending one-shot boot said; the lock released; a second rollback clears it', async () => {
    const h = host('rb-word');
    const grubBefore = await readHostFile(h, GRUB);
    // a run that stopped right after the one-shot boot was set (the word is pending)
    const drop = async () => ((await addFaultPoint(h, { at: 'exec', match: '/sbin/grub --batch*', when: 'after', action: 'drop' })), true);
    const r = await provision(fleet(), h, { beforeReboot: drop });
    expect(r.error?.message).toMatch(/: reboot: the connection dropped before the script/);
    await expectNextBoot(h, { kernel: SIG, xen: true, afterReset: { kernel: STOCK, xen: false } });
    const fp = await addFaultPoint(h, { at: 'exec', match: '/*bin/dd of=/boot/grub/stage2 *', when: 'before', action: 'fail', exitCode: 1, message: 'dd: /boot/grub/stage2: Input/output error' });
    const rb = await dom0up(fleet(), h, 'rollback', ['--run', r.runId, '--yes']);
    expect(await fp.firings()).toHaveLength(1);
    expect(rb.exit, rb.stderr).toBe(1);
    expect(rb.stderr).toContain(h.host);
    expect(rb.stderr).toMatch(/: rollback \(stage2 word\): the files were restored, but the stage2 saved word could not be set back to 0x[0-9a-f]+ \(exit 67\): the one-shot boot of entry \d+ is still pending/);
    expect(await readHostFile(h, LOCK)).toBeNull();
    // the files are back (grub.conf as before the run); the stage2 word still holds the pending one-shot boot
    expect(await readHostFile(h, GRUB)).toBe(grubBefore);
    expect(((await nextBoot(h)).savedWord ?? 0) & 0x10000).toBe(0x10000);
    const again = await dom0up(fleet(), h, 'rollback', ['--run', r.runId, '--yes']);
    expect(again.exit, again.stderr).toBe(0);
    expect(again.out).toMatch(/stage2 saved word set back to 0x/);
    await expectBootsStock(h);
  });
});
