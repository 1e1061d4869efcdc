// The one-shot boot and the way back, on CentOS 6's own GRUB (grub-0.97-99.el6, built from its source RPM) reading
// /boot as CentOS 6 makes it (ext4, 256-byte inodes, extents). Each case keeps one disk across several boots, so
// what GRUB writes at boot (the stage2 saved-entry word) is what the next boot reads, as on a host.
// The one-shot itself is dom0up's own code: src/apply/one-shot.ts setOneShot (the script and the judge apply uses), sent through a LocalTransport into a
// chroot where /sbin/grub is Red Hat's shell and /boot/grub/stage2 the disk's stage2 (one-shot-host.ts).
// After each real boot the test bed's firmware stand-in (test/testbed/host/tb/grub0.py) is asked the same question.
// Run: npm run test:realboot   (root; see docs/realboot.md)
import { describe, expect, test } from 'vitest';
import { onceWord } from '../../src/apply/one-shot.js';
import { parseGrubConf, toXenEntry } from '../../src/grub/index.js';
import { computeStaging } from '../../src/plan/make-plan.js';
import { grubApply } from './cli.js';
import { checkXenDom0, expectationFor, type ApplyOptions } from './expect.js';
import { defaultEntry, isXenEntry, readGrubConf, type GrubConfView } from './grub-conf.js';
import { BootDisk, summarize, type RealBootResult } from './harness.js';
import { golden, seedAfterYumInput, type Input } from './inputs.js';
import { oneShotOnDisk, grubBatchOnDisk } from './one-shot-host.js';
import { bootAgain, reportBoots, skipReason, testbedDecision } from './tier.js';

reportBoots('oneshot');

/** Xen 4.17 (the stand-in hypervisor) complains about a plain `cpufreq=xen` while applying it (see realboot.test.ts) */
const XEN417_QUIRKS = ['cpufreq'];

/**
 * The file `apply` writes before the one-shot reboot, made by the planner's own computeStaging (src/plan) from the
 * host's file `source` and the rewrite of it that `dom0up grub apply` printed (`final`): the final file with the
 * default on the entry the host runs (plus a rescue copy of it when the rewrite touches that entry).
 */
function stagedFile(source: string, final: string, runningKernel: string): { text: string; knownGood: number } {
  const conf = parseGrubConf(source);
  const xenLine = readGrubConf(final).entries.map((e) => e.commands.find((c) => c.name === 'kernel')).find((c) => c?.path?.endsWith('/xen.gz'));
  const args = xenLine?.args ?? '';
  const r = toXenEntry(conf, { hypervisorArgs: () => args, force: true });
  // the rewrite the planner starts from is the one the CLI printed
  expect(r.after.text, 'toXenEntry agrees with `dom0up grub apply`').toBe(final);
  const kg = conf.entries.find((e) => e.commands.some((c) => c.name === 'kernel' && /\/vmlinuz-(\S+)/.exec(c.arg)?.[1] === runningKernel));
  if (!kg) throw new Error(`no plain entry for the running kernel ${runningKernel}`);
  const st = computeStaging(conf, r, kg);
  return { text: st.intermediate, knownGood: st.knownGoodIndex };
}

const title = (v: GrubConfView, i: number) => v.entries[i]!.title.trim();

/**
 * The initramfs file of entry i: what the booted system reports (INITRD-NAME), so it tells which entry GRUB booted
 * even when Red Hat's hidden menu prints no title (timeout 0).
 */
function initrdOf(v: GrubConfView, i: number): string {
  const e = v.entries[i]!;
  const c = e.commands.find((x) => x.name === 'initrd') ?? e.commands.filter((x) => x.name === 'module')[1];
  if (!c?.path) throw new Error(`entry ${i} has no initramfs`);
  return c.path;
}

/** The firmware stand-in, given the same file and power-on word, decides as real GRUB did. */
function expectTestbedAgrees(conf: string, wordAtPowerOn: number, real: RealBootResult, wordAfter: number, bootIndex = 0): void {
  const d = testbedDecision(conf, wordAtPowerOn);
  const b = real.boots[bootIndex]!;
  const what = `test bed firmware: entry for word 0x${wordAtPowerOn.toString(16)}`;
  if (b.initrdName !== null) expect(initrdOf(readGrubConf(conf), d.default), what).toBe(b.initrdName);
  else if (b.bootedTitle !== null) expect(d.title?.trim(), what).toBe(b.bootedTitle);
  // a boot that crashed before reporting, with no title on the screen (timeout 0): Xen ran, so it was a Xen entry
  else expect(isXenEntry(readGrubConf(conf).entries[d.default]!) && b.serial.xenOnSerial, what).toBe(true);
  expect(d.savedWordOut ?? wordAtPowerOn, 'test bed firmware: the word after the boot').toBe(wordAfter);
  if (b.menuWaitS !== null) expect(d.timeout, 'test bed firmware: the menu countdown').toBe(b.menuWaitS);
}

