// The real-boot tier: grub.conf files written by `dom0up grub apply` are booted by real GRUB Legacy 0.97 — CentOS 6's
// own grub-0.97-99.el6 from an ext4 /boot by default, Debian's grub-legacy from ext2 as a second opinion — into a
// real Xen hypervisor (QEMU/TCG), and the Domain-0 that comes up is compared with what was asked for.
// Negative controls in the same tier show that it fails when it should.
// Run: npm run test:realboot   (root; see docs/realboot.md)
import { describe, expect, test } from 'vitest';
import { grubApply, type ApplyRun } from './cli.js';
import { checkXenDom0, expectationFor, splitXenArgs, type ApplyOptions, type Dom0Expectation } from './expect.js';
import { defaultEntry, isXenEntry, linuxKernelOf, readGrubConf, type GrubEntry } from './grub-conf.js';
import { summarize } from './harness.js';
import { noBootPartitionInput, seedAfterYumInput, xenRetuneInput, type Input } from './inputs.js';
import { boot, reportBoots, skipReason } from './tier.js';

reportBoots('realboot');

/** `grub apply` once per scenario (several tests boot variants of the same output). */
const applied = new Map<string, Promise<ApplyRun>>();
function apply(name: string, input: Input, o: ApplyOptions): Promise<ApplyRun> {
  let p = applied.get(name);
  if (!p) {
    p = grubApply(name, input.text, o);
    applied.set(name, p);
  }
  return p;
}

/** Replace one physical line of a config (negative controls inject exactly one defect). */
function editLine(text: string, line: number, edit: (l: string) => string | null): string {
  const lines = text.split('\n');
  const old = lines[line - 1];
  if (old === undefined) throw new Error(`no line ${line}`);
  const neu = edit(old);
  if (neu === null) lines.splice(line - 1, 1);
  else lines[line - 1] = neu;
  return lines.join('\n');
}

function cmd(e: GrubEntry, name: string, nth = 0) {
  const c = e.commands.filter((x) => x.name === name)[nth];
  if (!c) throw new Error(`entry "${e.title}" has no ${name} line #${nth + 1}`);
  return c;
}

// --- the scenarios --------------------------------------------------------------------------------------------------

const SEED = seedAfterYumInput();
const SEED_OPTS: ApplyOptions = { dom0Mem: '1024M', dom0Vcpus: 2, pin: true, xenArgs: ['cpufreq=xen'] };
/**
 * Xen 4.17 (the stand-in hypervisor) prints `parameter "cpufreq" has invalid value "xen", rc=-22!` for a plain
 * `cpufreq=xen` while applying it (measured; CentOS's Xen 4.10 had void option parsers and cannot complain).
 */
const XEN417_QUIRKS = ['cpufreq'];

const RETUNE = xenRetuneInput();
const RETUNE_OPTS: ApplyOptions = { dom0Mem: '512M', dom0Vcpus: 1 };

function expectFor(input: Input, run: ApplyRun, o: ApplyOptions, extraTolerated: string[] = []): Dom0Expectation {
  const exp = expectationFor(input.text, run.output, o);
  // Complaints about options the input already had (kept, not written by the tool) are not the tool's doing.
  const orig = readGrubConf(input.text).entries.find((e) => isXenEntry(e));
  const inherited = orig ? splitXenArgs(cmd(orig, 'kernel').args).map((t) => t.key) : [];
  const asked = new Set(splitXenArgs((o.xenArgs ?? []).join(' ')).map((t) => t.key));
  exp.toleratedXenComplaints = [...XEN417_QUIRKS, ...extraTolerated, ...inherited.filter((k) => !asked.has(k))];
  return exp;
}

