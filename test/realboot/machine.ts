// What the real-boot tier needs from the machine, detected rather than assumed (docs/realboot.md lists it).
// Each check either passes, falls back (and says so), or names the missing feature and how to get it; the global
// setup turns a missing feature into a skip of the whole tier with that reason — or, in CI (`CI` set), a failure.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { workDir } from './artifacts.js';

export interface Check {
  feature: string;
  ok: boolean;
  /** what was found, or what is missing and how to get it */
  detail: string;
}

/** MemAvailable in MiB (null when /proc/meminfo cannot be read) */
export function memAvailableMiB(): number | null {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Math.floor(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** RAM one boot needs: the guest's 1280 MiB plus QEMU's own (measured peak RSS 1.38-1.43 GB) */
export const BOOT_RAM_MIB = 1500;

export function checkRam(): Check {
  const avail = memAvailableMiB();
  if (avail === null) return { feature: 'free RAM', ok: false, detail: 'cannot read /proc/meminfo' };
  return avail >= BOOT_RAM_MIB
    ? { feature: 'free RAM', ok: true, detail: `${avail} MiB available (a boot needs about ${BOOT_RAM_MIB})` }
    : { feature: 'free RAM', ok: false, detail: `only ${avail} MiB available; a boot needs about ${BOOT_RAM_MIB} MiB (close other jobs)` };
}

export function checkRoot(): Check {
  return process.getuid?.() === 0
    ? { feature: 'root', ok: true, detail: 'running as root' }
    : { feature: 'root', ok: false, detail: 'the tier runs as root (apt-get installs, chroot for the grub shell); run it with sudo' };
}

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1" >/dev/null', 'sh', cmd]);
    return true;
  } catch {
    return false;
  }
}

/** Commands the tier calls after set-up (all from the packages setup.sh installs). */
export function checkTools(): Check {
  const need: [string, string][] = [
    ['qemu-system-x86_64', 'qemu-system-x86'], ['mke2fs', 'e2fsprogs'], ['debugfs', 'e2fsprogs'], ['sfdisk', 'fdisk'],
    ['setpriv', 'util-linux'], ['chroot', 'coreutils'], ['busybox', 'busybox-static'],
  ];
  const missing = need.filter(([c]) => !has(c));
  return missing.length === 0
    ? { feature: 'tools', ok: true, detail: need.map(([c]) => c).join(', ') }
    : { feature: 'tools', ok: false, detail: `missing ${missing.map(([c, p]) => `${c} (apt-get install ${p})`).join(', ')}` };
}

/** chroot works here (the grub shell runs dom0up's one-shot command in one) */
export function checkChroot(): Check {
  const d = mkdtempSync(path.join(os.tmpdir(), 'dom0up-chroot-'));
  try {
    mkdirSync(path.join(d, 'bin'));
    copyFileSync('/bin/busybox', path.join(d, 'bin/busybox'));
    symlinkSync('busybox', path.join(d, 'bin/sh'));
    const out = execFileSync('chroot', [d, '/bin/sh', '-c', 'echo chroot-ok'], { encoding: 'utf8', timeout: 10_000 });
    return out.trim() === 'chroot-ok'
      ? { feature: 'chroot', ok: true, detail: 'chroot into a busybox root works' }
      : { feature: 'chroot', ok: false, detail: `chroot printed ${JSON.stringify(out)}` };
  } catch (e) {
    return { feature: 'chroot', ok: false, detail: `chroot failed (${(e as Error).message.split('\n')[0]}); the tier needs CAP_SYS_CHROOT (root)` };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

/** /dev/kvm can be opened (a KVM probe boot decides whether it is used). */
export function kvmDevice(): { usable: boolean; detail: string } {
  if (!existsSync('/dev/kvm')) return { usable: false, detail: 'no /dev/kvm' };
  try {
    closeSync(openSync('/dev/kvm', 'r+'));
  } catch (e) {
    return { usable: false, detail: `/dev/kvm cannot be opened: ${(e as NodeJS.ErrnoException).code}` };
  }
  const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  const hw = /\b(vmx|svm)\b/.exec(flags)?.[1];
  return { usable: true, detail: `/dev/kvm opens; CPU flags ${hw ? `show ${hw}` : 'show no vmx/svm'}` };
}

/** What the KVM verdict depends on: this kernel, this CPU, this QEMU. */
export function kvmProbeKey(): string {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => /^(model name|flags)\s*:/.test(l)).slice(0, 2).join('\n');
  let qemu = '';
  try { qemu = execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? ''; } catch { /* none */ }
  return createHash('sha256').update(`${os.release()}\n${cpu}\n${qemu}`).digest('hex').slice(0, 16);
}

export interface AccelVerdict {
  accel: 'tcg' | 'kvm';
  reason: string;
  key: string;
  at: string;
}

export function readAccelVerdict(): AccelVerdict | null {
  try {
    return JSON.parse(readFileSync(path.join(workDir(), 'accel.json'), 'utf8')) as AccelVerdict;
  } catch {
    return null;
  }
}

export function writeAccelVerdict(v: AccelVerdict): void {
  mkdirSync(workDir(), { recursive: true });
  writeFileSync(path.join(workDir(), 'accel.json'), JSON.stringify(v, null, 2));
}

/** Machine features that are not used, and why (listed so that a reader of the log knows they were considered). */
export const NOT_NEEDED: Check[] = [
  { feature: 'loop devices', ok: true, detail: 'not used: images are written with sfdisk + mke2fs -d -E offset= and read with debugfs' },
  { feature: 'binfmt_misc', ok: true, detail: 'not used: qemu-i386 is called explicitly when 32-bit programs cannot run' },
];
