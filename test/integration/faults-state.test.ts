// Fault matrix, part 4: power cuts during the grub.conf writes, two runs at once, a grub.conf
// edited by hand between plan and apply, and locks left by other runs.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { powerCut, powerOn, readHostFile, writeHostFile } from '../testbed/index.js';
import { run } from '../testbed/ssh-helpers.js';
import { parseGrubConf } from '../../src/grub/index.js';
import { dom0up, XEN_ARGS } from './helpers.js';
import { confirmThen, expectBootable, expectNothingLost, expectVerifiedDom0, FAST, GRUB, journalOf, LOCK, provision, snapshot } from './faults-helpers.js';

describeTestbed('faults: power cuts, concurrent runs, hand edits, locks', () => {
  const fleet = useFleet(
    [{ name: 'cut-grub' }, { name: 'cut-commit' }, { name: 'two-runs' }, { name: 'hand-edit', xen: 'running' }, { name: 'locked' }],
    FAST,
  );
  const host = (n: string) => fleet().hosts.find((h) => h.name === n)!;

  it('power cut during the staged grub.conf write: after power-on the host boots the old or the new file, both valid; the re-run converges', async () => {
    const h = host('cut-grub');
    const before = await snapshot(h);
    let old: Promise<string | null> = Promise.resolve(null);
    let cut: Promise<void> | null = null;
    const r = await provision(fleet(), h, {
      hooks: {
        // grub.conf as the write finds it: after the packages, and after dom0up put the default back on the running kernel
        done: (id) => void ((id === 'yum' || id === 'keep-default') && (old = readHostFile(h, GRUB))),
        phase: (id) => void (id === 'grub' && (cut = powerCut(h))),
      },
    });
    expect(r.error?.message).toMatch(/: grub\.conf (write|read-back): |: one-shot( boot)?: /);
    await cut;
    await powerOn(h);
    await expectBootable(h);
    const now = (await readHostFile(h, GRUB))!;
    const g = parseGrubConf(now);
    if (now !== (await old)) {
      // the new file, whole: the Xen entry is there and the default is still the old kernel
      expect(g.entries.some((e) => e.kind === 'xen' && e.kernel!.args === 'dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin')).toBe(true);
      expect(g.bootEntry!.kind).toBe('linux');
      expect(g.bootEntry!.version).toBe('2.6.32-754.el6.x86_64');
    }
    await expectNothingLost(h, before);
    const again = await provision(fleet(), h);
    expect(again.error?.message ?? null).toBeNull();
    expect(again.report!.outcome).toBe('verified');
    await expectVerifiedDom0(h);
    await expectNothingLost(h, before);
  });

  it('power cut during the commit write: the host boots the staged or the final file, both valid; the re-run converges', async () => {
    const h = host('cut-commit');
    const before = await snapshot(h);
    let cut: Promise<void> | null = null;
    const r = await provision(fleet(), h, { hooks: { phase: (id) => void (id === 'commit' && (cut = powerCut(h))) } });
    expect(r.error?.message).toMatch(/: grub\.conf (commit|read-back): /);
    await cut;
    await powerOn(h);
    const last = await expectBootable(h);
    const g = parseGrubConf((await readHostFile(h, GRUB))!);
    // staged: the old kernel is the default (no one-shot pending any more); final: Xen is
    expect(last.hypervisor).toBe(g.bootEntry!.kind === 'xen' ? 'xen' : 'none');
    const again = await provision(fleet(), h);
    expect(again.error?.message ?? null).toBeNull();
    expect(again.report!.outcome).toBe('verified');
    await expectVerifiedDom0(h);
    await expectNothingLost(h, before);
  });

  it('two runs at once: the second refuses with the lock owner and changes nothing; the first verifies', async () => {
    const h = host('two-runs');
    const before = await snapshot(h);
    let locked!: () => void;
    const firstHoldsLock = new Promise<void>((r) => (locked = r));
    const first = provision(fleet(), h, { hooks: { done: (id, status) => void (id === 'lock' && status === 'ok' && locked()) } });
    // the second run plans at the same time and asks to go on once the first holds the lock
    const second = provision(fleet(), h, { confirm: confirmThen(() => firstHoldsLock) });
    const [a, b] = await Promise.all([first, second]);
    expect(a.error?.message ?? null).toBeNull();
    expect(a.report!.outcome).toBe('verified');
    expect(b.error?.message).toMatch(
      new RegExp(`: lock: another dom0up run holds the lock: run ${a.runId} \\(dom0up apply root@${h.host.replace(/\./g, '\\.')}\\) from faults-test@controller pid ${process.pid}, started \\S+, 0 min ago \\(/var/lib/dom0up/lock\\)`),
    );
    expect(b.error?.hint).toMatch(/wait for it to finish, or --break-lock/);
    // the second run wrote nothing: the journal knows only the first
    expect(b.ev.phases.filter((p) => !['facts', 'lock'].includes(p))).toEqual([]);
    expect((await journalOf(h)).filter((e) => e.run === b.runId)).toEqual([]);
    expect(await readHostFile(h, LOCK)).toBeNull();
    await expectVerifiedDom0(h);
    await expectNothingLost(h, before);
  });

  it('grub.conf edited by hand between plan and apply: refused before anything is written; the re-run keeps the edit', async () => {
    const h = host('hand-edit');
    const before = await snapshot(h);
    const sysconfig = await readHostFile(h, '/etc/sysconfig/xen-kernel');
    const req = { dom0Mem: '2048M', dom0Vcpus: '2', pin: true };
    const edited = `${await readHostFile(h, GRUB)}# local note, edited by hand\n`;
    const r = await provision(fleet(), h, { req, confirm: confirmThen(() => writeHostFile(h, GRUB, edited, 0o600)) });
    expect(r.error?.message).toMatch(/: plan check: \/boot\/grub\/grub\.conf changed since it was read \(by hand or by a package\).*; nothing was written$/);
    expect(r.error?.hint).toBe('run again to see the new plan');
    // nothing after the check: no write, no backup, no reboot
    expect(r.ev.phases).toEqual(['facts', 'lock', 'plan-check']);
    expect(await readHostFile(h, GRUB)).toBe(edited);
    expect(await readHostFile(h, '/etc/sysconfig/xen-kernel')).toBe(sysconfig);
    expect((await run(h, 'ls -a /boot/grub /etc/sysconfig')).stdout).not.toMatch(/dom0up/);
    const j = (await journalOf(h)).filter((e) => e.run === r.runId);
    expect(j.map((e) => e.phase)).toEqual(['start', 'failed']);
    expect(j[1]!.at).toBe('plan check');
    expect(await readHostFile(h, LOCK)).toBeNull();
    await expectBootable(h);

    const again = await provision(fleet(), h, { req });
    expect(again.error?.message ?? null).toBeNull();
    expect(again.report!.outcome).toBe('verified');
    expect(await readHostFile(h, GRUB)).toContain('# local note, edited by hand\n');
    await expectBootable(h);
    await expectNothingLost(h, before);
  });

  it("another controller's lock is refused with its owner, a 3-hour-old one is called stale; --break-lock converges", async () => {
    const h = host('locked');
    const before = await snapshot(h);
    const grub = await readHostFile(h, GRUB);
    const owner = { runId: '20261127T101500Z-c0ffee', controller: 'ops@jump-01', pid: 4242, startedAt: '2026-11-27T10:15:00.000Z', command: 'dom0up apply dom0-01' };
    await run(h, `mkdir -p /var/lib/dom0up && printf '%s\\n' '${JSON.stringify(owner)}' > ${LOCK}`);
    const r = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes']);
    expect(r.exit).toBe(1);
    expect(r.stderr).toContain(`lock: another dom0up run holds the lock: run ${owner.runId} (dom0up apply dom0-01) from ops@jump-01 pid 4242, started 2026-11-27T10:15:00.000Z, 0 min ago (/var/lib/dom0up/lock)`);
    expect(r.stderr).toMatch(/hint: wait for it to finish, or --break-lock if it is gone/);
    expect(await readHostFile(h, GRUB)).toBe(grub);
    expect(await readHostFile(h, '/etc/yum.repos.d/xen4centos-410.repo')).toBeNull();

    await run(h, `touch -d '4 hours ago' ${LOCK}`);
    const stale = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes']);
    expect(stale.exit).toBe(1);
    expect(stale.stderr).toMatch(new RegExp(`lock: a stale lock: run ${owner.runId} .* from ops@jump-01 pid 4242, started \\S+, 24\\d min ago`));
    expect(stale.stderr).toMatch(/hint: if that run is gone, run again with --break-lock/);
    expect(await readHostFile(h, LOCK)).toContain(owner.runId);

    const broke = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--yes', '--break-lock', '--json']);
    expect(broke.exit, broke.stderr).toBe(0);
    expect(JSON.parse(broke.out).outcome).toBe('verified');
    expect(await readHostFile(h, LOCK)).toBeNull();
    await expectVerifiedDom0(h);
    await expectNothingLost(h, before);
  });
});
