// Where the real-boot tier keeps its work: ${DOM0UP_REALBOOT_WORK:-/tmp/dom0up-realboot}, with the artifacts that
// setup.sh builds in artifacts/ and one folder per boot in runs/.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REALBOOT_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(REALBOOT_DIR, '..', '..');

export function workDir(): string {
  return process.env.DOM0UP_REALBOOT_WORK || '/tmp/dom0up-realboot';
}

export interface Artifacts {
  dir: string;
  /** version of the Debian kernel that really boots, e.g. 6.1.0-56-amd64 */
  kernelVersion: string;
  vmlinuz: string;
  /** the stand-in dom0 initramfs */
  initramfs: string;
  xenGz: string;
  /** file name of Debian's hypervisor image, e.g. xen-4.17-amd64.gz */
  xenGzName: string;
  /** Debian's grub-legacy 0.97-80 (the second opinion; reads ext2 with 128-byte inodes only) */
  grub: GrubBuild;
  /** CentOS 6's own grub-0.97-99.el6, built from shared/vendor/grub-el6 by setup.sh (the tier's default loader) */
  rhelGrub: GrubBuild;
}

export interface GrubBuild {
  /** the 32-bit GRUB shell (`/sbin/grub` on CentOS 6) */
  shell: string;
  stage1: string;
  stage2: string;
  e2fs_stage1_5: string;
}

export type Loader = 'rhel' | 'debian';

export function grubBuild(art: Artifacts, loader: Loader): GrubBuild {
  return loader === 'rhel' ? art.rhelGrub : art.grub;
}

export function loadArtifacts(dir = path.join(workDir(), 'artifacts')): Artifacts {
  const need = (f: string) => {
    const p = path.join(dir, f);
    if (!existsSync(p)) throw new Error(`real-boot artifact missing: ${p} (run test/realboot/setup.sh)`);
    return p;
  };
  return {
    dir,
    kernelVersion: readFileSync(need('KV'), 'utf8').trim(),
    vmlinuz: need('vmlinuz'),
    initramfs: need('initramfs.img'),
    xenGz: need('xen.gz'),
    xenGzName: readFileSync(need('XENGZ_NAME'), 'utf8').trim(),
    grub: {
      shell: need('grub/grub-shell'),
      stage1: need('grub/stage1'),
      stage2: need('grub/stage2'),
      e2fs_stage1_5: need('grub/e2fs_stage1_5'),
    },
    rhelGrub: {
      shell: need('../artifacts-rhel-grub/grub'),
      stage1: need('../artifacts-rhel-grub/stage1'),
      stage2: need('../artifacts-rhel-grub/stage2'),
      e2fs_stage1_5: need('../artifacts-rhel-grub/e2fs_stage1_5'),
    },
  };
}