describe.skipIf(skipReason)('real boot: grub.conf written by `dom0up grub apply` → Red Hat\'s GRUB 0.97 (ext4 /boot) → Xen → Domain-0', () => {
  test('(1) seed host, separate /boot: --dom0-mem 1024M --dom0-vcpus 2 --pin --xen-arg cpufreq=xen', async () => {
    const run = await apply('seed', SEED, SEED_OPTS);
    const r = await boot('1-seed-xen', run.output, { layout: 'boot-partition' });
    // every file the config names is on the /boot partition, but the splash image (none for Red Hat's GRUB: disk.ts)
    expect(r.disk.absent).toEqual(['/grub/splash.xpm.gz']);
    expect(checkXenDom0(r, expectFor(SEED, run, SEED_OPTS)), summarize(r)).toEqual([]);
    expect(r.bootloader.xenReported).toBe('GNU GRUB 0.97');
    expect([r.loader, r.fs]).toEqual(['rhel', 'ext4']);
    expect(r.dom0?.vcpuList.map((v) => v.hard)).toEqual(['0', '1']);
  });

  test('(1) again with Debian\'s grub-legacy 0.97-80 (ext2, 128-byte inodes): the second opinion agrees', async () => {
    const run = await apply('seed', SEED, SEED_OPTS);
    const r = await boot('1-seed-xen-debian-grub', run.output, { layout: 'boot-partition', loader: 'debian' });
    expect([r.loader, r.fs]).toEqual(['debian', 'ext2']);
    expect(checkXenDom0(r, expectFor(SEED, run, SEED_OPTS)), summarize(r)).toEqual([]);
  });

  test('(2) no separate /boot (the partition is /, paths are /boot/...)', async () => {
    const input = noBootPartitionInput();
    const o: ApplyOptions = { dom0Mem: '1024M', dom0Vcpus: 2, pin: true };
    const run = await apply('no-boot-partition', input, o);
    const k = cmd(defaultEntry(readGrubConf(run.output)), 'kernel');
    expect(k.path, 'the hypervisor path keeps the /boot prefix of this layout').toMatch(/^\/boot\/xen[^/]*\.gz$/);
    const r = await boot('2-root-partition', run.output, { layout: 'root-partition' });
    expect(r.disk.grubConfPath).toBe('/boot/grub/grub.conf');
    expect(r.disk.absent.filter((p) => !p.endsWith('/splash.xpm.gz'))).toEqual([]);
    expect(checkXenDom0(r, expectFor(input, run, o)), summarize(r)).toEqual([]);
  });

  test('(3) re-tune an existing Xen entry: --dom0-mem 512M --dom0-vcpus 1', async () => {
    const run = await apply('retune', RETUNE, RETUNE_OPTS);
    const r = await boot('3-retune', run.output, { layout: 'boot-partition' });
    const exp = expectFor(RETUNE, run, RETUNE_OPTS);
    expect(checkXenDom0(r, exp), summarize(r)).toEqual([]);
    expect(r.dom0?.memMiB).toBe(512);
    expect(r.dom0?.vcpus).toBe(1);
  });

  test('(4) --keep-plain: the Xen entry of (1) is the default, the kept plain entry still boots the same kernel', async () => {
    const o: ApplyOptions = { ...SEED_OPTS, keepPlain: true };
    const run = await apply('keep-plain', SEED, o);
    const view = readGrubConf(run.output);
    const xenEntry = defaultEntry(view);
    expect(isXenEntry(xenEntry), 'default entry is a Xen entry').toBe(true);
    const kernel = linuxKernelOf(xenEntry)?.path;
    const plain = view.entries.find((e) => !isXenEntry(e) && linuxKernelOf(e)?.path === kernel);
    expect(plain, `a plain entry for ${kernel} is kept`).toBeDefined();

    // Its Xen entry is, command for command, the one (1) boots (so it is not booted again here: the tier's time
    // goes to the kept plain entry)
    const seedXen = defaultEntry(readGrubConf((await apply('seed', SEED, SEED_OPTS)).output));
    const shape = (e: GrubEntry) => e.commands.map((c) => [c.name, c.device, c.path, c.args]);
    expect(shape(xenEntry), 'the Xen entry is the one case (1) boots').toEqual(shape(seedXen));

    // Pick the kept plain entry at GRUB's menu (keys typed over QMP; the file is not changed).
    const steps = plain!.index - xenEntry.index;
    const keys = ['esc', ...Array<string>(Math.abs(steps)).fill(steps > 0 ? 'down' : 'up'), 'ret'];
    const p = await boot('4-keep-plain-plain', run.output, { layout: 'boot-partition', menuKeys: keys, timeoutMs: 90_000 });
    // Red Hat's GRUB prints no `Booting 'TITLE'` line; the entry is told by the initramfs it loaded
    expect(p.dom0?.initrdName).toBe(plain!.commands.find((c) => c.name === 'initrd')?.path);
    expect(p.outcome, summarize(p)).toBe('not-xen-dom0');
    expect(p.dom0?.kernelCmdline?.split(/\s+/).join(' ')).toBe(cmd(plain!, 'kernel').args);
  });
});

