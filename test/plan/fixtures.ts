// Host facts for planner tests, without SSH: the same fact parsers the tool uses, fed the output
// their commands print on a CentOS 6.10 host of the given shape. So a fixture is "what the host
// answered", and the planner is tested from facts in to plan out.
import { createHash } from 'node:crypto';
import { HOST_FACTS, xlFacts, type HostFacts } from '../../src/facts/index.js';
import { hostFactsOf } from '../../src/apply/waits.js';
import { renderGpgKey, renderRepoFile } from '../../src/repo/index.js';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const sha = (s: string | Buffer) => createHash('sha256').update(Buffer.from(s)).digest('hex');

export const STOCK = '2.6.32-754.el6.x86_64';
export const SIG = '4.9.241-37.el6.x86_64';
export const SIG_NEW = '4.9.250-38.el6.x86_64';

export const SYSCONFIG_KERNEL = '# UPDATEDEFAULT specifies if new-kernel-pkg should make\n# new kernels the default\nUPDATEDEFAULT=yes\n\n# DEFAULTKERNEL specifies the default kernel package type\nDEFAULTKERNEL=kernel\n';

export interface HostShape {
  grubConf: string;
  /** Kernel versions with vmlinuz in /boot (and initramfs unless listed in noInitramfs). */
  kernels: string[];
  noInitramfs?: string[];
  bootPartition?: boolean;
  /** Xen packages and /boot/xen.gz installed. */
  xenInstalled?: boolean;
  /** Running under Xen with this command line (else running `running` without Xen). */
  xenCmdline?: string;
  running?: string;
  files?: Record<string, string>;
  helper?: boolean;
  stage2?: number;
  memMiB?: number;
  cpus?: number;
  dirs?: string[];
  /** The repo file and the key dom0up writes are in place (a host after a first run). */
  repoWritten?: boolean;
}

function managedBlock(path: string, text: string): string {
  return `file=${path}\nreal=${path}\nstat=644 0 0 ${Buffer.byteLength(text)}\nctx=?\nsha=${sha(text)}\ndata=${b64(text)}\nend=1\n`;
}

