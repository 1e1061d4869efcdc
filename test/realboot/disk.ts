// Disk image builder for the real-boot tier: a raw disk with an msdos label and one partition (hd0,0), a real
// GRUB Legacy 0.97 installed into its MBR with the GRUB shell's `setup`, exactly as anaconda does on CentOS 6, and
// the grub.conf under test copied in byte for byte.
//
// Loaders and file systems:
//  - 'rhel' (default): CentOS 6's own grub-0.97-99.el6 (built from its source RPM by setup.sh) on ext4 as CentOS 6's
//    anaconda made /boot: 256-byte inodes, extents, 1 KiB blocks for a small partition, and CentOS 6's mke2fs
//    feature set (has_journal,extent,huge_file,flex_bg,uninit_bg,dir_nlink,extra_isize; no 64bit, no
//    metadata_csum: e2fsprogs 1.41.12 had neither, and Red Hat's GRUB refuses 64bit with Error 14).
//  - 'debian': Debian's grub-legacy 0.97-80 on ext2 with 128-byte inodes (all it can read), as a second opinion.
//
// Files are written without holes, as the kernel writes them on a CentOS host. `mke2fs -d` (libext2fs) leaves
// every all-zero block of a file unallocated (a hole); Red Hat's ext4 reader (grub-ext4-support.patch,
// ext4fs_block_map) has no notion of holes in extent-mapped files: it maps a hole to the block after the previous
// extent (wrong data, silently) or stops with `Error 16: Inconsistent filesystem structure`. See docs/realboot.md.
// So the image is populated with placeholder files of the right sizes that have no zero block, and then the real
// contents are written into the blocks the file system gave them.
//
// Two layouts, as on CentOS 6:
//  - 'boot-partition': (hd0,0) is a separate /boot: /grub/grub.conf, /xen.gz, /vmlinuz-V, /initramfs-V.img
//  - 'root-partition': (hd0,0) is / (no separate /boot): /boot/grub/grub.conf, /boot/xen.gz, /boot/vmlinuz-V, ...
//    plus /etc/grub.conf -> ../boot/grub/grub.conf
// Stand-ins: every file the config references whose name looks like vmlinuz-*, initramfs-* or xen*.gz and that
// lies in the layout's /boot directory is provided (Debian's kernel, our initramfs, Debian's xen.gz) under exactly
// that name. Anything else the config references is absent, so GRUB itself reports `Error 15: File not found`.
// No loop devices, no mounts: sfdisk + `mke2fs -d -E offset=` write the image file, debugfs reads it back.

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { grubBuild, type Artifacts, type Loader } from './artifacts.js';
import { readGrubConf, referencedFiles } from './grub-conf.js';
import { runGrubShell } from './grub-shell.js';

const run = promisify(execFile);

export type { Loader } from './artifacts.js';
export type FsKind = 'ext4' | 'ext2';

/** byte offset of partition 1 (start=2048 sectors) */
export const PART_OFFSET = 1048576;

/** mke2fs arguments: what CentOS 6 makes (ext4), or what Debian's GRUB 0.97 can read (ext2) */
export function mkfsArgs(fs: FsKind): string[] {
  return fs === 'ext4'
    ? ['-t', 'ext4', '-I', '256', '-O', '^64bit,^metadata_csum,uninit_bg']
    : ['-t', 'ext2', '-I', '128'];
}

export function defaultFsFor(loader: Loader): FsKind {
  return loader === 'rhel' ? 'ext4' : 'ext2';
}

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
  loader: Loader;
  fs: FsKind;
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

