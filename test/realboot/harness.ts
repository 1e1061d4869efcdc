// The real-boot runner: put a grub.conf (byte for byte) on a disk image with real GRUB Legacy 0.97 in the MBR,
// boot it under QEMU/TCG with a hard timeout, and report what really booted.
//
//   const r = await bootGrubConf(text, { layout: 'boot-partition', timeoutMs: 120_000, memMiB: 1280 });
//   r.outcome === 'xen-dom0' && r.dom0?.memMiB === 1024
//
// One boot at a time: a lock file in the work dir serialises boots across processes.
import { mkdirSync, openSync, closeSync, rmSync, readFileSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadArtifacts, workDir } from './artifacts.js';
import { buildDisk, type Layout, type PlacedFile } from './disk.js';
import { runQemu, type KillReason, type Milestone } from './qemu.js';
import { readSerial, type SerialReport } from './serial.js';
import type { XenCmdlineProblem, XlDomain, XlInfo, XlVcpu } from '../../src/xen/index.js';

export type { Layout } from './disk.js';

export interface BootOptions {
  layout: Layout;
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
  unameR: string | null;
  /** /proc/xen/capabilities (control_d for a dom0) */
  xenCaps: string | null;
}

export interface RealBootResult {
  outcome: BootOutcome;
  layout: Layout;
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

export async function bootGrubConf(grubConfText: string, opts: BootOptions): Promise<RealBootResult> {
  const t0 = Date.now();
  const art = loadArtifacts();
  const memMiB = opts.memMiB ?? 1280;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const runDir = path.join(workDir(), 'runs', `${stamp}-${process.pid}-${++runCounter}-${(opts.name ?? opts.layout).replace(/[^\w.-]+/g, '_')}`);
  pruneRuns();
  mkdirSync(runDir, { recursive: true });
  writeFileSync(path.join(runDir, 'grub.conf'), grubConfText);

  const { value, waitedMs } = await withBootLock(async () => {
    const disk = await buildDisk(grubConfText, opts.layout, runDir, art);
    const serialLog = path.join(runDir, 'serial.log');
    const q = await runQemu({
      image: disk.image, runDir, serialLog, memMiB, cpus: opts.cpus ?? 2,
      timeoutMs: opts.timeoutMs ?? 120_000, ...(opts.menuKeys ? { menuKeys: opts.menuKeys } : {}),
    });
    if (!opts.keepImage) rmSync(disk.image, { force: true });
    return { disk, q, serialLog };
  });
  const { disk, q, serialLog } = value;
  const s = readSerial(readFileSync(serialLog, 'latin1'));

  const hv = s.sysHypervisor === 'xen';
  let outcome: BootOutcome;
  if (s.reportComplete && hv && s.xenCaps?.includes('control_d')) outcome = 'xen-dom0';
  else if (s.reportComplete && s.notXenDom0) outcome = 'not-xen-dom0';
  else if (q.killedBy === 'bootloader-error' || (s.grubError && !s.reportBegun && !s.xenOnSerial)) outcome = 'bootloader-error';
  else if (q.killedBy === 'grub-prompt') outcome = 'bootloader-prompt';
  else if (s.panicLine || (!s.reportComplete && q.shutdownReason === 'guest-reset')) outcome = 'dom0-crash';
  else if (q.killedBy === 'timeout') outcome = 'timeout';
  else outcome = 'no-report';

  const dom0Row = s.xlList?.find((d) => d.id === 0) ?? null;
  const dom0: Dom0Facts | null = s.reportBegun
    ? {
        listRow: dom0Row,
        memMiB: dom0Row?.memMiB ?? null,
        vcpus: dom0Row?.vcpus ?? null,
        vcpuList: (s.xlVcpuList ?? []).filter((v) => v.domid === 0),
        kernelCmdline: s.kernelCmdline,
        unameR: s.unameR,
        xenCaps: s.xenCaps,
      }
    : null;

  const result: RealBootResult = {
    outcome,
    layout: opts.layout,
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
      shutdownReason: q.shutdownReason, maxRssKiB: q.maxRssKiB, memMiB,
    },
    warnings: [...s.warnings, ...(q.stderr.trim() ? [`qemu stderr: ${q.stderr.trim().split('\n').filter((l) => !/fw_cfg item names should be prefixed/.test(l)).join(' | ')}`] : [])].filter((w) => w !== 'qemu stderr: '),
    serialLog,
    runDir,
    serial: s,
  };
  writeFileSync(path.join(runDir, 'result.json'), JSON.stringify(result, null, 2));
  return result;
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
    `qemu ${(r.timings.qemuMs / 1000).toFixed(1)}s${r.qemu.killedBy ? ` killed=${r.qemu.killedBy}` : ''}${r.qemu.shutdownReason ? ` exit=${r.qemu.shutdownReason}` : ''}`,
    m.report !== undefined ? `report@${(m.report / 1000).toFixed(1)}s` : null,
    r.qemu.maxRssKiB ? `rss=${Math.round(r.qemu.maxRssKiB / 1024)}MiB` : null,
    `log=${r.serialLog}`,
  ].filter((x) => x !== null).join(' ');
}
