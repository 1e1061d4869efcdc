// The whole cycle on real boots: `dom0up apply`, `tune` and `rollback --reboot` over real SSH against test-bed hosts
// (test/testbed) whose power cycle is real — at every power-on the host's /boot becomes a disk image that QEMU boots
// with Red Hat's GRUB (grub-0.97-99.el6) and real Xen, what GRUB writes on the disk (the stage2 word) comes back to
// the host's /boot, and the host's sshd comes back with what really booted (test/realboot/host-firmware.ts). The
// host's /sbin/grub is Red Hat's shell, so dom0up's one-shot (`grub --batch`) is the real program.
//
// The oracle of every assertion about a boot is that boot's serial log: the report the booted system printed (its
// boot_id, /proc/cmdline, the initramfs GRUB loaded, /proc/xen/capabilities, and `xl list`/`xl info`/`xl vcpu-list`
// as real Xen answered), read here with a few lines of its own (not src/xen's parsers), and GRUB's stage2 word on the
// disk before and after the boot. dom0up's report is compared with it, never with dom0up's code.
// Run: npm run test:realboot (root); see docs/realboot.md ("The whole cycle").
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeTier } from '../helpers/tier.js';
import { dom0up, XEN_ARGS } from '../integration/helpers.js';
import { bootLog, nextBoot, readHostFile, readHostFileBuffer, setFault, startHosts, type BootRecord, type Fleet, type TestHost } from '../testbed/index.js';
import { testbedSkipReason } from '../testbed/vitest.js';
import { workDir } from './artifacts.js';
import { physicalToLogical, readGrubConf } from './grub-conf.js';
import { cleanSerial, readSerial, splitBoots, type SerialReport } from './serial.js';
import { deadline, recordRow, reportBoots, skipReason } from './tier.js';

reportBoots('cycle');

const reason = [skipReason && `real-boot tier: ${skipReason}`, testbedSkipReason && `test bed: ${testbedSkipReason}`].filter(Boolean).join('; ');
const describeCycle = describeTier('real-boot cycle (test-bed hosts booted by QEMU)', reason);

const STOCK = '2.6.32-754.el6.x86_64';
const SIG = '4.9.241-37.el6.x86_64';
const GRUB = '/boot/grub/grub.conf';
const FILES = [GRUB, '/etc/sysconfig/kernel', '/etc/sysconfig/xen-kernel', '/etc/xen/xl.conf'];

// ---- the oracle: what a real power-on printed --------------------------------------------------------------------

interface RealBoot {
  rec: BootRecord;
  serial: SerialReport;
  /** this power-on's serial line, terminal codes removed */
  text: string;
  /** Domain-0's row of `xl list` as real xl printed it: [name, id, mem, vcpus, state, time] */
  dom0: { mem: number; vcpus: number } | null;
  /** `xl info` xen_commandline as real xl printed it */
  xenCommandline: string | null;
  /** Domain-0's vCPUs of `xl vcpu-list`: vCPU, CPU, hard affinity */
  vcpus: { vcpu: number; cpu: string; hard: string }[];
  /** the release of the initramfs GRUB loaded, from its file name (/initramfs-RELEASE.img) */
  release: string | null;
}

function realBoot(rec: BootRecord): RealBoot {
  const r = rec.real;
  if (!r?.serialLog) throw new Error(`boot record without a real boot: ${JSON.stringify(rec)}`);
  const pieces = splitBoots(readFileSync(r.serialLog, 'latin1'));
  const piece = pieces[(r.powerOn ?? 1) - 1] ?? '';
  const serial = readSerial(piece);
  const row = serial.raw.xlList?.split('\n').find((l) => l.startsWith('Domain-0'))?.trim().split(/\s+/);
  const vcpus = (serial.raw.xlVcpuList ?? '').split('\n').filter((l) => l.startsWith('Domain-0')).map((l) => {
    const f = l.trim().split(/\s+/);
    return { vcpu: Number(f[2]), cpu: f[3] ?? '', hard: f[6] ?? '' };
  });
  return {
    rec, serial, vcpus, text: cleanSerial(piece),
    dom0: row ? { mem: Number(row[2]), vcpus: Number(row[3]) } : null,
    xenCommandline: /^xen_commandline\s*: ?(.*)$/m.exec(serial.raw.xlInfo ?? '')?.[1]?.trim() ?? null,
    release: /\/initramfs-(.+)\.img$/.exec(serial.initrdName ?? '')?.[1] ?? null,
  };
}