/** A newc cpio archive holding /etc/initrd-name (the kernel unpacks archives appended to an initramfs). */
async function nameArchive(name: string, runDir: string): Promise<Buffer> {
  const d = path.join(runDir, 'initrd-name');
  await fs.rm(d, { recursive: true, force: true });
  await fs.mkdir(path.join(d, 'etc'), { recursive: true });
  await fs.writeFile(path.join(d, 'etc', 'initrd-name'), `${name}\n`);
  const out = await new Promise<Buffer>((resolve, reject) => {
    const child = execFile('cpio', ['-o', '-H', 'newc', '--quiet'], { cwd: d, encoding: 'buffer' }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    child.stdin?.end('etc\netc/initrd-name\n');
  });
  await fs.rm(d, { recursive: true, force: true });
  return out;
}

export interface DiskOptions {
  loader?: Loader;
  fs?: FsKind;
}

export async function buildDisk(grubConfText: string, layout: Layout, runDir: string, art: Artifacts, o: DiskOptions = {}): Promise<DiskImage> {
  const t0 = Date.now();
  const loader = o.loader ?? 'rhel';
  const fsKind = o.fs ?? defaultFsFor(loader);
  const g = grubBuild(art, loader);
  const stage = path.join(runDir, 'partition');
  await fs.rm(stage, { recursive: true, force: true });
  const bootDir = bootDirOf(layout);
  const grubDir = path.posix.join(bootDir, 'grub');
  const at = (p: string) => path.join(stage, p);
  /** partition path -> where its real contents come from (the staged file is a placeholder of the same size) */
  const contents = new Map<string, string | Buffer>();
  const put = async (p: string, src: string | Buffer): Promise<void> => {
    const size = typeof src === 'string' ? (await fs.stat(src)).size : src.length;
    await fs.mkdir(path.dirname(at(p)), { recursive: true });
    await fs.writeFile(at(p), Buffer.alloc(size, 0xff)); // no all-zero block: libext2fs allocates every block
    contents.set(p, src);
  };

  // GRUB Legacy files, as the grub package installs them on CentOS
  await fs.mkdir(at(grubDir), { recursive: true });
  await put(path.posix.join(grubDir, 'grub.conf'), Buffer.from(grubConfText, 'utf8'));
  await fs.symlink('./grub.conf', at(path.posix.join(grubDir, 'menu.lst')));
  for (const f of ['stage1', 'stage2', 'e2fs_stage1_5'] as const) await put(path.posix.join(grubDir, f), g[f]);
  if (layout === 'root-partition') {
    await fs.mkdir(at('/etc'), { recursive: true });
    await fs.symlink('../boot/grub/grub.conf', at('/etc/grub.conf'));
  }
  // CentOS always has /boot/grub/splash.xpm.gz (and its grub.conf always names it). Debian's GRUB 0.97 hangs
  // silently on a missing splash image, so for it the standard file is always there, wherever the config points.
  // Red Hat's GRUB is given none: the test machine has no VGA card (so GRUB's text screen reaches the serial line
  // through SeaBIOS), and without one Red Hat's graphics code resets the machine when it finds a splash image
  // (measured); with no image it prints "failed to read image" and carries on in text mode, as with a VGA card.
  const placed: PlacedFile[] = [];
  if (loader === 'debian') {
    await put(path.posix.join(grubDir, 'splash.xpm.gz'), splashXpmGz());
    placed.push({ path: path.posix.join(grubDir, 'splash.xpm.gz'), standIn: 'splash', source: 'generated 640x480 XPM' });
  }

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
        await put(versioned, art.xenGz);
        xenPlaced = true;
      }
      if (path.posix.basename(ref) === 'xen.gz') await fs.symlink(art.xenGzName, at(ref));
      else if (ref !== versioned) await put(ref, art.xenGz);
      placed.push({ path: ref, standIn: 'xen', source: `Debian ${art.xenGzName}` });
    } else if (kind === 'kernel') {
      await put(ref, art.vmlinuz);
      placed.push({ path: ref, standIn: 'kernel', source: `Debian vmlinuz-${art.kernelVersion}` });
    } else {
      // our initramfs plus a small archive that names the file it was loaded from (its /init reports it), in one
      // gzip stream: GRUB gunzips modules and takes the size from the gzip trailer at the end of the file, so an
      // archive merely appended to the file would make GRUB pass an empty module
      const cpio = gunzipSync(await fs.readFile(art.initramfs));
      await put(ref, gzipSync(Buffer.concat([cpio, Buffer.alloc((4 - (cpio.length % 4)) % 4), await nameArchive(ref, runDir)]), { level: 1 }));
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
  await run('mke2fs', ['-q', '-F', ...mkfsArgs(fsKind), '-L', layout === 'boot-partition' ? 'boot' : 'root',
    '-d', stage, '-E', `offset=${PART_OFFSET}`, image, `${sizeMiB * 1024 - 1024}k`]);
  await fillContents(image, contents);

  const grubSetupLog = await installGrubLegacy(image, grubDir, runDir, g.shell);
  await fs.rm(stage, { recursive: true, force: true });
  return {
    image, layout, loader, fs: fsKind, grubConfPath: path.posix.join(grubDir, 'grub.conf'), placed, absent, grubSetupLog,
    buildMs: Date.now() - t0,
  };
}