/** The HostFacts a host of this shape reports (parsed by the real fact parsers). */
export function hostFacts(h: HostShape): HostFacts {
  const sep = h.bootPartition !== false;
  const running = h.running ?? (h.xenCmdline ? SIG : STOCK);
  const written = h.repoWritten ? { [renderRepoFile().path]: renderRepoFile().content, [renderGpgKey().path]: renderGpgKey().content } : {};
  const files = { '/etc/sysconfig/kernel': SYSCONFIG_KERNEL, '/etc/yum.repos.d/CentOS-Base.repo': '[base]\nname=CentOS-6.10 - Base\nbaseurl=http://vault.centos.org/6.10/os/$basearch/\ngpgcheck=1\n', ...written, ...(h.files ?? {}) };
  const bootFiles = ['grub', 'System.map-' + STOCK, ...h.kernels.map((k) => `vmlinuz-${k}`), ...h.kernels.filter((k) => !(h.noInitramfs ?? []).includes(k)).map((k) => `initramfs-${k}.img`), ...(h.xenInstalled ? ['xen.gz', 'xen-4.10.4.134.g6ea37c69c7-2.el6.gz'] : [])];
  const mem = h.memMiB ?? 4096;
  const cpus = h.cpus ?? 4;
  const dom0 = h.xenCmdline !== undefined;
  const out: Record<string, { stdout: string; rc: number }> = {
    os_release: { stdout: 'CentOS release 6.10 (Final)\n', rc: 0 },
    kernel: { stdout: `release=${running}\narch=x86_64\nboot_id=6f3e054e-cb93-4824-9e97-3a666a09d9af\ncmdline=ro root=/dev/mapper/vg-lv_root\n`, rc: 0 },
    hypervisor: { stdout: `${dom0 ? 'caps=control_d\ntype=xen\n' : ''}firmware=bios\n`, rc: 0 },
    grub_config: { stdout: `link=/etc/grub.conf -> ../boot/grub/grub.conf\netc=/boot/grub/grub.conf\nreal=/boot/grub/grub.conf\nstat=600 0 0 ${Buffer.byteLength(h.grubConf)} 1\ncontext=?\ncontent=${b64(h.grubConf)}\n`, rc: 0 },
    boot: { stdout: `dev_root=64768\ndev_boot=${sep ? 2049 : 64768}\ndf=487652 401202\n${bootFiles.map((f) => `file=${f}`).join('\n')}\n${h.xenInstalled ? 'xen_link=xen-4.10.4.134.g6ea37c69c7-2.el6.gz\n' : ''}stage2=${h.stage2 ?? 0}\n`, rc: 0 },
    packages: { stdout: `${h.kernels.map((k) => `kernel ${k}`).join('\n')}\n${h.xenInstalled ? 'xen 4.10.4.134.g6ea37c69c7-2.el6.x86_64\nxen-hypervisor 4.10.4.134.g6ea37c69c7-2.el6.x86_64\n' : ''}`, rc: 0 },
    resources: { stdout: `mem_kb=${dom0 ? 1024 * 1024 : mem * 1024}\ncpus=${dom0 ? 2 : cpus}\nhvm=vmx\n`, rc: 0 },
    config_files: { stdout: Object.entries(files).map(([p, t]) => managedBlock(p, t)).join('') + (h.dirs ?? ['/etc', '/etc/pki', '/etc/pki/rpm-gpg', '/etc/yum.repos.d', '/etc/sysconfig', ...(h.xenInstalled ? ['/etc/xen'] : [])]).map((d) => `dir=${d}`).join('\n') + '\n' + (h.helper ? 'helper=1\n' : ''), rc: 0 },
    fstab: { stdout: 'root=/dev/mapper/vg_centos6-lv_root\n', rc: 0 },
    state: { stdout: '', rc: 0 },
    xl_list: dom0 ? { stdout: `Name                                        ID   Mem VCPUs\tState\tTime(s)\nDomain-0                                     0  1024     2     r-----      41.3\n`, rc: 0 } : { stdout: 'xl: command not found\n', rc: 127 },
    xl_info: dom0 ? { stdout: `host                   : c6\nrelease                : ${running}\nnr_cpus                : ${cpus}\nmax_cpu_id             : ${cpus - 1}\ntotal_memory           : ${mem}\nfree_memory            : 100\nxen_major              : 4\nxen_minor              : 10\nxen_commandline        : ${h.xenCmdline}\n`, rc: 0 } : { stdout: '', rc: 127 },
    xl_vcpu_list: dom0 ? { stdout: 'Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)\nDomain-0                             0     0    0   r--      25.1  0 / all\nDomain-0                             0     1    1   -b-      18.9  1 / all\n', rc: 0 } : { stdout: '', rc: 127 },
    xl_dmesg: dom0 ? { stdout: `(XEN) Command line: ${h.xenCmdline}\n`, rc: 0 } : { stdout: '', rc: 127 },
  };
  const all: Record<string, unknown> = {};
  for (const [key, f] of Object.entries({ ...HOST_FACTS, ...xlFacts })) all[key] = f.parse(out[f.name]!);
  return hostFactsOf(all as Parameters<typeof hostFactsOf>[0]);
}

/** The anaconda grub.conf of a fresh CentOS 6.10 host (separate /boot). */
export function anacondaConf(entries: string, defaultLine = 'default=0'): string {
  return `# grub.conf generated by anaconda\n#boot=/dev/sda\n${defaultLine}\ntimeout=5\nsplashimage=(hd0,0)/grub/splash.xpm.gz\nhiddenmenu\n${entries}`;
}

export function plainEntry(v: string, title = `CentOS (${v})`, prefix = '/'): string {
  return `title ${title}\n\troot (hd0,0)\n\tkernel ${prefix}vmlinuz-${v} ro root=/dev/mapper/vg_centos6-lv_root rd_NO_LUKS LANG=en_US.UTF-8 crashkernel=auto rhgb quiet\n\tinitrd ${prefix}initramfs-${v}.img\n`;
}

export function xenEntry(v: string, args: string, title = `CentOS (${v})`, prefix = '/'): string {
  return `title ${title}\n\troot (hd0,0)\n\tkernel ${prefix}xen.gz ${args}\n\tmodule ${prefix}vmlinuz-${v} ro root=/dev/mapper/vg_centos6-lv_root rd_NO_LUKS LANG=en_US.UTF-8 crashkernel=auto rhgb quiet\n\tmodule ${prefix}initramfs-${v}.img\n`;
}
