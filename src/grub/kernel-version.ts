/** Kernel versions: extraction from image names and RPM-style ordering (rpmvercmp). */

/** Strips a GRUB device prefix such as `(hd0,0)` from a path. */
export function stripDevice(path: string): string {
  return path.replace(/^\([^)]*\)/, '');
}

export function basename(path: string): string {
  const p = stripDevice(path);
  const i = p.lastIndexOf('/');
  return i >= 0 ? p.slice(i + 1) : p;
}

/** The directory part of a GRUB path including any device prefix and the trailing slash. */
export function dirnameWithSlash(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(0, i + 1) : '/';
}

/** `vmlinuz-4.9.241-37.el6.x86_64` → `4.9.241-37.el6.x86_64`. */
export function versionFromImage(path: string): string | undefined {
  const m = /^(?:vmlinuz|vmlinux|bzImage|kernel)-(.+)$/.exec(basename(path));
  return m?.[1];
}

/** `initramfs-V.img` / `initrd-V.img` → V. */
export function versionFromInitrd(path: string): string | undefined {
  const m = /^(?:initramfs|initrd)-(.+?)(?:kdump)?\.img$/.exec(basename(path));
  return m?.[1];
}

/** Is this the image of the Xen hypervisor (`xen.gz`, `xen-4.10.4-….gz`, `xen`)? */
export function isXenImage(path: string): boolean {
  return /^xen(?:[-.][^/]*)?(?:\.gz)?$/.test(basename(path)) && !/^xen.*\.(?:img|config)$/.test(basename(path));
}

/**
 * rpmvercmp: compares alternating runs of digits and letters; separators only separate.
 * Returns <0, 0, >0.
 */
export function rpmVerCmp(a: string, b: string): number {
  if (a === b) return 0;
  const seg = /(\d+|[a-zA-Z]+|~|\^)/g;
  const sa = a.match(seg) ?? [];
  const sb = b.match(seg) ?? [];
  let i = 0;
  for (; i < sa.length && i < sb.length; i++) {
    const x = sa[i] as string;
    const y = sb[i] as string;
    if (x === '~' || y === '~') {
      if (x !== y) return x === '~' ? -1 : 1;
      continue;
    }
    const xNum = /^\d/.test(x);
    const yNum = /^\d/.test(y);
    if (xNum !== yNum) return xNum ? 1 : -1; // numeric segments are newer than alpha ones
    if (xNum) {
      const xs = x.replace(/^0+/, '');
      const ys = y.replace(/^0+/, '');
      if (xs.length !== ys.length) return xs.length - ys.length;
      if (xs !== ys) return xs < ys ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  if (i < sa.length) return sa[i] === '~' ? -1 : 1;
  if (i < sb.length) return sb[i] === '~' ? 1 : -1;
  return 0;
}

/** Linux 3.0 and later can run as a Xen Dom0 (pv_ops dom0); the stock EL6 2.6.32 cannot. */
export function canBeDom0(version: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  return Number(m[1]) >= 3;
}
