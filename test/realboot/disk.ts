// Disk image builder for the real-boot tier: a raw disk with an msdos label and one ext2 partition (hd0,0),
// GRUB Legacy 0.97 (Debian grub-legacy, the real thing) installed into its MBR with the GRUB shell's `setup`,
// exactly as anaconda does on CentOS 6, and the grub.conf under test copied in byte for byte.
//
// Two layouts, as on CentOS 6:
//  - 'boot-partition': (hd0,0) is a separate /boot: /grub/grub.conf, /xen.gz, /vmlinuz-V, /initramfs-V.img
//  - 'root-partition': (hd0,0) is / (no separate /boot): /boot/grub/grub.conf, /boot/xen.gz, /boot/vmlinuz-V, ...
//    plus /etc/grub.conf -> ../boot/grub/grub.conf
// Stand-ins: every file the config references whose name looks like vmlinuz-*, initramfs-* or xen*.gz and that
// lies in the layout's /boot directory is provided (Debian's kernel, our initramfs, Debian's xen.gz) under exactly
// that name. Anything else the config references is absent, so GRUB itself reports `Error 15: File not found`.
// No loop devices, no mounts: sfdisk + `mke2fs -d` write the image file directly.

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Artifacts } from './artifacts.js';
import { readGrubConf, referencedFiles } from './grub-conf.js';

const run = promisify(execFile);

export type Layout = 'boot-partition' | 'root-partition';

export type StandIn = 'xen' | 'kernel' | 'initramfs' | 'splash';

export interface PlacedFile {
  /** path inside the partition, e.g. `/vmlinuz-4.9.241-37.el6.x86_64` or `/boot/xen.gz` */
  path: string;
  standIn: StandIn;
  /** what was really put there */
  source: string;
}

export interface DiskImage {
  image: string;
  layout: Layout;
  /** where GRUB reads its config, inside the partition */
  grubConfPath: string;
  placed: PlacedFile[];
  /** files the config references that were deliberately not provided */
  absent: string[];
  grubSetupLog: string;
  buildMs: number;
}

export function bootDirOf(layout: Layout): string {
  return layout === 'boot-partition' ? '/' : '/boot';
}

/** Which stand-in (if any) provides a referenced file. Only names that look like a CentOS /boot file qualify. */
export function standInFor(refPath: string, layout: Layout): StandIn | null {
  const dir = path.posix.dirname(refPath);
  const base = path.posix.basename(refPath);
  if (dir !== bootDirOf(layout)) return null;
  if (/^vmlinuz-./.test(base)) return 'kernel';
  if (/^initramfs-.+\.img$/.test(base)) return 'initramfs';
  if (/^xen.*\.gz$/.test(base)) return 'xen';
  return null;
}

let splashCache: Buffer | null = null;
/** A valid GRUB Legacy splash image (640x480, 14 colours, gzipped XPM), as CentOS ships in /boot/grub. */
export function splashXpmGz(): Buffer {
  if (splashCache) return splashCache;
  const chars = 'abcdefghijklmn';
  const cols = ['#000000', '#202020', '#404040', '#606060', '#808080', '#a0a0a0', '#c0c0c0', '#e0e0e0',
    '#000080', '#008000', '#800000', '#008080', '#800080', '#ffffff'];
  let row = '';
  for (let x = 0; x < 640; x++) row += chars[Math.floor(x / 40) % 14];
  const lines = ['/* XPM */', 'static char * splash_xpm[] = {', '"640 480 14 1",'];
  cols.forEach((c, i) => lines.push(`"${chars[i]} c ${c}",`));
  for (let y = 0; y < 479; y++) lines.push(`"${row}",`);
  lines.push(`"${row}"`, '};');
  splashCache = gzipSync(Buffer.from(lines.join('\n') + '\n'));
  return splashCache;
}

async function linkOrCopy(src: string, dst: string): Promise<void> {
  await fs.mkdir(path.dirname(dst), { recursive: true });
  try {
    await fs.link(src, dst);
  } catch {
    await fs.copyFile(src, dst);
  }
}