// ---- reading and writing files inside the image (debugfs; no mounts) ---------------------------------------------

const spec = (image: string) => `${image}?offset=${PART_OFFSET}`;

async function debugfs(image: string, requests: string[], write = false): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = execFile('debugfs', [...(write ? ['-w'] : []), '-f', '-', spec(image)], { maxBuffer: 64 << 20 }, (err, out, errOut) => {
      if (err) reject(new Error(`debugfs failed: ${err.message}\n${errOut}`));
      else resolve(out);
    });
    child.stdin?.end(requests.join('\n') + '\n');
  });
}

export async function blockSize(image: string): Promise<number> {
  const out = await debugfs(image, ['stats']);
  const m = /^Block size:\s+(\d+)/m.exec(out);
  if (!m) throw new Error(`cannot read the block size of ${image}`);
  return Number(m[1]);
}

/**
 * Logical block -> physical block of a file, from debugfs's `stat` (its BLOCKS/EXTENTS list, e.g.
 * `(0-11):312-323, (IND):324, (12-267):325-580` or `(ETB0):15122, (0-14):6907-6921`). Metadata blocks (IND, DIND,
 * TIND, ETBn) are not data; `debugfs blocks` would list them among the data blocks. A hole is left undefined.
 */
export function parseBlockMap(statOutput: string): number[] {
  const at = statOutput.search(/^(BLOCKS|EXTENTS):/m);
  const map: number[] = [];
  if (at < 0) return map;
  for (const m of statOutput.slice(at).matchAll(/\((\d+)(?:-(\d+))?\):(\d+)(?:-(\d+))?/g)) {
    const l1 = Number(m[1]);
    const l2 = m[2] === undefined ? l1 : Number(m[2]);
    const p1 = Number(m[3]);
    for (let l = l1; l <= l2; l++) map[l] = p1 + (l - l1);
  }
  return map;
}

/** The block maps of several files, one debugfs run. */
async function blockMaps(image: string, paths: string[]): Promise<Map<string, number[]>> {
  const out = await debugfs(image, paths.map((p) => `stat ${p}`));
  const maps = new Map<string, number[]>();
  for (const part of out.split(/^debugfs: stat /m).slice(1)) {
    const nl = part.indexOf('\n');
    maps.set(part.slice(0, nl).trim(), parseBlockMap(part.slice(nl + 1)));
  }
  for (const p of paths) if (!maps.has(p)) throw new Error(`debugfs: no block map for ${p}`);
  return maps;
}

/** Write the real contents of files (placeholders of the same size in the image) into their own blocks. */
async function fillContents(image: string, contents: Map<string, string | Buffer>): Promise<void> {
  const bs = await blockSize(image);
  const maps = await blockMaps(image, [...contents.keys()]);
  const fh = await fs.open(image, 'r+');
  try {
    for (const [p, src] of contents) {
      const data = typeof src === 'string' ? await fs.readFile(src) : src;
      const blocks = maps.get(p)!;
      const need = Math.ceil(data.length / bs);
      for (let i = 0; i < need; i++) if (blocks[i] === undefined) throw new Error(`${p}: logical block ${i} has no block (a hole)`);
      for (let i = 0; i * bs < data.length; i++) {
        await fh.write(data, i * bs, Math.min(bs, data.length - i * bs), PART_OFFSET + blocks[i]! * bs);
      }
    }
  } finally {
    await fh.close();
  }
}

