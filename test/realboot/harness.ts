// The real-boot runner: put a grub.conf (byte for byte) on a disk image with real GRUB Legacy 0.97 in the MBR,
// boot it under QEMU/TCG with a hard timeout, and report what really booted.
//
//   const r = await bootGrubConf(text, { layout: 'boot-partition', timeoutMs: 120_000, memMiB: 1280 });
//   r.outcome === 'xen-dom0' && r.dom0?.memMiB === 1024
//
// One boot at a time: a lock file in the work dir serialises boots across processes.
import { mkdirSync, openSync, closeSync, rmSync, readFileSync, readdirSync, writeFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { loadArtifacts, workDir, type Artifacts } from './artifacts.js';
import {
  buildDisk, readImageFile, replaceImageFile, writeImageFileInPlace,
  type DiskImage, type FsKind, type Layout, type Loader, type PlacedFile,
} from './disk.js';
import { runQemu, type KillReason, type Milestone, type QemuResult } from './qemu.js';
import { readSerial, splitBoots, type SerialReport } from './serial.js';
import type { XenCmdlineProblem, XlDomain, XlInfo, XlVcpu } from '../../src/xen/index.js';

export type { Layout, Loader, FsKind } from './disk.js';

/** The STAGE2_SAVED_ENTRYNO word: offset 0xC of stage2's second sector (read from the stage2 file as GRUB does) */
export const STAGE2_WORD_AT = 512 + 0xc;

export interface BootOptions {
  layout: Layout;
  /** the GRUB build in the MBR: 'rhel' (CentOS 6's grub-0.97-99.el6, default) or 'debian' (grub-legacy 0.97-80) */
  loader?: Loader;
  /** the partition's file system: ext4 as CentOS 6 makes it for 'rhel' (default), ext2/128 for 'debian' */
  fs?: FsKind;
  /** let a guest reset reboot the machine (the run ends after the next boot's report); default false */
  allowReset?: boolean;
  /** override the accelerator chosen at set-up (the set-up's KVM probe uses this) */
  accel?: 'tcg' | 'kvm';
  /** hard limit for the QEMU run (the boot is killed by PID after it); default 120 s */
  timeoutMs?: number;
  /** guest RAM; default 1280 MiB (QEMU's RSS grows to about this + 200 MB: Xen scrubs all RAM) */
  memMiB?: number;
  /** guest CPUs; default 2 */
  cpus?: number;
  /** a name for the run folder */
  name?: string;
  /** keys typed at GRUB's menu through QMP (e.g. ['esc', 'down', 'ret']) to pick an entry without editing grub.conf */
  menuKeys?: string[];
  /** keep the disk image after the boot (default: deleted; the serial log is always kept) */
  keepImage?: boolean;
}

export type BootOutcome =
  /** dom0 reported from under Xen */
  | 'xen-dom0'
  /** the dom0 report says: no hypervisor (Linux booted on bare metal) */
  | 'not-xen-dom0'
  /** GRUB printed an error (e.g. Error 15) and was killed while waiting at its menu */
  | 'bootloader-error'
  /** GRUB fell back to its command line (e.g. no config) */
  | 'bootloader-prompt'
  /** a kernel panic or "Hardware Dom0 crashed" was seen, or the guest reset before reporting */
  | 'dom0-crash'
  | 'timeout'
  /** QEMU ended without a report and without any of the above */
  | 'no-report';

export interface Dom0Facts {
  /** the Domain-0 row of `xl list` */
  listRow: XlDomain | null;
  memMiB: number | null;
  vcpus: number | null;
  /** Domain-0 rows of `xl vcpu-list` (vcpu, cpu, hard and soft affinity) */
  vcpuList: XlVcpu[];
  /** /proc/cmdline of the dom0 kernel */
  kernelCmdline: string | null;
  /** the initramfs file GRUB loaded (tells which entry booted) */
  initrdName: string | null;
  unameR: string | null;
  /** /proc/xen/capabilities (control_d for a dom0) */
  xenCaps: string | null;
}

/** One power-on (or reset) inside a run: what that boot showed on the serial line. */
export interface BootSegment {
  outcome: BootOutcome;
  bootedTitle: string | null;
  /** the initramfs file the booted entry loaded (null when no kernel reported) */
  initrdName: string | null;
  /** seconds from GRUB's first screen to `Booting '…'` (the menu countdown), when both were seen */
  menuWaitS: number | null;
  serial: SerialReport;
}

export interface RealBootResult {
  outcome: BootOutcome;
  layout: Layout;
  loader: Loader;
  fs: FsKind;
  accel: 'tcg' | 'kvm';
  /** each boot of this run (more than one only when the machine reset and booted again: allowReset) */
  boots: BootSegment[];
  bootloader: {
    /** Xen's `Bootloader:` line, e.g. `GNU GRUB 0.97` (null when Xen did not run or did not report) */
    xenReported: string | null;
    /** GRUB's screen was seen on the serial line */
    seen: boolean;
    /** `Booting 'TITLE'` */
    bootedTitle: string | null;
    /** e.g. `Error 15: File not found` */
    error: string | null;
  };
  hypervisor: {
    running: boolean;
    version: string | null;
    /** `xl info` xen_commandline (verbatim), else Xen's `Command line:` line */
    commandLine: string | null;
    /** Xen's complaints about its command line (findXenCmdlineProblems on `xl dmesg`) */
    cmdlineProblems: XenCmdlineProblem[];
    xlInfo: XlInfo | null;
  };
  dom0: Dom0Facts | null;
  /** kernel panic / dom0 crash line, if any */
  panic: string | null;
  xlList: XlDomain[] | null;
  disk: { grubConfPath: string; placed: PlacedFile[]; absent: string[] };
  timings: {
    totalMs: number;
    diskBuildMs: number;
    qemuMs: number;
    waitForSlotMs: number;
    /** ms after QEMU start when each milestone was first seen on the serial line */
    marks: Partial<Record<Milestone, number>>;
  };
  qemu: {
    pid: number | null;
    exitCode: number | null;
    exitSignal: string | null;
    killedBy: KillReason | null;
    /** QMP SHUTDOWN reason: guest-shutdown (poweroff), guest-reset (reboot, e.g. after a dom0 crash), host-signal */
    shutdownReason: string | null;
    resets: number;
    maxRssKiB: number | null;
    memMiB: number;
  };
  warnings: string[];
  serialLog: string;
  runDir: string;
  serial: SerialReport;
}

const LOCK_STALE_MS = 15 * 60_000;

/** Serialise boots (2 shared cores: one QEMU at a time), across vitest workers and processes. */
async function withBootLock<T>(fn: () => Promise<T>): Promise<{ value: T; waitedMs: number }> {
  const lock = path.join(workDir(), 'boot.lock');
  mkdirSync(workDir(), { recursive: true });
  const t0 = Date.now();
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      writeFileSync(lock, String(process.pid));
      break;
    } catch {
      let stale = false;
      try {
        const holder = Number(readFileSync(lock, 'utf8'));
        stale = Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS;
        if (holder > 0) try { process.kill(holder, 0); } catch { stale = true; }
      } catch { /* lock vanished meanwhile */ }
      if (stale) rmSync(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  const waitedMs = Date.now() - t0;
  try {
    return { value: await fn(), waitedMs };
  } finally {
    rmSync(lock, { force: true });
  }
}

let runCounter = 0;
const KEEP_RUNS = 40;

/** Keep the newest KEEP_RUNS run folders (serial logs, results) in the work dir. */
function pruneRuns(): void {
  const dir = path.join(workDir(), 'runs');
  let names: string[];
  try { names = readdirSync(dir).sort(); } catch { return; }
  for (const n of names.slice(0, Math.max(0, names.length - KEEP_RUNS))) rmSync(path.join(dir, n), { recursive: true, force: true });
}

/** The accelerator the set-up's probe chose (DOM0UP_REALBOOT_ACCEL overrides: tcg | kvm). */
export function accelerator(): 'tcg' | 'kvm' {
  const env = process.env.DOM0UP_REALBOOT_ACCEL;
  if (env === 'tcg' || env === 'kvm') return env;
  try {
    const j = JSON.parse(readFileSync(path.join(workDir(), 'accel.json'), 'utf8')) as { accel?: string };
    return j.accel === 'kvm' ? 'kvm' : 'tcg';
  } catch {
    return 'tcg';
  }
}

function newRunDir(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const runDir = path.join(workDir(), 'runs', `${stamp}-${process.pid}-${++runCounter}-${name.replace(/[^\w.-]+/g, '_')}`);
  pruneRuns();
  mkdirSync(runDir, { recursive: true });
  return runDir;
}

function classify(s: SerialReport, q: Pick<QemuResult, 'killedBy' | 'shutdownReason'>, last: boolean): BootOutcome {
  const hv = s.sysHypervisor === 'xen';
  if (s.reportComplete && hv && s.xenCaps?.includes('control_d')) return 'xen-dom0';
  if (s.reportComplete && s.notXenDom0) return 'not-xen-dom0';
  if ((last && q.killedBy === 'bootloader-error') || (s.grubError && !s.reportBegun && !s.xenOnSerial)) return 'bootloader-error';
  if (last && q.killedBy === 'grub-prompt') return 'bootloader-prompt';
  if (s.panicLine || !last || (!s.reportComplete && q.shutdownReason === 'guest-reset')) return 'dom0-crash';
  if (q.killedBy === 'timeout') return 'timeout';
  return 'no-report';
}

/**
 * The hidden-menu countdown GRUB ran before booting, in seconds, read from what it printed: Red Hat's GRUB prints
 * "Press any key to enter the menu" and then "Booting TITLE in N seconds..." once a second (N = timeout-1 … 0), and
 * prints nothing when the timeout is 0 (stage2.c run_menu). null when GRUB did not boot an entry.
 */
export function menuWait(raw: string): number | null {
  // SeaBIOS's serial console wraps GRUB's 80-column lines with cursor moves: drop them and the line breaks
  const clean = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\r\n]/g, '');
  const ns = [...clean.matchAll(/in (\d+) seconds\.\.\./g)].map((m) => Number(m[1]));
  if (/Press any key to enter the menu|Press `ESC' to enter the menu/.test(clean) && ns.length) return Math.max(...ns) + 1;
  // no countdown: did GRUB boot an entry at all?
  return /Booting '|\(XEN\) |=== TEST-BEGIN/.test(clean) ? 0 : null;
}

async function runBoot(disk: DiskImage, runDir: string, opts: BootOptions & { snapshot: boolean }, t0: number, art: Artifacts): Promise<RealBootResult> {
  void art;
  const memMiB = opts.memMiB ?? 1280;
  const accel = opts.accel ?? accelerator();
  const serialLog = path.join(runDir, 'serial.log');
  const { value: q, waitedMs } = await withBootLock(() => runQemu({
    image: disk.image, runDir, serialLog, memMiB, cpus: opts.cpus ?? 2, accel, snapshot: opts.snapshot,
    allowReset: opts.allowReset ?? false,
    timeoutMs: opts.timeoutMs ?? 120_000, ...(opts.menuKeys ? { menuKeys: opts.menuKeys } : {}),
  }));
  const raw = readFileSync(serialLog, 'latin1');
  const pieces = splitBoots(raw);
  const boots: BootSegment[] = pieces.map((piece, i) => {
    const seg = readSerial(piece);
    return { outcome: classify(seg, q, i === pieces.length - 1), bootedTitle: seg.grubBootingTitle, initrdName: seg.initrdName, menuWaitS: menuWait(piece), serial: seg };
  });
  // the run's outcome is its last boot's; with one boot that is the whole log
  const s = pieces.length === 1 ? readSerial(raw) : boots[boots.length - 1]!.serial;
  const outcome = pieces.length === 1 ? classify(s, q, true) : boots[boots.length - 1]!.outcome;
  const hv = s.sysHypervisor === 'xen';

  const dom0Row = s.xlList?.find((d) => d.id === 0) ?? null;
  const dom0: Dom0Facts | null = s.reportBegun
    ? {
        listRow: dom0Row,
        memMiB: dom0Row?.memMiB ?? null,
        vcpus: dom0Row?.vcpus ?? null,
        vcpuList: (s.xlVcpuList ?? []).filter((v) => v.domid === 0),
        kernelCmdline: s.kernelCmdline,
        initrdName: s.initrdName,
        unameR: s.unameR,
        xenCaps: s.xenCaps,
      }
    : null;

  const result: RealBootResult = {
    outcome,
    layout: opts.layout,
    loader: disk.loader,
    fs: disk.fs,
    accel,
    boots,
    bootloader: { xenReported: s.xenBootloader, seen: s.grubSeen, bootedTitle: s.grubBootingTitle, error: s.grubError },
    hypervisor: {
      running: hv || s.xenOnSerial,
      version: s.xlInfo?.xenVersion ?? s.xenVersionLine,
      commandLine: s.xlInfo?.xenCommandline ?? s.xenDmesgCmdline,
      cmdlineProblems: s.xenCmdlineProblems,
      xlInfo: s.xlInfo,
    },
    dom0,
    panic: s.panicLine,
    xlList: s.xlList,
    disk: { grubConfPath: disk.grubConfPath, placed: disk.placed, absent: disk.absent },
    timings: { totalMs: Date.now() - t0, diskBuildMs: disk.buildMs, qemuMs: q.wallMs, waitForSlotMs: waitedMs, marks: q.marks },
    qemu: {
      pid: q.pid, exitCode: q.exitCode, exitSignal: q.exitSignal, killedBy: q.killedBy,
      shutdownReason: q.shutdownReason, resets: q.resets, maxRssKiB: q.maxRssKiB, memMiB,
    },
    warnings: [...s.warnings, ...(q.stderr.trim() ? [`qemu stderr: ${q.stderr.trim().split('\n').filter((l) => !/fw_cfg item names should be prefixed/.test(l)).join(' | ')}`] : [])].filter((w) => w !== 'qemu stderr: '),
    serialLog,
    runDir,
    serial: s,
  };
  writeFileSync(path.join(runDir, 'result.json'), JSON.stringify(result, null, 2));
  return result;
}

/** Build a fresh disk for `grubConfText`, boot it once (the image is a snapshot: nothing is written to it). */
export async function bootGrubConf(grubConfText: string, opts: BootOptions): Promise<RealBootResult> {
  const t0 = Date.now();
  const art = loadArtifacts();
  const runDir = newRunDir(opts.name ?? opts.layout);
  writeFileSync(path.join(runDir, 'grub.conf'), grubConfText);
  const disk = await buildDisk(grubConfText, opts.layout, runDir, art, { ...(opts.loader ? { loader: opts.loader } : {}), ...(opts.fs ? { fs: opts.fs } : {}) });
  try {
    return await runBoot(disk, runDir, { ...opts, snapshot: true }, t0, art);
  } finally {
    if (!opts.keepImage) rmSync(disk.image, { force: true });
  }
}

/**
 * One disk booted again and again, as a host's disk is: GRUB's own writes (the stage2 word) stay for the next
 * boot, and files can be changed between boots the way a running host changes them.
 */
export class BootDisk {
  private constructor(readonly disk: DiskImage, readonly dir: string, private readonly art: Artifacts) {}

  static async create(grubConfText: string, opts: { layout: Layout; loader?: Loader; fs?: FsKind; name: string }): Promise<BootDisk> {
    const art = loadArtifacts();
    const dir = newRunDir(`${opts.name}-disk`);
    writeFileSync(path.join(dir, 'grub.conf'), grubConfText);
    const disk = await buildDisk(grubConfText, opts.layout, dir, art, { ...(opts.loader ? { loader: opts.loader } : {}), ...(opts.fs ? { fs: opts.fs } : {}) });
    return new BootDisk(disk, dir, art);
  }

  /** the GRUB shell of this disk's loader (the host's /sbin/grub) */
  get grubShell(): string {
    return this.disk.loader === 'rhel' ? this.art.rhelGrub.shell : this.art.grub.shell;
  }

  get grubDir(): string {
    return path.posix.dirname(this.disk.grubConfPath);
  }

  get stage2Path(): string {
    return path.posix.join(this.grubDir, 'stage2');
  }

  /** Boot the disk (not a snapshot). */
  async boot(name: string, opts: Omit<BootOptions, 'layout' | 'loader' | 'fs' | 'name'> = {}): Promise<RealBootResult> {
    const t0 = Date.now();
    const runDir = newRunDir(name);
    writeFileSync(path.join(runDir, 'grub.conf'), await this.readFile(this.disk.grubConfPath));
    return runBoot(this.disk, runDir, { ...opts, layout: this.disk.layout, snapshot: false }, t0, this.art);
  }

  readFile(p: string): Promise<Buffer> {
    return readImageFile(this.disk.image, p, this.dir);
  }

  /** The saved-entry word of the stage2 file on the disk, as GRUB reads it at power-on. */
  async stage2Word(): Promise<number> {
    return (await this.readFile(this.stage2Path)).readUInt32LE(STAGE2_WORD_AT);
  }

  /** A file edited in place (same size), written into its own blocks as a host's page cache would. */
  writeInPlace(p: string, data: Buffer): Promise<number[]> {
    return writeImageFileInPlace(this.disk.image, p, data, this.dir);
  }

  /** A file replaced by a new one (new inode), as dom0up's atomic write of grub.conf does. */
  replaceFile(p: string, data: Buffer): Promise<void> {
    return replaceImageFile(this.disk.image, p, data, this.dir);
  }

  dispose(): void {
    if (existsSync(this.disk.image)) rmSync(this.disk.image, { force: true });
  }
}

/** One line for logs and test failure messages. */
export function summarize(r: RealBootResult): string {
  const m = r.timings.marks;
  return [
    `outcome=${r.outcome}`,
    r.bootloader.error ? `grub="${r.bootloader.error}"` : null,
    r.bootloader.xenReported ? `bootloader="${r.bootloader.xenReported}"` : null,
    r.dom0?.listRow ? `dom0 mem=${r.dom0.memMiB} vcpus=${r.dom0.vcpus}` : null,
    r.dom0?.vcpuList.length ? `affinity=${r.dom0.vcpuList.map((v) => `v${v.vcpu}:${v.hard}/${v.soft ?? '-'}`).join(',')}` : null,
    r.hypervisor.commandLine !== null ? `xen="${r.hypervisor.commandLine}"` : null,
    r.panic ? `panic="${r.panic}"` : null,
    r.boots.length > 1 ? `boots=[${r.boots.map((b) => `${b.outcome}${b.bootedTitle ? `:'${b.bootedTitle}'` : ''}`).join(', ')}]` : null,
    `${r.loader}-grub/${r.fs} ${r.accel}`,
    `qemu ${(r.timings.qemuMs / 1000).toFixed(1)}s${r.qemu.killedBy ? ` killed=${r.qemu.killedBy}` : ''}${r.qemu.shutdownReason ? ` exit=${r.qemu.shutdownReason}` : ''}`,
    m.report !== undefined ? `report@${(m.report / 1000).toFixed(1)}s` : null,
    r.qemu.maxRssKiB ? `rss=${Math.round(r.qemu.maxRssKiB / 1024)}MiB` : null,
    `log=${r.serialLog}`,
  ].filter((x) => x !== null).join(' ');
}