/** The power-ons since `since` boot records, each with its serial report; recorded in the tier's boot table. */
async function newBoots(h: TestHost, since: number, step: string): Promise<RealBoot[]> {
  const all = await bootLog(h);
  const got = all.slice(since).map(realBoot);
  got.forEach((b, i) => {
    const r = b.rec.real!;
    // a run of several power-ons is one QEMU run: its time is on its last record
    recordRow({
      name: `${h.name}: ${step}${got.length > 1 ? ` (${i + 1}/${got.length})` : ''}`, outcome: r.outcome ?? b.rec.result,
      seconds: i === got.length - 1 ? ((r.firmwareMs ?? 0) - (r.waitMs ?? 0)) / 1000 : 0, qemuSeconds: i === got.length - 1 ? (r.qemuMs ?? 0) / 1000 : 0,
      rssMiB: r.maxRssKiB ? Math.round(r.maxRssKiB / 1024) : null, serialLog: r.serialLog ?? '',
    });
  });
  return got;
}

const onceWord = (index: number, old: number) => ((index & 0xff) << 8) | 0x10000 | (old & 0xff);
const stage2Word = async (h: TestHost) => (await readHostFileBuffer(h, '/boot/grub/stage2'))!.readUInt32LE(512 + 0xc);
const snapshot = async (h: TestHost) => Object.fromEntries(await Promise.all(FILES.map(async (f) => [f, await readHostFile(h, f)] as const)));

/** dom0's /proc/cmdline for an entry's Linux line, as GRUB 0.97 reads the file (continuation lines joined). */
function dom0ArgsOf(conf: string, entryIndex: number): string {
  const e = readGrubConf(conf).entries[entryIndex]!;
  const k = e.commands.find((c) => c.name === 'module') ?? e.commands.find((c) => c.name === 'kernel')!;
  const logical = physicalToLogical(conf).find((l) => l.line === k.line)!.text.trim();
  return logical.replace(/^\S+\s+\S+\s*/, '');
}

interface Check { id: string; ok: boolean; actual: string }
const check = (checks: Check[], id: string) => {
  const c = checks.find((x) => x.id === id);
  if (!c) throw new Error(`dom0up reported no "${id}" check: ${JSON.stringify(checks)}`);
  return c;
};

/** What dom0up's verification read on the host is what the real boot printed. */
function expectVerifiedAgainst(checks: Check[], b: RealBoot, want: { mem: number; vcpus: number; pinned: boolean; xenArgs: string[] }): void {
  const s = b.serial;
  // the real boot, on its own terms
  expect(s.sysHypervisor, 'the booted kernel runs under Xen').toBe('xen');
  expect(s.xenCaps).toBe('control_d');
  expect(b.dom0, 'real xl list has a Domain-0 row').not.toBeNull();
  expect(b.dom0!.mem, 'real xl list: Domain-0 Mem').toBe(want.mem);
  expect(b.dom0!.vcpus, 'real xl list: Domain-0 VCPUs').toBe(want.vcpus);
  expect(b.vcpus.map((v) => v.hard), 'real xl vcpu-list: hard affinity').toEqual(want.pinned ? b.vcpus.map((v) => String(v.vcpu)) : b.vcpus.map(() => 'all'));
  expect(b.xenCommandline?.split(' ').sort(), 'real xl info: xen_commandline').toEqual([...want.xenArgs].sort());
  // dom0up's checks: what it read is what the real boot printed
  expect(checks.every((c) => c.ok), JSON.stringify(checks, null, 1)).toBe(true);
  expect(check(checks, 'kernel').actual, 'uname -r: the release of the initramfs the real GRUB loaded').toBe(b.release);
  expect(check(checks, 'xen').actual).toBe(s.xenCaps);
  expect(check(checks, 'xen-commandline').actual).toBe(b.xenCommandline);
  expect(check(checks, 'dom0-memory').actual).toBe(String(b.dom0!.mem));
  expect(check(checks, 'dom0-vcpus').actual).toBe(String(b.dom0!.vcpus));
  if (want.pinned) expect(check(checks, 'pinning').actual).toBe(b.vcpus.map((v) => `${v.vcpu}→${v.hard}`).join(' '));
  else expect(checks.some((c) => c.id === 'pinning')).toBe(false);
}