/** The contents of a file in the image */
export async function readImageFile(image: string, p: string, tmpDir: string): Promise<Buffer> {
  const out = path.join(tmpDir, `dump-${process.pid}-${Date.now()}-${path.posix.basename(p)}`);
  await debugfs(image, [`dump ${p} ${out}`]);
  try {
    return await fs.readFile(out);
  } catch {
    throw new Error(`${p} is not in ${image}`);
  } finally {
    await fs.rm(out, { force: true });
  }
}

/**
 * Write new contents of a file of the same size into the file's own blocks, as the page cache of a running host
 * writes a file edited in place (what `grub --batch`'s savedefault does to /boot/grub/stage2). Returns the
 * blocks written.
 */
export async function writeImageFileInPlace(image: string, p: string, data: Buffer, tmpDir: string): Promise<number[]> {
  const old = await readImageFile(image, p, tmpDir);
  if (old.length !== data.length) throw new Error(`${p}: in-place write of ${data.length} bytes over a file of ${old.length}`);
  const bs = await blockSize(image);
  const blocks = (await blockMaps(image, [p])).get(p)!;
  for (let i = 0; i * bs < data.length; i++) if (blocks[i] === undefined) throw new Error(`${p}: logical block ${i} has no block (a hole)`);
  const written: number[] = [];
  const fh = await fs.open(image, 'r+');
  try {
    for (let i = 0; i * bs < data.length; i++) {
      const a = i * bs;
      const b = Math.min(data.length, a + bs);
      if (old.subarray(a, b).equals(data.subarray(a, b))) continue;
      await fh.write(data, a, b - a, PART_OFFSET + blocks[i]! * bs);
      written.push(blocks[i]!);
    }
  } finally {
    await fh.close();
  }
  return written;
}

/**
 * Replace a file by a new one (a new inode, as dom0up's atomic write does: temporary file + rename). Text files
 * only: the new file must have no all-zero block (libext2fs would leave a hole there).
 */
export async function replaceImageFile(image: string, p: string, data: Buffer, tmpDir: string): Promise<void> {
  const local = path.join(tmpDir, `new-${process.pid}-${Date.now()}-${path.posix.basename(p)}`);
  await fs.writeFile(local, data);
  try {
    await debugfs(image, [`rm ${p}`, `write ${local} ${p}`], true);
  } finally {
    await fs.rm(local, { force: true });
  }
  const back = await readImageFile(image, p, tmpDir);
  if (!back.equals(data)) throw new Error(`${p} in ${image} does not hold what was written`);
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
 * The GRUB shell (32-bit; natively or under qemu-i386, see grub-shell.ts), run on the image file:
 * `root (hd0,0)` + `setup (hd0)`: stage1 into the MBR, e2fs_stage1_5 embedded after it, config = <grubDir>/menu.lst
 * (a symlink to grub.conf, as on CentOS). The shell exits 0 even on errors, so its output is checked.
 */
export async function installGrubLegacy(image: string, grubDir: string, runDir: string, shell: string): Promise<string> {
  const deviceMap = path.join(runDir, 'device.map'); // own empty map: never rely on /dev/null
  await fs.writeFile(deviceMap, '');
  const script = [
    `device (hd0) ${image}`,
    'root (hd0,0)',
    `setup --prefix=${grubDir} (hd0)`,
    'quit',
    '',
  ].join('\n');
  const out = await runGrubShell(shell, ['--batch', '--no-floppy', `--device-map=${deviceMap}`], script);
  await fs.writeFile(path.join(runDir, 'grub-setup.log'), out);
  await fs.rm(deviceMap, { force: true });
  if (/error|failed/i.test(out.replace(/succeeded/g, '')) || !/Running "install .*succeeded/s.test(out)) {
    throw new Error(`GRUB Legacy setup failed:\n${out}`);
  }
  return out;
}
