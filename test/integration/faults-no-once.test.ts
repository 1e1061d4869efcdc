// --no-once: no one-shot boot; the Xen entry becomes the default at once with fallback= the entry
// that booted before; verification after the reboot; a second run changes nothing.
import { expect, it } from 'vitest';
import { describeTestbed, useFleet } from '../testbed/vitest.js';
import { bootLog, nextBoot, readHostFile } from '../testbed/index.js';
import { parseGrubConf } from '../../src/grub/index.js';
import { ONCE_FLAG } from '../../src/apply/one-shot.js';
import { dom0up, XEN_ARGS } from './helpers.js';
import { expectNothingLost, expectVerifiedDom0, FAST, GRUB, LOCK, snapshot } from './faults-helpers.js';

describeTestbed('faults: --no-once', () => {
  const fleet = useFleet([{ name: 'no-once' }], FAST);

  it('switches the default to the Xen entry at once (no one-shot, no commit step), reboots once and verifies', async () => {
    const h = fleet().hosts[0]!;
    const before = await snapshot(h);
    const old = parseGrubConf((await readHostFile(h, GRUB))!).bootEntry!;
    const r = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--no-once', '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.outcome).toBe('verified');
    const ids = rep.steps.map((s: { id: string }) => s.id);
    expect(ids).not.toContain('one-shot');
    expect(ids).not.toContain('commit');
    expect(rep.planAfterInstall.staging).toBeNull();
    await expectVerifiedDom0(h);
    const g = parseGrubConf((await readHostFile(h, GRUB))!);
    // the entry that booted before is still there, unchanged (the package added one above it)
    const oldNow = g.entries.find((e) => e.title === old.title)!;
    expect(oldNow.kind).toBe('linux');
    expect(oldNow.kernel!.args).toBe(old.kernel!.args);
    // one reboot, straight into Xen as the default (no one-shot consumed)
    const last = (await bootLog(h)).at(-1)!;
    expect(last.once ?? null).toBeNull();
    expect(last.entryIndex).toBe((await nextBoot(h)).entryIndex);
    const facts = JSON.parse((await dom0up(fleet(), h, 'facts', ['--json'])).out).facts;
    expect(facts.boot.stage2Saved & ONCE_FLAG).toBe(0);
    expect(await readHostFile(h, LOCK)).toBeNull();
    await expectNothingLost(h, before);
  });

  // the fallback is the entry the host ran before (not the default new-kernel-pkg had just moved to the 4.9 kernel)
  it('writes fallback= the entry that booted before (the test bed\'s GRUB reader: the active fallback list)', async () => {
    const h = fleet().hosts[0]!;
    const nb = await nextBoot(h);
    const stock = nb.entries.find((e) => e.title === 'CentOS 6 (2.6.32-754.el6.x86_64)')!;
    expect(nb.fallback).toEqual([stock.index]);
    expect(await readHostFile(h, GRUB)).toMatch(new RegExp(`^fallback=${stock.index}$`, 'm'));
  });

  it('a second --no-once run is idempotent: nothing to change, no reboot, the same bytes', async () => {
    const h = fleet().hosts[0]!;
    const grub = await readHostFile(h, GRUB);
    const boots = (await bootLog(h)).length;
    const r = await dom0up(fleet(), h, 'apply', [...XEN_ARGS, '--no-once', '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.outcome).toBe('unchanged');
    expect(rep.verify.ok).toBe(true);
    expect(await readHostFile(h, GRUB)).toBe(grub);
    expect((await bootLog(h)).length).toBe(boots);
    const p = await dom0up(fleet(), h, 'plan', [...XEN_ARGS, '--no-once', '--detailed-exitcode']);
    expect(p.exit).toBe(0);
  });
});