describe.skipIf(skipReason)('negative controls: the tier fails when the boot is wrong', () => {
  test('untouched input: boots Linux without Xen (NOT-XEN-DOM0)', async () => {
    const r = await boot('neg-untouched', SEED.text, { layout: 'boot-partition', timeoutMs: 90_000 });
    expect(r.outcome, summarize(r)).toBe('not-xen-dom0');
    expect(r.hypervisor.running).toBe(false);
    // the bare kernel got the default entry's arguments as this tier's grub.conf reader predicts
    const def = defaultEntry(readGrubConf(SEED.text));
    expect(r.dom0?.kernelCmdline?.split(/\s+/).join(' ')).toBe(cmd(def, 'kernel').args);
    const problems = checkXenDom0(r, { xenArgs: {}, memMiB: 1024, vcpus: 2, pinned: true, dom0Cmdline: '' });
    expect(problems.join('\n')).toMatch(/did not boot into a Xen Domain-0: outcome=not-xen-dom0/);
  });

  test('wrong dom0_mem: boots, and the positive assertion reports the mismatch', async () => {
    const run = await apply('seed', SEED, SEED_OPTS);
    const k = cmd(defaultEntry(readGrubConf(run.output)), 'kernel');
    const bad = editLine(run.output, k.line, (l) => l.replace(/dom0_mem=1024M(,max:1024M)?/, 'dom0_mem=768M,max:768M'));
    expect(bad).not.toBe(run.output);
    const r = await boot('neg-wrong-dom0-mem', bad, { layout: 'boot-partition' });
    expect(r.outcome, summarize(r)).toBe('xen-dom0');
    expect(r.dom0?.memMiB, 'the boot did what the file said').toBe(768);
    const problems = checkXenDom0(r, expectFor(SEED, run, SEED_OPTS));
    expect(problems).toContain('Domain-0 memory: xl list says 768 MiB, expected 1024 MiB');
    expect(problems.some((p) => p.startsWith('xen_commandline: dom0_mem=768M,max:768M, expected'))).toBe(true);
  });

  test('missing initramfs module: dom0 panics, Xen resets the machine', async () => {
    const run = await apply('retune', RETUNE, RETUNE_OPTS); // Xen owns com1 here, so the panic is on the serial line
    const initrd = cmd(defaultEntry(readGrubConf(run.output)), 'module', 1);
    expect(initrd.path).toMatch(/initramfs-/);
    const bad = editLine(run.output, initrd.line, () => null);
    const r = await boot('neg-no-initramfs', bad, { layout: 'boot-partition', timeoutMs: 90_000 });
    expect(r.outcome, summarize(r)).toBe('dom0-crash');
    expect(r.hypervisor.running).toBe(true);
    expect(r.panic).toMatch(/Kernel panic - not syncing|Hardware Dom0 crashed/);
    expect(r.dom0).toBeNull();
    expect(checkXenDom0(r, expectFor(RETUNE, run, RETUNE_OPTS))[0]).toMatch(/^did not boot into a Xen Domain-0: outcome=dom0-crash/);
  });

  test('wrong path prefix (/boot/xen.gz on a separate /boot): GRUB Error 15', async () => {
    const run = await apply('seed', SEED, SEED_OPTS);
    const k = cmd(defaultEntry(readGrubConf(run.output)), 'kernel');
    const bad = editLine(run.output, k.line, (l) => l.replace(/(kernel\s+)(\([^)]*\))?\/xen/, '$1$2/boot/xen'));
    expect(bad).not.toBe(run.output);
    const r = await boot('neg-wrong-prefix', bad, { layout: 'boot-partition', timeoutMs: 60_000 });
    expect(r.outcome, summarize(r)).toBe('bootloader-error');
    expect(r.bootloader.error).toBe('Error 15: File not found');
    expect(r.disk.absent).toContain(k.path?.replace(/^\//, '/boot/'));
    expect(r.qemu.killedBy).toBe('bootloader-error');
    expect(r.hypervisor.running).toBe(false);
  });
});
