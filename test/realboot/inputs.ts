// The grub.conf inputs the real-boot tier feeds to `dom0up grub apply`: golden scenario inputs
// (golden/<name>/input.conf), and the seed host as it looks after `yum install xen`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './artifacts.js';

export interface Input {
  text: string;
  /** where it came from, for the test log */
  source: string;
}

export function golden(name: string): Input {
  return { text: readFileSync(path.join(REPO_ROOT, 'golden', name, 'input.conf'), 'utf8'), source: `golden/${name}/input.conf` };
}

const ARGS_C610 = 'ro root=/dev/mapper/vg_c610-lv_root rd_NO_LUKS KEYBOARDTYPE=pc KEYTABLE=us LANG=en_US.UTF-8 rd_NO_MD ' +
  'rd_LVM_LV=vg_c610/lv_swap SYSFONT=latarcyrheb-sun16 crashkernel=auto rd_LVM_LV=vg_c610/lv_root rd_NO_DM rhgb quiet';

/** Insert `stanza` before the first `title` line (grubby --add-kernel puts new entries at index 0). */
function insertFirst(conf: string, stanza: string): string {
  const m = /^[ \t]*title[ \t=]/m.exec(conf);
  if (!m) return conf + stanza;
  return conf.slice(0, m.index) + stanza + conf.slice(m.index);
}

/**
 * Seed host (notes' "before" grub.conf) after `yum install xen` pulled in the Virt SIG 4.9 kernel: its %post
 * (new-kernel-pkg → grubby --add-kernel --copy-default --make-default) added a plain entry at index 0, made it the
 * default (default=0 stays 0), with the default entry's arguments on one line.
 */
export function seedAfterYumInput(): Input {
  const base = golden('seed-centos610');
  const nl = base.text.includes('\r\n') ? '\r\n' : '\n';
  const stanza = ['title CentOS (4.9.241-37.el6.x86_64)', 'root (hd0,0)',
    `kernel /vmlinuz-4.9.241-37.el6.x86_64 ${ARGS_C610}`, 'initrd /initramfs-4.9.241-37.el6.x86_64.img', ''].join(nl);
  return { text: insertFirst(base.text, stanza), source: `${base.source} + plain 4.9.241-37 entry added as yum/grubby would` };
}

/** A CentOS 6 host without a separate /boot: (hd0,0) is /, paths are /boot/..., one plain 4.9 entry (default). */
export function noBootPartitionInput(): Input {
  return golden('no-boot-partition');
}

/**
 * A host where grub-bootxen.sh already wrote a Xen stanza with the Virt SIG defaults (XEN_KERNEL_ARGS of
 * /etc/sysconfig/xen-kernel), to be re-tuned. The hypervisor owns com1, so Xen's console is on the serial line.
 */
export function xenRetuneInput(): Input {
  return golden('already-xen-retune');
}
