// The disk of a test-bed host whose power cycle is real (test/testbed: a host spec with `realBoot`): its /boot
// partition, file by file, becomes the partition of a raw disk image with Red Hat's GRUB in the MBR, which
// host-firmware.ts then boots under QEMU.
//
// What goes on the partition: every directory, symlink and regular file of the host's /boot (the files the seed,
// the simulated yum and dom0up wrote), at the same path — grub.conf, menu.lst, the stage2 the host's own `grub
// --batch` edited (Red Hat's, installed by host-firmware.ts at the first power-on) byte for byte. The simulated
// kernel, initramfs and hypervisor files are marked by their content (`TESTBED:linux:REL`, `TESTBED:initramfs:REL`,
// `TESTBED:xen:VER`, the test bed's own convention: host/tb/common.py), and each is replaced by the real program
// that stands in for it under the same name: Debian's kernel, the tier's initramfs (naming the file it was loaded
// from), Debian's Xen. A file without a marker (a damaged initramfs, System.map, config-*) goes on the disk as the
// host has it. Left off: the splash image (Red Hat's GRUB with no VGA card resets the machine on one; see
// docs/realboot.md) and lost+found.
//
// GRUB is installed into the image as anaconda does it (`root (hd0,0)` + `setup (hd0)`: stage1 into the MBR,
// e2fs_stage1_5 embedded after it) from the partition's own /grub/stage1 and /grub/e2fs_stage1_5.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Artifacts } from './artifacts.js';
import { installGrubLegacy, readImageFile, standInInitramfs, writeImage, type DiskImage, type PlacedFile } from './disk.js';

/** The first line of a simulated boot file: `TESTBED:KIND:IDENT` (host/tb/common.py magic()). */
export function testbedMarker(head: Buffer): { kind: string; ident: string } | null {
  if (!head.subarray(0, 8).equals(Buffer.from('TESTBED:'))) return null;
  const line = head.toString('latin1').split('\n', 1)[0] ?? '';
  const parts = line.split(':');
  if (parts.length < 3) return null;
  return { kind: parts[1] ?? '', ident: parts.slice(2).join(':') };
}

/** Paths on the host's /boot partition that are not put on the disk, and why. */
export const LEFT_OFF: Record<string, string> = {
  '/lost+found': 'made by mke2fs',
  '/grub/splash.xpm.gz': "Red Hat's GRUB without a VGA card resets the machine on a splash image (docs/realboot.md)",
};

export interface HostDisk extends DiskImage {
  /** initramfs path on the partition -> the kernel release its host file was built for (its TESTBED marker) */
  initramfsRelease: Record<string, string>;
  /** host files copied as they are (no marker) */
  copied: string[];
  /** the stage2 file of the image after GRUB's setup (the boot's own writes are compared with it) */
  stage2: Buffer;
}

/** Build the disk image of a host's /boot partition (`bootDir`: where the lab mounted it) in `runDir`. */
export async function buildHostDisk(bootDir: string, runDir: string, art: Artifacts): Promise<HostDisk> {
  const t0 = Date.now();
  const stage = path.join(runDir, 'partition');
  await fs.rm(stage, { recursive: true, force: true });
  await fs.mkdir(stage, { recursive: true });
  const contents = new Map<string, string | Buffer>();
  const placed: PlacedFile[] = [];
  const copied: string[] = [];
  const initramfsRelease: Record<string, string> = {};
  const put = async (p: string, src: string | Buffer): Promise<void> => {
    const size = typeof src === 'string' ? (await fs.stat(src)).size : src.length;
    await fs.writeFile(path.join(stage, p), Buffer.alloc(size, 0xff)); // no all-zero block: libext2fs allocates every block
    contents.set(p, src);
  };
  const walk = async (rel: string): Promise<void> => {
    for (const e of await fs.readdir(path.join(bootDir, rel), { withFileTypes: true })) {
      const p = path.posix.join('/', rel, e.name);
      if (p in LEFT_OFF) continue;
      const src = path.join(bootDir, p);
      if (e.isSymbolicLink()) {
        await fs.symlink(await fs.readlink(src), path.join(stage, p));
      } else if (e.isDirectory()) {
        await fs.mkdir(path.join(stage, p));
        await walk(p);
      } else if (e.isFile()) {
        const fh = await fs.open(src, 'r');
        const head = Buffer.alloc(256);
        const { bytesRead } = await fh.read(head, 0, head.length, 0);
        await fh.close();
        const m = testbedMarker(head.subarray(0, bytesRead));
        if (m?.kind === 'linux') {
          await put(p, art.vmlinuz);
          placed.push({ path: p, standIn: 'kernel', source: `Debian vmlinuz-${art.kernelVersion} for ${m.ident}` });
        } else if (m?.kind === 'xen') {
          await put(p, art.xenGz);
          placed.push({ path: p, standIn: 'xen', source: `Debian ${art.xenGzName} for Xen ${m.ident}` });
        } else if (m?.kind === 'initramfs') {
          await put(p, await standInInitramfs(p, art, runDir));
          placed.push({ path: p, standIn: 'initramfs', source: `dom0up stand-in initramfs for ${m.ident}` });
          initramfsRelease[p] = m.ident;
        } else {
          await put(p, src);
          copied.push(p);
        }
      }
    }
  };
  await walk('');
  try {
    await fs.access(path.join(stage, 'grub', 'grub.conf'));
  } catch {
    throw new Error(`${bootDir} has no grub/grub.conf: the real-boot host supports a separate /boot partition only`);
  }
  const image = await writeImage(stage, contents, runDir, 'ext4', 'boot');
  const grubSetupLog = await installGrubLegacy(image, '/grub', runDir, art.rhelGrub.shell);
  await fs.rm(stage, { recursive: true, force: true });
  const stage2 = await readImageFile(image, '/grub/stage2', runDir);
  return {
    image, layout: 'boot-partition', loader: 'rhel', fs: 'ext4', grubConfPath: '/grub/grub.conf', placed, absent: Object.keys(LEFT_OFF),
    grubSetupLog, buildMs: Date.now() - t0, initramfsRelease, copied, stage2,
  };
}