describeCycle('the whole cycle on real boots: test-bed hosts whose power cycle is QEMU + Red Hat\'s GRUB + Xen', () => {
  let fleet: Fleet;
  const host = (n: string) => fleet.hosts.find((x) => x.name === n)!;
  /** what the cycle host ran before (its grub.conf after apply) */
  let afterApply: Record<string, string | null> = {};
  let applied: { conf: string; title: string } | null = null;

  beforeAll(async () => {
    // the first power-on of each host is real too: anaconda's grub.conf (the seed's, with its continuation lines)
    fleet = await startHosts([{ name: 'rb-cycle' }, { name: 'rb-xenfail' }], {
      layout: 'seed-lvm', memMiB: 1280, cpus: 2, downtimeMs: 300, rebootDelayMs: 100, xencommonsDelayMs: 200, yumLineDelayMs: 2,
      realBoot: { workDir: workDir(), deadline, timeoutMs: 240_000, memMiB: 1280, cpus: 2 },
    });
    for (const h of fleet.hosts) {
      const [b0] = await newBoots(h, 0, 'first power-on');
      expect(b0!.rec.result, JSON.stringify(b0!.rec)).toBe('up');
    }
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  test('first power-on: Red Hat\'s GRUB boots anaconda\'s entry; the host answers with that boot', async () => {
    const h = host('rb-cycle');
    const [b] = (await bootLog(h)).map(realBoot);
    expect(b!.serial.sysHypervisor).toBe('none');
    expect(b!.release).toBe(STOCK);
    expect(b!.serial.bootId).toMatch(/^[0-9a-f-]{36}$/);
    const facts = JSON.parse((await dom0up(fleet, h, 'facts', ['--json'])).out).facts;
    expect(facts.kernel.release).toBe(b!.release);
    expect(facts.kernel.bootId).toBe(b!.serial.bootId);
    // GRUB 0.97 joins backslash-continued lines with a space: the kernel got `LANG= en_US.UTF-8 … rh gb quiet`
    expect(facts.kernel.cmdline).toBe(b!.serial.kernelCmdline);
    expect(b!.serial.kernelCmdline).toBe(dom0ArgsOf((await readHostFile(h, GRUB))!, 0));
    expect(b!.serial.kernelCmdline).toContain('LANG= en_US.UTF-8');
    expect(facts.hypervisor.dom0).toBe(false);
    // /proc/meminfo and /proc/cpuinfo are the booted kernel's
    expect(facts.memory.totalMiB).toBe(Math.floor(Number(/^MemTotal:\s+(\d+) kB/m.exec(b!.serial.raw.meminfo ?? '')?.[1]) / 1024));
    expect(facts.cpus.count).toBe((b!.serial.raw.cpuinfo ?? '').split('\n').filter((l) => /^processor\s*:/.test(l)).length);
    expect(facts.cpus.count).toBe(2);
    expect(b!.rec.real!.menuWaitS, 'timeout=5 of anaconda\'s file: a 5 s countdown').toBe(5);
  });

  test('apply on a fresh seed host: the one-shot Xen boot (real grub --batch, real GRUB, real Xen), verified from real xl, committed', async () => {
    const h = host('rb-cycle');
    const since = (await bootLog(h)).length;
    const r = await dom0up(fleet, h, 'apply', [...XEN_ARGS, '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.outcome).toBe('verified');
    const boots = await newBoots(h, since, 'apply (one-shot Xen)');
    expect(boots, 'one power-on').toHaveLength(1);
    const b = boots[0]!;
    const st = rep.planAfterInstall.staging;
    // GRUB: the word dom0up's `grub --batch` stored was on the disk at power-on; GRUB booted that entry and reset it
    expect(b.rec.real!.wordBefore, 'stage2 word at power-on: the one-shot of the Xen entry').toBe(onceWord(st.oneShotIndex, 0));
    expect(b.rec.real!.wordAfter, 'GRUB wrote the old word back during the boot').toBe(0);
    expect(b.rec.real!.menuWaitS, 'a one-shot boot does not count down').toBe(0);
    expect(b.serial.initrdName, 'the Xen entry\'s initramfs').toBe(`/initramfs-${SIG}.img`);
    expect(b.serial.kernelCmdline, 'dom0 got the entry\'s arguments, as GRUB reads them').toBe(dom0ArgsOf(st.intermediate, st.oneShotIndex));
    expect(b.rec.real!.unameR, 'a stand-in: the kernel that really ran is Debian\'s').not.toBe(SIG);
    // dom0up against the real boot
    expect(rep.reboot.newBootId, 'the boot_id dom0up saw is the real boot\'s').toBe(b.serial.bootId);
    expectVerifiedAgainst(rep.verify.checks, b, { mem: 1024, vcpus: 2, pinned: true, xenArgs: ['dom0_mem=1024M,max:1024M', 'dom0_max_vcpus=2', 'dom0_vcpus_pin'] });
    // committed: the final file on the host, the default on the Xen entry, no one-shot pending on the host's stage2
    const conf = (await readHostFile(h, GRUB))!;
    expect(conf).toBe(st.final);
    const v = readGrubConf(conf);
    expect(v.entries[v.defaultIndex]!.commands.find((c) => c.name === 'kernel')?.args).toBe(b.xenCommandline);
    expect(await stage2Word(h)).toBe(0);
    // the test bed's own GRUB reader agrees: the next boot is this Xen entry
    expect(await nextBoot(h)).toMatchObject({ xen: true, kernelRelease: SIG, entryIndex: v.defaultIndex });
    afterApply = await snapshot(h);
    applied = { conf, title: v.entries[v.defaultIndex]!.title.trim() };
  });

  test('tune to 768M / 1 vCPU, unpinned: the one-shot boot of the new entry, and real Xen reports them', async () => {
    const h = host('rb-cycle');
    expect(applied, 'needs the apply above').not.toBeNull();
    const since = (await bootLog(h)).length;
    const r = await dom0up(fleet, h, 'tune', ['--dom0-mem', '768M', '--dom0-vcpus', '1', '--no-pin', '--yes', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.outcome).toBe('verified');
    const boots = await newBoots(h, since, 'tune (one-shot Xen)');
    expect(boots).toHaveLength(1);
    const b = boots[0]!;
    const st = rep.planAfterInstall?.staging ?? rep.plan.staging;
    expect(b.rec.real!.wordBefore).toBe(onceWord(st.oneShotIndex, 0));
    expect(b.rec.real!.wordAfter).toBe(0);
    // the entry that booted carries the new options (the staged file may also hold a rescue copy of the old one)
    const staged = readGrubConf(st.intermediate);
    expect(staged.entries[st.oneShotIndex]!.commands.find((c) => c.name === 'kernel')?.args).toBe(b.xenCommandline);
    expect(rep.reboot.newBootId).toBe(b.serial.bootId);
    expectVerifiedAgainst(rep.verify.checks, b, { mem: 768, vcpus: 1, pinned: false, xenArgs: ['dom0_mem=768M,max:768M', 'dom0_max_vcpus=1'] });
    expect((await readHostFile(h, GRUB))!).toBe(st.final);
    expect(await stage2Word(h)).toBe(0);
  });

  test('rollback --reboot: the tune undone byte for byte; GRUB boots the restored default and real Xen has the apply\'s Domain-0 again', async () => {
    const h = host('rb-cycle');
    expect(applied, 'needs the apply above').not.toBeNull();
    const since = (await bootLog(h)).length;
    const r = await dom0up(fleet, h, 'rollback', ['--yes', '--reboot', '--json']);
    expect(r.exit, r.stderr).toBe(0);
    const j = JSON.parse(r.out);
    expect(await snapshot(h)).toEqual(afterApply);
    const boots = await newBoots(h, since, 'rollback --reboot');
    expect(boots).toHaveLength(1);
    const b = boots[0]!;
    // no one-shot: GRUB boots the file's default after its countdown, and names it
    expect(b.rec.real!.wordBefore).toBe(0);
    expect(b.rec.real!.wordAfter).toBe(0);
    expect(b.rec.real!.menuWaitS).toBe(5);
    expect(b.serial.grubBootingTitle, 'GRUB\'s countdown names the restored default').toBe(applied!.title);
    expect(b.serial.sysHypervisor).toBe('xen');
    expect(b.dom0).toEqual({ mem: 1024, vcpus: 2 });
    expect(b.vcpus.map((v) => v.hard)).toEqual(['0', '1']);
    const v = readGrubConf(applied!.conf);
    expect(b.xenCommandline).toBe(v.entries[v.defaultIndex]!.commands.find((c) => c.name === 'kernel')?.args);
    // what dom0up says it rebooted into is what the real boot reported
    expect(j.reboot).toEqual({ kernel: b.release, xen: b.serial.xenCaps === 'control_d', bootId: b.serial.bootId, expected: true });
  });

  test('Xen fails on the one-shot boot (the new kernel\'s initramfs is broken: dom0 panics): the machine resets into the old kernel by itself, apply fails as xen-boot-failed, the default unchanged', async () => {
    const h = host('rb-xenfail');
    const since = (await bootLog(h)).length;
    // the fault: dracut leaves a damaged initramfs for the Virt SIG kernel (the stock kernel's stays good)
    await setFault(h, 'initramfs-broken', '4.9.*');
    // Xen owns com1 here, so its report of the Dom0 crash is on the serial line
    const r = await dom0up(fleet, h, 'apply', [...XEN_ARGS, '--xen-arg', 'console=com1', '--xen-arg', 'com1=115200,8n1', '--yes', '--json']);
    expect(r.exit).toBe(1);
    const rep = JSON.parse(r.out);
    expect(rep.outcome, r.stderr).toBe('xen-boot-failed');
    const st = rep.planAfterInstall.staging;
    const boots = await newBoots(h, since, 'apply (one-shot Xen fails)');
    expect(boots.map((b) => b.rec.result), 'one QEMU run, two power-ons: the crash, and the boot after the reset').toEqual(['panic', 'up']);
    const [crash, back] = boots as [RealBoot, RealBoot];
    expect(crash.rec.real!.serialLog).toBe(back.rec.real!.serialLog);
    // power-on 1: GRUB booted the one-shot entry; Xen started with dom0up's options and Dom0 died
    expect(crash.rec.real!.wordBefore).toBe(onceWord(st.oneShotIndex, 0));
    expect(crash.serial.xenOnSerial).toBe(true);
    const xenArgs = readGrubConf(st.intermediate).entries[st.oneShotIndex]!.commands.find((c) => c.name === 'kernel')!.args;
    expect(crash.serial.xenDmesgCmdline, 'Xen\'s own "Command line:"').toBe(xenArgs);
    expect(crash.text, 'the damaged initramfs').toContain('Initramfs unpacking failed');
    expect(crash.serial.panicLine).toMatch(/Kernel panic - not syncing: VFS: Unable to mount root fs/);
    expect(crash.text, 'Xen resets the machine').toContain('(XEN) Hardware Dom0 crashed: rebooting machine in 5 seconds.');
    expect(crash.serial.reportBegun, 'Dom0 never reported').toBe(false);
    expect(back.rec.real!.resets, 'QMP saw the guest reset').toBeGreaterThanOrEqual(1);
    // power-on 2: nobody touched the machine; GRUB booted the file's default, the kernel the host ran before
    expect(back.rec.real!.wordAfter, 'GRUB reset the word at power-on 1').toBe(0);
    expect(back.serial.sysHypervisor).toBe('none');
    expect(back.release).toBe(STOCK);
    expect(back.serial.initrdName).toBe(`/initramfs-${STOCK}.img`);
    expect(back.serial.grubBootingTitle, 'GRUB counted down with the default\'s title').toBe(st.knownGoodTitle.trim());
    // dom0up's report against the real boots
    expect(rep.reboot.newBootId).toBe(back.serial.bootId);
    expect(rep.message).toMatch(new RegExp(`^the Xen boot failed: the host came back on ${back.release!.replace(/\./g, '\\.')} without Xen`));
    expect(rep.message).toContain(`the default stays entry ${st.knownGoodIndex} "${st.knownGoodTitle}"`);
    // the default unchanged: the staged file (default on the old kernel) stays, and no one-shot is pending
    expect(await readHostFile(h, GRUB)).toBe(st.intermediate);
    expect(readGrubConf(st.intermediate).defaultIndex).toBe(st.knownGoodIndex);
    expect(await stage2Word(h)).toBe(0);
    expect(await nextBoot(h)).toMatchObject({ xen: false, kernelRelease: STOCK });
  });
});