export async function buildDisk(grubConfText: string, layout: Layout, runDir: string, art: Artifacts): Promise<DiskImage> {
  const t0 = Date.now();
  const stage = path.join(runDir, 'partition');
  await fs.rm(stage, { recursive: true, force: true });
  const bootDir = bootDirOf(layout);
  const grubDir = path.posix.join(bootDir, 'grub');
  const at = (p: string) => path.join(stage, p);

  // GRUB Legacy files, as the grub package installs them on CentOS
  await fs.mkdir(at(grubDir), { recursive: true });
  await fs.writeFile(at(path.posix.join(grubDir, 'grub.conf')), grubConfText);
  await fs.symlink('./grub.conf', at(path.posix.join(grubDir, 'menu.lst')));
  for (const f of ['stage1', 'stage2', 'e2fs_stage1_5'] as const) await fs.copyFile(art.grub[f], at(path.posix.join(grubDir, f)));
  if (layout === 'root-partition') {
    await fs.mkdir(at('/etc'), { recursive: true });
    await fs.symlink('../boot/grub/grub.conf', at('/etc/grub.conf'));
  }
  // CentOS always has /boot/grub/splash.xpm.gz (and its grub.conf always names it). Debian's GRUB 0.97 hangs
  // silently on a missing splash image, so the standard file is always there, wherever the config points.
  await fs.writeFile(at(path.posix.join(grubDir, 'splash.xpm.gz')), splashXpmGz());
  const placed: PlacedFile[] = [{ path: path.posix.join(grubDir, 'splash.xpm.gz'), standIn: 'splash', source: 'generated 640x480 XPM' }];

  const absent: string[] = [];
  let xenPlaced = false;
  for (const ref of referencedFiles(readGrubConf(grubConfText))) {
    if (placed.some((p) => p.path === ref)) continue;
    const kind = standInFor(ref, layout);
    if (kind === null || kind === 'splash') {
      absent.push(ref);
      continue;
    }
    if (kind === 'xen') {
      // CentOS: /boot/xen.gz is a symlink to the versioned file (xen-<version>.gz); keep that shape.
      const versioned = path.posix.join(bootDir, art.xenGzName);
      if (!xenPlaced) {
        await linkOrCopy(art.xenGz, at(versioned));
        xenPlaced = true;
      }
      if (path.posix.basename(ref) === 'xen.gz') await fs.symlink(art.xenGzName, at(ref));
      else if (ref !== versioned) await linkOrCopy(art.xenGz, at(ref));
      placed.push({ path: ref, standIn: 'xen', source: `Debian ${art.xenGzName}` });
    } else if (kind === 'kernel') {
      await linkOrCopy(art.vmlinuz, at(ref));
      placed.push({ path: ref, standIn: 'kernel', source: `Debian vmlinuz-${art.kernelVersion}` });
    } else {
      await linkOrCopy(art.initramfs, at(ref));
      placed.push({ path: ref, standIn: 'initramfs', source: 'dom0up stand-in initramfs (busybox + xl)' });
    }
  }

  // Size: everything (hard links counted once by mke2fs, but be generous) + 8 MiB, at least 32 MiB.
  let bytes = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) bytes += (await fs.stat(p)).size;
    }
  };
  await walk(stage);
  const sizeMiB = Math.max(32, Math.ceil((bytes * 1.1) / 1048576) + 8);

  const image = path.join(runDir, 'disk.img');
  await fs.rm(image, { force: true });
  await fs.writeFile(image, '');
  await fs.truncate(image, sizeMiB * 1048576);
  await runWithInput('sfdisk', ['-q', image], 'label: dos\nstart=2048, type=83, bootable\n');
  // ext2 with 128-byte inodes: what GRUB 0.97 can read (CentOS 6 /boot is ext4 with 256-byte inodes, which
  // only Red Hat's patched GRUB reads; Debian's 0.97 cannot).
  await run('mke2fs', ['-q', '-F', '-t', 'ext2', '-I', '128', '-L', layout === 'boot-partition' ? 'boot' : 'root',
    '-d', stage, '-E', 'offset=1048576', image, `${sizeMiB * 1024 - 1024}k`]);

  const grubSetupLog = await installGrubLegacy(image, grubDir, runDir, art);
  await fs.rm(stage, { recursive: true, force: true });
  return {
    image, layout, grubConfPath: path.posix.join(grubDir, 'grub.conf'), placed, absent, grubSetupLog,
    buildMs: Date.now() - t0,
  };
}

function runWithInput(cmd: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve();
    });
    child.stdin?.end(input);
  });
}

/**
 * The GRUB shell of grub-legacy 0.97 (32-bit, needs libc6-i386), run on the image file:
 * `root (hd0,0)` + `setup (hd0)`: stage1 into the MBR, e2fs_stage1_5 embedded after it, config = <grubDir>/menu.lst
 * (a symlink to grub.conf, as on CentOS). The shell exits 0 even on errors, so its output is checked.
 */
async function installGrubLegacy(image: string, grubDir: string, runDir: string, art: Artifacts): Promise<string> {
  const deviceMap = path.join(runDir, 'device.map'); // own empty map: never rely on /dev/null
  await fs.writeFile(deviceMap, '');
  const script = [
    `device (hd0) ${image}`,
    'root (hd0,0)',
    `setup --prefix=${grubDir} (hd0)`,
    'quit',
    '',
  ].join('\n');
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(art.grub.shell, ['--batch', '--no-floppy', `--device-map=${deviceMap}`],
      { timeout: 30_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`grub shell failed: ${err.message}\n${stdout}${stderr}`));
        else resolve(stdout + stderr);
      });
    child.stdin?.end(script);
  });
  await fs.writeFile(path.join(runDir, 'grub-setup.log'), out);
  await fs.rm(deviceMap, { force: true });
  if (/error|failed/i.test(out.replace(/succeeded/g, '')) || !/Running "install .*succeeded/s.test(out)) {
    throw new Error(`GRUB Legacy setup failed:\n${out}`);
  }
  return out;
}