function expectXen(r: RealBootResult, input: Input, output: string, o: ApplyOptions): void {
  const exp = expectationFor(input.text, output, o);
  exp.toleratedXenComplaints = XEN417_QUIRKS;
  expect(checkXenDom0(r, exp), summarize(r)).toEqual([]);
}

describe.skipIf(skipReason)('one-shot boot with Red Hat\'s GRUB on ext4 (grub-0.97-99.el6)', () => {
  test('the cycle as apply does it: staged file, setOneShot, Xen once, the word reset by GRUB, the old entry, then the committed file', async () => {
    const seed = seedAfterYumInput();
    const o: ApplyOptions = { dom0Mem: '1024M', dom0Vcpus: 2, pin: true, xenArgs: ['cpufreq=xen'] };
    const run = await grubApply('oneshot-seed', seed.text, o);
    const final = readGrubConf(run.output);
    const xenIndex = final.defaultIndex;
    // the seed host runs 4.9.206-36 (yum added 4.9.241-37 as a plain entry, which dom0up turns into Xen)
    const staged = stagedFile(seed.text, run.output, '4.9.206-36.el6.x86_64');
    const sv = readGrubConf(staged.text);
    expect(sv.defaultIndex, 'staged: the default stays on the running entry').toBe(staged.knownGood);
    expect(staged.text.indexOf('default='), 'the `timeout` line comes after `default`').toBeLessThan(staged.text.indexOf('timeout='));

    const disk = await BootDisk.create(staged.text, { layout: 'boot-partition', name: 'oneshot-cycle' });
    try {
      expect(await disk.stage2Word(), 'a freshly installed stage2 holds word 0').toBe(0);
      const os = await oneShotOnDisk(disk, xenIndex);
      console.log(`[oneshot] dom0up sent (${os.mode}):\n${os.scripts.join('\n---\n')}\n[oneshot] output:\n${os.output.trim()}`);
      expect(os.scripts).toHaveLength(1);
      expect(os.scripts[0]).toContain('savedefault --default=%s --once');
      expect(os.word, 'setOneShot read back the word Red Hat\'s shell stored').toBe(onceWord(xenIndex, 0));
      expect(os.wordOnDisk, 'the page-cache write-back put it on the disk').toBe(os.word);
      expect(os.blocksWritten, 'one block of stage2 changed').toHaveLength(1);

      // boot 1: Xen, once; GRUB writes the old word back; `timeout=5` after `default` does not count
      const b1 = await bootAgain(disk, 'oneshot-1-xen');
      expectXen(b1, seed, run.output, o);
      expect(b1.dom0?.initrdName, 'boot 1 is the Xen entry').toBe(initrdOf(final, xenIndex));
      const w1 = await disk.stage2Word();
      expect(w1, 'GRUB reset the word during boot 1').toBe(0);
      expect(b1.boots[0]!.menuWaitS, 'one-shot boot: no countdown (timeout_func ignores `timeout=5` after `default`)').toBe(0);
      expectTestbedAgrees(staged.text, os.word, b1, w1);

      // boot 2: the old entry again (the file's default), with its 5 s countdown
      const b2 = await bootAgain(disk, 'oneshot-2-back', { timeoutMs: 90_000 });
      expect(b2.outcome, summarize(b2)).toBe('not-xen-dom0');
      expect(b2.dom0?.initrdName, 'boot 2 is the running entry').toBe(initrdOf(sv, staged.knownGood));
      expect(b2.bootloader.bootedTitle, 'its countdown names it').toBe(title(sv, staged.knownGood));
      expect(b2.boots[0]!.menuWaitS).toBe(5);
      expect(await disk.stage2Word()).toBe(0);
      expectTestbedAgrees(staged.text, w1, b2, 0);

      // commit: the final file replaces the staged one (a new inode, as dom0up's atomic write), Xen on every boot
      await disk.replaceFile(disk.disk.grubConfPath, Buffer.from(run.output, 'utf8'));
      // (case (1) of realboot.test.ts boots the same file on a fresh disk: every boot of it is Xen)
      const b3 = await bootAgain(disk, 'oneshot-3-committed');
      expectXen(b3, seed, run.output, o);
      expect(b3.dom0?.initrdName).toBe(initrdOf(final, xenIndex));
      expect(await disk.stage2Word()).toBe(0);
      expectTestbedAgrees(run.output, 0, b3, 0);
    } finally {
      disk.dispose();
    }
  });

  test('dom0 fails on the one-shot boot: Xen resets the machine and the old entry boots by itself', async () => {
    const seed = seedAfterYumInput();
    // Xen owns com1 here, so its panic report is on the serial line too
    const o: ApplyOptions = { dom0Mem: '1024M', dom0Vcpus: 2, xenArgs: ['console=com1', 'com1=115200,8n1'] };
    const run = await grubApply('oneshot-fail', seed.text, o);
    const final = readGrubConf(run.output);
    const xenIndex = final.defaultIndex;
    const staged = stagedFile(seed.text, run.output, '4.9.206-36.el6.x86_64');
    // the defect: the Xen entry's initramfs module is missing, so dom0 cannot mount its root and panics
    const xe = readGrubConf(staged.text).entries[xenIndex]!;
    const initrd = xe.commands.filter((c) => c.name === 'module')[1]!;
    const lines = staged.text.split('\n');
    lines.splice(initrd.line - 1, 1);
    const broken = lines.join('\n');
    const sv = readGrubConf(broken);

    const disk = await BootDisk.create(broken, { layout: 'boot-partition', name: 'oneshot-fail' });
    try {
      const os = await oneShotOnDisk(disk, xenIndex);
      expect(os.word).toBe(onceWord(xenIndex, 0));
      // no -no-reboot: the reset reboots the machine, and nobody touches it until the next report
      const r = await bootAgain(disk, 'oneshot-fail-reset', { allowReset: true, timeoutMs: 150_000 });
      expect(r.qemu.resets, summarize(r)).toBeGreaterThanOrEqual(1); // Xen's reboot is seen as one or two QMP RESETs
      expect(r.boots, 'two power-ons in one run: the failed one-shot and the one after the reset').toHaveLength(2);
      expect(r.boots[0]!.outcome).toBe('dom0-crash');
      expect(r.boots[0]!.serial.xenOnSerial, 'boot 1 ran Xen (the one-shot entry)').toBe(true);
      expect(r.boots[0]!.serial.panicLine).toMatch(/Kernel panic - not syncing|Hardware Dom0 crashed/);
      expect(r.boots[1]!.initrdName, 'after the reset GRUB boots the file\'s default').toBe(initrdOf(sv, sv.defaultIndex));
      expect(r.boots[1]!.outcome).toBe('not-xen-dom0');
      expect(await disk.stage2Word()).toBe(0);
      expectTestbedAgrees(broken, os.word, r, 0, 0);
      expectTestbedAgrees(broken, 0, r, 0, 1);
    } finally {
      disk.dispose();
    }
  });

  test('`default saved`: GRUB boots the stage2 word\'s entry; the one-shot keeps it, and it boots again afterwards', async () => {
    const input = golden('default-saved');
    const o: ApplyOptions = { dom0Mem: '1024M', dom0Vcpus: 2 };
    const orig = readGrubConf(input.text);
    const run = await grubApply('default-saved', input.text, o);
    const final = readGrubConf(run.output);
    const staged = stagedFile(input.text, run.output, '2.6.32-754.el6.x86_64');
    // the disk gets every file the staged file names (Xen too); the host's own file is written first
    const disk = await BootDisk.create(staged.text, { layout: 'boot-partition', name: 'default-saved' });
    try {
      await disk.replaceFile(disk.disk.grubConfPath, Buffer.from(input.text, 'utf8'));
      // the host's saved entry is 1 (as `savedefault --default=1` in Red Hat's shell leaves it)
      const set = await grubBatchOnDisk(disk, ['savedefault --default=1']);
      expect(set.word).toBe(1);
      const b0 = await bootAgain(disk, 'saved-0-original', { timeoutMs: 90_000 });
      expect(b0.dom0?.initrdName, '`default=saved` boots entry 1').toBe(initrdOf(orig, 1));
      expect(b0.outcome, summarize(b0)).toBe('not-xen-dom0');
      expectTestbedAgrees(input.text, 1, b0, 1);

      // apply: the staged file (dom0up writes a numeric default), then the one-shot of the Xen entry
      await disk.replaceFile(disk.disk.grubConfPath, Buffer.from(staged.text, 'utf8'));
      const os = await oneShotOnDisk(disk, final.defaultIndex);
      expect(os.wordBefore).toBe(1);
      expect(os.word, 'the saved entry 1 is kept in the low byte').toBe(onceWord(final.defaultIndex, 1));
      const b1 = await bootAgain(disk, 'saved-1-xen');
      expectXen(b1, input, run.output, o);
      expect(await disk.stage2Word(), 'GRUB restored the saved entry').toBe(1);
      expectTestbedAgrees(staged.text, os.word, b1, 1);
      const b2 = await bootAgain(disk, 'saved-2-back', { timeoutMs: 90_000 });
      expect(b2.dom0?.initrdName).toBe(initrdOf(orig, 1));
      expectTestbedAgrees(staged.text, 1, b2, 1);
      // and the original `default saved` file would also come back to entry 1: the word is the host's again
      expect(defaultEntry(readGrubConf(staged.text)).title).toBe(title(orig, 1));
    } finally {
      disk.dispose();
    }
  });
});
