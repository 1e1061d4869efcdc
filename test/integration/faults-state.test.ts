// Fault matrix, part 4: power cuts at the exact moments named (inside the staged write and the
// commit, before and after the rename; right after the run's journal is written), two runs at once,
// a grub.conf edited by hand between plan and apply, and locks left by other runs. After each, the
// test bed's GRUB reader names what boots next; the files are exactly the old or the new bytes.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { addFaultPoint, hostState, powerOn, readHostFile, waitUp, writeHostFile, type TestHost } from '../testbed/index.js';
import { run } from '../testbed/ssh-helpers.js';
import { dom0up, XEN_ARGS } from './helpers.js';
import { afterInstallStep, confirmThen, expectBootsStock, expectNextBoot, expectNothingLost, expectVerifiedDom0, FAST, GRUB, LOCK, provision, rerunConverges, runSteps, SIG, snapshot } from './faults-helpers.js';

describeTestbed('faults: power cuts, concurrent runs, hand edits, locks', () => {
  const fleet = useFleet(
    [{ name: 'cut-stage-before' }, { name: 'cut-stage-after' }, { name: 'cut-commit-before' }, { name: 'cut-commit-after' }, { name: 'cut-journal' }, { name: 'two-runs' }, { name: 'hand-edit', xen: 'running' }, { name: 'locked' }],
    FAST,
  );
  const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;

  async function powerBack(h: TestHost) {
    // the lab notices the cut a moment later
    for (let i = 0; i < 100 && (await hostState(h)) !== 'off'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await hostState(h)).toBe('off');
    await powerOn(h);
    await waitUp(h, 60_000);
  }

  for (const when of ['before', 'after'] as const) {
    it(`power cut ${when} the rename of the staged grub.conf: exactly the ${when === 'before' ? 'file as yum left it' : 'staged file'}; the stock kernel boots; the re-run converges`, async () => {
      const h = host(`cut-stage-${when}`);
      const before = await snapshot(h);
      let afterYum: string | null = null;
      let point: Awaited<ReturnType<typeof addFaultPoint>> | null = null;
      const r = await provision(fleet(), h, {
        beforeReboot: async () => {
          afterYum = await readHostFile(h, GRUB);
          point = await addFaultPoint(h, { at: 'rename', match: GRUB, when, action: 'power-cut' });
          return true;
        },
        rebootDeadlineMs: 8_000,
      });
      expect(await point!.firings()).toHaveLength(1);
      expect(r.error).not.toBeNull();
      await powerBack(h);
      expect(await readHostFile(h, GRUB)).toBe(when === 'before' ? afterYum : afterInstallStep(r.ev, 'grub').after);
      await expectBootsStock(h);
      // the dead run's lock is from the boot before the power cut: the re-run takes it over at once
      const again = await rerunConverges(fleet(), h, before, { runId: r.runId });
      expect(again.report!.steps.find((s) => s.id === 'lock')!.detail).toMatch(/took over the lock of \S+ \(the host rebooted\)/);
    });

    it(`power cut ${when} the rename of the commit: exactly the ${when === 'before' ? 'staged' : 'committed'} file; it boots ${when === 'before' ? 'the stock kernel' : 'the verified Xen entry'}; the re-run converges`, async () => {
      const h = host(`cut-commit-${when}`);
      const before = await snapshot(h);
      let armed: ReturnType<typeof addFaultPoint> | null = null;
      const r = await provision(fleet(), h, {
        hooks: { done: (id, status) => void (id === 'verify' && status === 'ok' && !armed && (armed = addFaultPoint(h, { at: 'rename', match: GRUB, when, action: 'power-cut' }))) },
      });
      expect(await (await armed!).firings()).toHaveLength(1);
      expect(r.error).not.toBeNull();
      await powerBack(h);
      expect(await readHostFile(h, GRUB)).toBe(afterInstallStep(r.ev, when === 'before' ? 'grub' : 'grub-commit').after);
      if (when === 'before') await expectBootsStock(h);
      else await expectNextBoot(h, { kernel: SIG, xen: true });
      await rerunConverges(fleet(), h, before, { runId: r.runId });
    });
  }

  it('power cut right after the run journal is written (before any file): nothing else changed; the re-run converges', async () => {
    const h = host('cut-journal');
    const before = await snapshot(h);
    const point = await addFaultPoint(h, { at: 'write', match: '/var/lib/dom0up/runs/*/plan.json', when: 'after', action: 'power-cut' });
    const r = await provision(fleet(), h);
    expect(await point.firings()).toHaveLength(1);
    expect(r.error).not.toBeNull();
    await powerBack(h);
    expect(await readHostFile(h, `/var/lib/dom0up/runs/${r.runId}/meta.json`)).not.toBeNull();
    expect(await readHostFile(h, '/etc/yum.repos.d/xen4centos-410.repo')).toBeNull();
    await expectBootsStock(h);
    await rerunConverges(fleet(), h, before, { runId: r.runId });
  });

  it('two runs at once: the second is refused with the lock owner and changes nothing; the first verifies', async () => {
    const h = host('two-runs');
    const before = await snapshot(h);
    let locked!: () => void;
    const firstHoldsLock = new Promise<void>((r) => (locked = r));
    const first = provision(fleet(), h, { hooks: { done: (id, status) => void (id === 'lock' && status === 'ok' && locked()) } });
    const second = provision(fleet(), h, { confirm: confirmThen(() => firstHoldsLock) });
    const [a, b] = await Promise.all([first, second]);
    expect(a.error?.message ?? null).toBeNull();
    expect(a.report!.outcome).toBe('verified');
    expect(b.error?.message).toMatch(new RegExp(`: lock: run ${a.runId} \\(dom0up apply root@${h.host.replace(/\./g, '\\.')}\\) from faults-test@controller pid ${process.pid}, started \\S+ holds the host lock and renewed it \\d+ s ago: it is running`));
    expect(b.error?.hint).toMatch(/wait for it to finish/);
    // the second run left no journal
    expect(await readHostFile(h, `/var/lib/dom0up/runs/${b.runId}/meta.json`)).toBeNull();
    await expectVerifiedDom0(h);
    await expectNothingLost(h, before);
  });

  it('grub.conf edited by hand between plan and apply: refused before anything is written, no journal; the re-run keeps the edit', async () => {
    const h = host('hand-edit');
    const before = await snapshot(h);
    const sysconfig = await readHostFile(h, '/etc/sysconfig/xen-kernel');
    const req = { dom0Mem: '2048M', dom0Vcpus: '2', pin: true };
    const edited = `${await readHostFile(h, GRUB)}# local note, edited by hand\n`;
    const r = await provision(fleet(), h, { req, confirm: confirmThen(() => writeHostFile(h, GRUB, edited, 0o600)) });
    expect(r.error?.message).toMatch(/: plan check: \/boot\/grub\/grub\.conf changed since it was read \(by hand or by a package\) — after the plan was made and confirmed; nothing was written$/);
    expect(r.error?.hint).toBe('run again to see the new plan');
    expect(await readHostFile(h, GRUB)).toBe(edited);
    expect(await readHostFile(h, '/etc/sysconfig/xen-kernel')).toBe(sysconfig);
    expect(await readHostFile(h, `/var/lib/dom0up/runs/${r.runId}/meta.json`)).toBeNull();
    expect(await readHostFile(h, LOCK)).toBeNull();
    await expectNextBoot(h, { kernel: SIG, xen: true });
    const again = await provision(fleet(), h, { req });
    expect(again.error?.message ?? null).toBeNull();
    expect(again.report!.outcome).toBe('verified');
    expect(await readHostFile(h, GRUB)).toContain('# local note, edited by hand\n');
    await expectNothingLost(h, before);
  });

  it("another controller's live lock is refused with its owner (--break-lock too); a dead run's reboot lease needs --break-lock", async () => {
    const h = host('locked');
    const before = await snapshot(h);
    const grub = await readHostFile(h, GRUB);
    const owner = { runId: '20261127T101500Z-c0ffee', controller: 'ops@jump-01', pid: 4242, startedAt: '2026-11-27T10:15:00.000Z', command: 'dom0up apply dom0-01' };
    const lockText = (until: number) => `dom0up-lock 1\nrun=${owner.runId}\nrebootUntil=${until}\nboot=$(cat /proc/sys/kernel/random/boot_id)\nowner=${JSON.stringify(owner)}`;
    await run(h, `mkdir -p /var/lib/dom0up && printf '%s\\n' "${lockText(0).replace(/"/g, '\\"')}" > ${LOCK}`);
    const r = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes']);
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`lock: run ${owner.runId} \\(dom0up apply dom0-01\\) from ops@jump-01 pid 4242, started 2026-11-27T10:15:00\\.000Z holds the host lock and renewed it \\d+ s ago: it is running`));
    // --break-lock does not break a live lock
    const brk = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--break-lock']);
    expect(brk.exit).toBe(1);
    expect(brk.stderr).toMatch(/it is running/);
    expect(await readHostFile(h, GRUB)).toBe(grub);
    expect(await readHostFile(h, '/etc/yum.repos.d/xen4centos-410.repo')).toBeNull();

    // a reboot lease an hour long, not renewed for 5 minutes: refused, --break-lock takes it over
    await run(h, `printf '%s\\n' "${lockText(Math.floor(Date.now() / 1000) + 3600).replace(/"/g, '\\"')}" > ${LOCK} && touch -d '5 minutes ago' ${LOCK}`);
    const lease = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes']);
    expect(lease.exit).toBe(1);
    expect(lease.stderr).toMatch(/is rebooting this host and holds the lock for \d+ more min/);
    const broke = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--break-lock', '--json']);
    expect(broke.exit, broke.stderr).toBe(0);
    const rep = JSON.parse(broke.out);
    expect(rep.outcome).toBe('verified');
    expect(rep.steps.find((s: { id: string }) => s.id === 'lock').detail).toMatch(new RegExp(`took over the lock of ${owner.runId} \\(not renewed for \\d+ s\\)`));
    expect((await runSteps(h, rep.runId)).at(-1)).toMatchObject({ status: 'end', outcome: 'verified' });
    await expectVerifiedDom0(h);
    await expectNothingLost(h, before);
  });
});
