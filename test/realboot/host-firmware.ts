// The power-on of a test-bed host whose power cycle is real (a HostSpec with `realBoot`, test/testbed/index.ts).
//
//   node --import tsx test/realboot/host-firmware.ts boot HOSTDIR ROOTDIR      (run by test/testbed/lab/boot.py)
//
// Called by the host's own boot (lab/init.sh → lab/boot.py), inside the host's mount namespace, where HOSTDIR/bootmnt
// is the host's /boot partition and ROOTDIR its root. It
//  1. at the first power-on, installs Red Hat's GRUB on the host as anaconda does: stage1, stage2 and
//     e2fs_stage1_5 (grub-0.97-99.el6, built by setup.sh) into /boot/grub, and its grub shell as /sbin/grub (natively,
//     or through qemu-i386 where this kernel cannot run 32-bit programs: grub-shell.ts decides);
//  2. makes a disk image of the host's /boot (host-disk.ts) and boots it under QEMU (harness.ts bootImage): SeaBIOS,
//     Red Hat's GRUB in the MBR, Xen and the dom0 kernel or the plain kernel, the tier's initramfs reporting. A
//     guest reset (Xen after a Dom0 crash) boots the machine again, as real hardware does;
//  3. writes what GRUB wrote on the disk during the boot (the stage2 saved-entry word) back into the host's
//     /boot/grub/stage2, in place;
//  4. prints one JSON object: every power-on of the run with what the booted system reported (the test bed writes the
//     host's /proc answers and its boot log from it).
// Settings come from the host spec's `realBoot` (ctl/spec.json): workDir, deadline (epoch ms: no boot starts or
// runs past it), timeoutMs (one run), memMiB, cpus.
import { chmodSync, copyFileSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { loadArtifacts } from './artifacts.js';
import { readImageFile } from './disk.js';
import { readGrubConf, type GrubEntry } from './grub-conf.js';
import { grubExec } from './grub-shell.js';
import { bootImage, newRunDir } from './harness.js';
import { buildHostDisk } from './host-disk.js';
import { cleanSerial, splitBoots } from './serial.js';

export interface RealBootSettings {
  workDir: string;
  deadline?: number;
  timeoutMs?: number;
  memMiB?: number;
  cpus?: number;
}

/** One power-on of the run, as the host's boot log records it. */
export interface PowerOn {
  result: 'up' | 'panic' | 'bootfail';
  outcome: string;
  hypervisor: 'xen' | 'none';
  entryIndex: number | null;
  title: string | null;
  /** the release the loaded initramfs was built for on the host (its TESTBED marker): what `uname -r` says */
  kernelRelease: string | null;
  /** what the stand-in kernel really reported (Debian's release) */
  realUnameR: string | null;
  initrd: string | null;
  cmdline: string | null;
  xenCmdline: string | null;
  dom0Cmdline: string | null;
  /** the one-shot entry GRUB consumed at this power-on (the stage2 word had the once flag and GRUB cleared it) */
  once: number | null;
  menuWaitS: number | null;
  panic: string | null;
  error: string | null;
  bootId: string | null;
  dom0MemMiB: number | null;
  dom0Vcpus: number | null;
  /** the report the booted system printed (only for the power-on that came up) */
  report: {
    procVersion: string | null; sysHypervisor: string | null; xenCaps: string | null;
    meminfo: string | null; cpuinfo: string | null;
    xlList: string | null; xlInfo: string | null; xlVcpuList: string | null; xlDmesg: string | null;
  } | null;
  /** the serial line of this power-on, terminal codes removed */
  serial: string;
}

export interface FirmwareRun {
  powerOns: PowerOn[];
  stage2: { wordBefore: number; wordAfter: number; bytesWritten: number[] };
  grubInstalled: string | null;
  timings: { diskBuildMs: number; qemuMs: number; waitForSlotMs: number; totalMs: number };
  qemu: { accel: string; resets: number; killedBy: string | null; shutdownReason: string | null; maxRssKiB: number | null };
  serialLog: string | null;
  runDir: string | null;
  copied: string[];
  error: string | null;
}

const STAGE2_WORD_AT = 512 + 0xc;
const ONCE_FLAG = 0x10000;

function settingsOf(hostDir: string): { name: string; rb: RealBootSettings } {
  const spec = JSON.parse(readFileSync(path.join(hostDir, 'ctl', 'spec.json'), 'utf8')) as { name: string; realBoot?: RealBootSettings; bootPartition?: boolean };
  if (!spec.realBoot) throw new Error(`${hostDir}: the host spec has no realBoot`);
  if (spec.bootPartition === false) throw new Error('a real-boot host needs a separate /boot partition (bootPartition: true)');
  return { name: spec.name, rb: spec.realBoot };
}

/** Red Hat's GRUB on the host, as anaconda installs it (once, at the first power-on). Returns how /sbin/grub runs. */
async function installGrub(hostDir: string, rootDir: string, bootDir: string): Promise<string | null> {
  const marker = path.join(hostDir, 'ctl', 'realboot-grub');
  if (existsSync(marker)) return null;
  const g = loadArtifacts().rhelGrub;
  for (const f of ['stage1', 'stage2', 'e2fs_stage1_5'] as const) {
    const dst = path.join(bootDir, 'grub', f);
    rmSync(dst, { force: true });
    copyFileSync(g[f], dst);
    chmodSync(dst, 0o644);
  }
  // /sbin/grub: CentOS 6 x86_64 ships the 32-bit static shell; where this kernel cannot run it, qemu-i386 does
  const ex = grubExec(g.shell, () => {});
  const sbin = path.join(rootDir, 'usr', 'sbin', 'grub');
  rmSync(sbin, { force: true });
  if (ex.mode === 'native') {
    copyFileSync(g.shell, sbin);
  } else {
    const lib = path.join(rootDir, 'usr', 'lib', 'dom0up-realboot');
    mkdirSync(lib, { recursive: true });
    copyFileSync(g.shell, path.join(lib, 'grub.i386'));
    chmodSync(path.join(lib, 'grub.i386'), 0o755);
    writeFileSync(sbin, `#!/bin/sh\n# Red Hat's grub shell (32-bit) under qemu-i386: ${ex.reason.replace(/\n/g, ' ')}\nexec ${ex.qemu} /usr/lib/dom0up-realboot/grub.i386 "$@"\n`);
  }
  chmodSync(sbin, 0o755);
  const how = `${ex.mode} (${ex.reason})`;
  writeFileSync(marker, `${how}\n`);
  return how;
}

/** Write the bytes GRUB changed on the disk image's stage2 into the host's stage2, in place (same file, same size). */
function writeBack(hostStage2: string, before: Buffer, after: Buffer): number[] {
  if (before.length !== after.length) throw new Error(`stage2 changed size during the boot (${before.length} -> ${after.length})`);
  const changed: number[] = [];
  for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) changed.push(i);
  if (changed.length === 0) return changed;
  const fd = openSync(hostStage2, 'r+');
  try {
    for (const i of changed) writeSync(fd, after, i, 1, i);
  } finally {
    closeSync(fd);
  }
  return changed;
}

export async function powerOn(hostDir: string, rootDir: string): Promise<FirmwareRun> {
  const t0 = Date.now();
  const { name, rb } = settingsOf(hostDir);
  process.env.DOM0UP_REALBOOT_WORK = rb.workDir;
  const bootDir = path.join(hostDir, 'bootmnt');
  const run: FirmwareRun = {
    powerOns: [], stage2: { wordBefore: 0, wordAfter: 0, bytesWritten: [] }, grubInstalled: null,
    timings: { diskBuildMs: 0, qemuMs: 0, waitForSlotMs: 0, totalMs: 0 },
    qemu: { accel: '', resets: 0, killedBy: null, shutdownReason: null, maxRssKiB: null }, serialLog: null, runDir: null, copied: [], error: null,
  };
  const left = (rb.deadline ?? Infinity) - Date.now();
  if (left < 15_000) {
    run.error = `real-boot budget exhausted (DOM0UP_REALBOOT_BUDGET_S): no time left for a boot of ${name}`;
    return run;
  }
  run.grubInstalled = await installGrub(hostDir, rootDir, bootDir);
  const art = loadArtifacts();
  // (every firmware is PID 1 of its own namespace: a random part keeps two runs in one second apart)
  const runDir = newRunDir(`host-${name}-${randomBytes(3).toString('hex')}`);
  run.runDir = runDir;
  const hostStage2 = path.join(bootDir, 'grub', 'stage2');
  const confText = readFileSync(path.join(bootDir, 'grub', 'grub.conf'), 'utf8');
  const disk = await buildHostDisk(bootDir, runDir, art);
  run.copied = disk.copied;
  run.timings.diskBuildMs = disk.buildMs;
  try {
    // GRUB's `setup` writes the config file's name into stage2 (install ... p (hd0,0)/grub/stage2 /grub/grub.conf).
    // At the first power-on that is anaconda's install, so the host's stage2 gets it too; afterwards every setup
    // writes the same bytes, and the image's stage2 must be the host's exactly (the saved-entry word included).
    const before = disk.stage2;
    if (run.grubInstalled !== null) writeFileSync(hostStage2, before);
    else if (!before.equals(readFileSync(hostStage2))) throw new Error("GRUB's setup changed /grub/stage2 on the image: the host's stage2 and the disk's differ");
    run.stage2.wordBefore = before.readUInt32LE(STAGE2_WORD_AT);
    const r = await bootImage(disk, runDir, {
      allowReset: true, timeoutMs: Math.min(rb.timeoutMs ?? 240_000, (rb.deadline ?? Infinity) - Date.now()),
      ...(rb.memMiB ? { memMiB: rb.memMiB } : {}), ...(rb.cpus ? { cpus: rb.cpus } : {}),
    });
    const after = await readImageFile(disk.image, '/grub/stage2', runDir);
    run.stage2.wordAfter = after.readUInt32LE(STAGE2_WORD_AT);
    run.stage2.bytesWritten = writeBack(hostStage2, before, after);
    run.serialLog = r.serialLog;
    run.timings.qemuMs = r.timings.qemuMs;
    run.timings.waitForSlotMs = r.timings.waitForSlotMs ?? 0;
    run.qemu = { accel: r.accel, resets: r.qemu.resets, killedBy: r.qemu.killedBy, shutdownReason: r.qemu.shutdownReason, maxRssKiB: r.qemu.maxRssKiB };
    const conf = readGrubConf(confText);
    const pieces = splitBoots(readFileSync(r.serialLog, 'latin1'));
    const onceConsumed = (run.stage2.wordBefore & ONCE_FLAG) !== 0 && (run.stage2.wordAfter & ONCE_FLAG) === 0;
    r.boots.forEach((b, i) => {
      const s = b.serial;
      const last = i === r.boots.length - 1;
      const xen = s.sysHypervisor === 'xen' || s.xenOnSerial;
      const xenCmdline = s.xlInfo?.xenCommandline ?? s.xenDmesgCmdline;
      const up = last && (b.outcome === 'xen-dom0' || b.outcome === 'not-xen-dom0');
      const result: PowerOn['result'] = up ? 'up' : b.outcome === 'dom0-crash' && !last ? 'panic' : 'bootfail';
      // which entry booted: the initramfs it loaded (the report names it), Xen or not, Xen's command line, the title
      // GRUB counted down with; unknown when the boot never reported
      let entryIndex: number | null = null;
      if (s.initrdName !== null) {
        const initrdOf = (e: GrubEntry) => (e.commands.find((c) => c.name === 'initrd') ?? e.commands.filter((c) => c.name === 'module')[1])?.path ?? null;
        const isXen = (e: GrubEntry) => e.commands.some((c) => c.name === 'module');
        let cands = conf.entries.filter((e) => initrdOf(e) === s.initrdName && isXen(e) === xen);
        const norm = (x: string) => x.trim().split(/\s+/).join(' ');
        if (cands.length > 1 && xen && xenCmdline !== null) cands = cands.filter((e) => norm(e.commands.find((c) => c.name === 'kernel')?.args ?? '') === norm(xenCmdline));
        if (cands.length > 1 && b.bootedTitle) cands = cands.filter((e) => e.title.trim() === b.bootedTitle!.trim());
        if (cands.length === 1) entryIndex = cands[0]!.index;
      }
      const dom0 = s.xlList?.find((d) => d.id === 0) ?? null;
      run.powerOns.push({
        result,
        outcome: b.outcome,
        hypervisor: xen ? 'xen' : 'none',
        entryIndex,
        title: entryIndex !== null ? conf.entries[entryIndex]!.title.trim() : b.bootedTitle,
        kernelRelease: s.initrdName !== null ? (disk.initramfsRelease[s.initrdName] ?? null) : null,
        realUnameR: s.unameR,
        initrd: s.initrdName,
        cmdline: s.kernelCmdline,
        xenCmdline: xen ? xenCmdline : null,
        dom0Cmdline: xen ? s.kernelCmdline : null,
        once: i === 0 && onceConsumed ? (run.stage2.wordBefore >> 8) & 0xff : null,
        menuWaitS: b.menuWaitS,
        panic: s.panicLine,
        error: up ? null : s.panicLine ? `${xen ? 'Xen/Dom0' : 'kernel'} panic: ${s.panicLine}` : s.grubError ? `GRUB ${s.grubError}` : `the boot did not report (${b.outcome}${last && r.qemu.killedBy ? `, ${r.qemu.killedBy}` : ''})`,
        bootId: up ? s.bootId : null,
        dom0MemMiB: dom0?.memMiB ?? null,
        dom0Vcpus: dom0?.vcpus ?? null,
        report: up ? {
          procVersion: s.procVersion, sysHypervisor: s.sysHypervisor, xenCaps: s.xenCaps, meminfo: s.raw.meminfo, cpuinfo: s.raw.cpuinfo,
          xlList: s.raw.xlList, xlInfo: s.raw.xlInfo, xlVcpuList: s.raw.xlVcpuList, xlDmesg: s.xlDmesg,
        } : null,
        serial: cleanSerial(pieces[i] ?? ''),
      });
    });
  } finally {
    rmSync(disk.image, { force: true });
  }
  run.timings.totalMs = Date.now() - t0;
  return run;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, hostDir, rootDir] = argv;
  if (cmd !== 'boot' || !hostDir || !rootDir) {
    process.stderr.write('usage: host-firmware.ts boot HOSTDIR ROOTDIR\n');
    return 2;
  }
  let out: FirmwareRun;
  try {
    out = await powerOn(hostDir, rootDir);
  } catch (e) {
    out = {
      powerOns: [], stage2: { wordBefore: 0, wordAfter: 0, bytesWritten: [] }, grubInstalled: null,
      timings: { diskBuildMs: 0, qemuMs: 0, waitForSlotMs: 0, totalMs: 0 },
      qemu: { accel: '', resets: 0, killedBy: null, shutdownReason: null, maxRssKiB: null }, serialLog: null, runDir: null, copied: [],
      error: `the real boot failed to run: ${(e as Error).stack ?? String(e)}`,
    };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((c) => process.exit(c), (e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exit(70); });
}
