/**
 * The facts dom0up reads from a host before planning. Each is a command plus a pure parser.
 * Commands only read; they run as root (grub.conf is mode 600 on CentOS 6).
 */
import { decodeText } from '../io/decode-text.js';
import { boundedNumber, fact, FactParseError, fromBase64, keyValueLines, keyValues, lines, onlyKeys } from './fact.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A path as the host printed it: absolute, one line, no control characters (it ends up in commands). */
export function hostPath(v: string | undefined, what: string): string | null {
  if (v === undefined) return null;
  if (!v.startsWith('/') || CONTROL.test(v) || v.length > 4096) throw new FactParseError(`${what} ${JSON.stringify(v.slice(0, 60))} is not an absolute path`);
  return v;
}
import { existingDirsCommand, MANAGED_FILE_KEYS, managedFilesCommand, parseManagedFiles, type ManagedFile } from './file-facts.js';

// ---------------------------------------------------------------- OS release, kernel, arch
export interface OsRelease {
  text: string | null;
  /** 'centos' | 'rhel' | 'scientific' | 'oracle' | other lowercased first word | null */
  distro: string | null;
  major: number | null;
  minor: number | null;
}
export function parseRedhatRelease(text: string | null): OsRelease {
  if (text === null) return { text: null, distro: null, major: null, minor: null };
  const t = text.trim();
  const m = /release\s+(\d+)(?:\.(\d+))?/i.exec(t);
  let distro: string | null = null;
  if (/^CentOS/i.test(t)) distro = 'centos';
  else if (/^Red Hat Enterprise Linux/i.test(t)) distro = 'rhel';
  else if (/^Scientific Linux/i.test(t)) distro = 'scientific';
  else if (/^Oracle Linux/i.test(t)) distro = 'oracle';
  else if (t) distro = (t.split(/\s+/)[0] ?? '').toLowerCase();
  return { text: t, distro, major: m ? Number(m[1]) : null, minor: m && m[2] !== undefined ? Number(m[2]) : null };
}
export const osReleaseFact = fact('os_release', 'cat /etc/redhat-release', (o) => parseRedhatRelease(o.rc === 0 ? o.stdout : null));

export interface KernelFact {
  release: string;
  arch: string;
  bootId: string;
  /** The running kernel's command line (/proc/cmdline). */
  cmdline: string;
}
export const kernelFact = fact(
  'kernel',
  'echo "release=$(uname -r)"; echo "arch=$(uname -m)"; echo "boot_id=$(cat /proc/sys/kernel/random/boot_id)"; echo "cmdline=$(cat /proc/cmdline 2>/dev/null)"',
  (o): KernelFact => {
    onlyKeys(o.stdout, ['release', 'arch', 'boot_id', 'cmdline']);
    const kv = keyValues(o.stdout);
    const release = kv.get('release');
    const arch = kv.get('arch');
    const bootId = kv.get('boot_id');
    if (release === undefined || !/^[A-Za-z0-9._+~-]{1,128}$/.test(release)) throw new FactParseError(`release (uname -r) ${JSON.stringify((release ?? 'missing').slice(0, 60))} is not a kernel release`);
    if (arch === undefined || !/^[A-Za-z0-9_]{1,32}$/.test(arch)) throw new FactParseError(`arch (uname -m) ${JSON.stringify((arch ?? 'missing').slice(0, 60))} is not an architecture`);
    if (bootId === undefined || !UUID.test(bootId)) throw new FactParseError(`boot_id ${JSON.stringify((bootId ?? 'missing').slice(0, 60))} is not a UUID`);
    return { release, arch, bootId, cmdline: kv.get('cmdline') ?? '' };
  },
);

// ---------------------------------------------------------------- hypervisor and firmware
export interface HypervisorFact {
  /** Contents of /proc/xen/capabilities (null when absent). */
  capabilities: string | null;
  /** /sys/hypervisor/type (null when absent). */
  type: string | null;
  /** This host runs as the Xen control domain. */
  dom0: boolean;
  firmware: 'bios' | 'uefi';
}
export const hypervisorFact = fact(
  'hypervisor',
  'if [ -r /proc/xen/capabilities ]; then echo "caps=$(cat /proc/xen/capabilities)"; fi; ' +
    'if [ -r /sys/hypervisor/type ]; then echo "type=$(cat /sys/hypervisor/type)"; fi; ' +
    'if [ -d /sys/firmware/efi ]; then echo firmware=uefi; else echo firmware=bios; fi',
  (o): HypervisorFact => {
    onlyKeys(o.stdout, ['caps', 'type', 'firmware']);
    const kv = keyValues(o.stdout);
    const caps = kv.get('caps') ?? null;
    const fw = kv.get('firmware');
    if (fw !== 'bios' && fw !== 'uefi') throw new FactParseError(`firmware ${JSON.stringify((fw ?? 'missing').slice(0, 40))} is neither bios nor uefi`);
    return {
      capabilities: caps,
      type: kv.get('type') ?? null,
      dom0: caps !== null && /\bcontrol_d\b/.test(caps),
      firmware: kv.get('firmware') === 'uefi' ? 'uefi' : 'bios',
    };
  },
);

// ---------------------------------------------------------------- grub.conf
export interface FileStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  links: number;
  /** SELinux context, when the system reports one. */
  context: string | null;
}
export interface GrubConfigFact {
  /** The file GRUB 0.97 on RHEL 6 reads: /boot/grub/grub.conf with every symlink resolved. */
  realPath: string | null;
  /** The symlink chains from /etc/grub.conf and /boot/grub/grub.conf, e.g. ["/etc/grub.conf -> ../boot/grub/grub.conf"]. */
  links: string[];
  /** Where /etc/grub.conf leads (null when it does not exist). */
  etcTarget: string | null;
  stat: FileStat | null;
  bytes: Buffer | null;
  text: string | null;
  encoding: 'utf8' | 'latin1' | null;
}
const CHAIN = (p: string) =>
  `p=${p}; n=0; while [ -L "$p" ] && [ $n -lt 40 ]; do t=$(readlink "$p"); echo "link=$p -> $t"; case "$t" in /*) p=$t ;; *) p=$(dirname "$p")/$t ;; esac; n=$((n+1)); done`;
export const grubConfigFact = fact(
  'grub_config',
  [
    CHAIN('/etc/grub.conf'),
    CHAIN('/boot/grub/grub.conf'),
    'if [ -e /etc/grub.conf ]; then echo "etc=$(readlink -f /etc/grub.conf)"; fi',
    'if [ -e /boot/grub/grub.conf ]; then r=$(readlink -f /boot/grub/grub.conf); elif [ -e /etc/grub.conf ]; then r=$(readlink -f /etc/grub.conf); else r=; fi',
    'if [ -n "$r" ] && [ -f "$r" ]; then echo "real=$r"; echo "stat=$(stat -c "%a %u %g %s %h" "$r")"; echo "context=$(stat -c %C "$r" 2>/dev/null)"; echo "content=$(base64 < "$r" | tr -d "\\n")"; fi',
  ].join('\n'),
  (o): GrubConfigFact => {
    onlyKeys(o.stdout, ['link', 'etc', 'real', 'stat', 'context', 'content']);
    const { kv, lists } = keyValueLines(o.stdout, ['link']);
    const links = lists.get('link') ?? [];
    for (const l of links) if (CONTROL.test(l) || l.length > 8192) throw new FactParseError(`a symlink chain line holds control characters`);
    const realPath = hostPath(kv.get('real'), 'real path');
    let stat: FileStat | null = null;
    const st = kv.get('stat');
    if (st !== undefined) {
      const m = /^([0-7]{1,5}) (\d{1,10}) (\d{1,10}) (\d{1,16}) (\d{1,10})$/.exec(st);
      if (!m) throw new FactParseError(`stat ${JSON.stringify(st.slice(0, 60))} is not "MODE UID GID SIZE LINKS"`);
      const ctx = kv.get('context');
      stat = { mode: parseInt(m[1] as string, 8), uid: Number(m[2]), gid: Number(m[3]), size: Number(m[4]), links: Number(m[5]), context: ctx && ctx !== '?' ? ctx : null };
    }
    const content = kv.get('content');
    const bytes = realPath !== null && content !== undefined ? fromBase64(content, 'grub.conf') : null;
    const decoded = bytes ? decodeText(bytes) : null;
    return { realPath, links: [...new Set(links)], etcTarget: hostPath(kv.get('etc'), '/etc/grub.conf target'), stat, bytes, text: decoded?.text ?? null, encoding: decoded?.encoding ?? null };
  },
);

// ---------------------------------------------------------------- /boot
export interface BootFact {
  /** /boot is a separate file system (its device differs from /'s). */
  separate: boolean;
  /** Free space on /boot's file system, KiB. */
  freeKiB: number | null;
  sizeKiB: number | null;
  /** Names in /boot. */
  files: string[];
  /** Kernel versions with a vmlinuz-V in /boot. */
  kernels: string[];
  /** Versions that also have initramfs-V.img. */
  initramfs: string[];
  /** Target of the /boot/xen.gz symlink (null when absent or not a link). */
  xenLink: string | null;
  /** The RHEL 6 saved-entry word in /boot/grub/stage2 (offset 512+0xC), if readable. */
  stage2Saved: number | null;
}
export const bootFact = fact(
  'boot',
  [
    'echo "dev_root=$(stat -c %d /)"; echo "dev_boot=$(stat -c %d /boot)"',
    'df -Pk /boot | awk \'NR==2 { print "df=" $2 " " $4 }\'',
    'for f in /boot/* /boot/.[!.]*; do [ -e "$f" ] || [ -L "$f" ] || continue; echo "file=${f#/boot/}"; done',
    'if [ -L /boot/xen.gz ]; then echo "xen_link=$(readlink /boot/xen.gz)"; fi',
    'if [ -f /boot/grub/stage2 ]; then echo "stage2=$(od -An -tu4 -j 524 -N 4 /boot/grub/stage2 | tr -d " ")"; fi',
  ].join('\n'),
  (o): BootFact => {
    onlyKeys(o.stdout, ['dev_root', 'dev_boot', 'df', 'file', 'xen_link', 'stage2']);
    const { kv, lists } = keyValueLines(o.stdout, ['file']);
    if (!kv.has('dev_root') || !kv.has('dev_boot')) throw new FactParseError('no device numbers of / and /boot (stat -c %d)');
    const files = lists.get('file') ?? [];
    const df = (kv.get('df') ?? '').split(' ');
    const kernels = files.flatMap((f) => /^vmlinuz-(.+)$/.exec(f)?.[1] ?? []);
    const initramfs = files.flatMap((f) => /^initramfs-(.+)\.img$/.exec(f)?.[1] ?? []);
    const stage2 = kv.get('stage2');
    if (files.length > 100_000) throw new FactParseError(`/boot lists ${files.length} files; no real one holds that many`);
    return {
      separate: kv.get('dev_root') !== undefined && kv.get('dev_root') !== kv.get('dev_boot'),
      sizeKiB: boundedNumber(df[0], '/boot size (KiB)', 2 ** 50),
      freeKiB: boundedNumber(df[1], '/boot free space (KiB)', 2 ** 50),
      files,
      kernels,
      initramfs: initramfs.filter((v) => kernels.includes(v)),
      xenLink: kv.get('xen_link') ?? null,
      stage2Saved: boundedNumber(stage2 === '' ? undefined : stage2, 'the stage2 saved-entry word', 0xffffffff),
    };
  },
);

// ---------------------------------------------------------------- packages
export interface PackagesFact {
  /** name → installed versions (VERSION-RELEASE.ARCH). */
  installed: Record<string, string[]>;
}
export const PACKAGES = ['xen', 'xen-hypervisor', 'xen-runtime', 'xen-libs', 'kernel', 'centos-release-xen', 'centos-release-xen-common', 'centos-release-xen-410'];
export const packagesFact = fact(
  'packages',
  `rpm -q --qf '%{NAME} %{VERSION}-%{RELEASE}.%{ARCH}\\n' ${PACKAGES.join(' ')}`,
  (o): PackagesFact => {
    const installed: Record<string, string[]> = {};
    for (const l of lines(o.stdout)) {
      if (l.trim() === '' || /^package \S+ is not installed$/.test(l)) continue;
      const m = /^([A-Za-z0-9._+-]{1,128}) ([A-Za-z0-9._+~:-]{1,256})$/.exec(l);
      if (!m) throw new FactParseError(`rpm -q printed a line that is neither "NAME VERSION-RELEASE.ARCH" nor "package NAME is not installed": ${JSON.stringify(l.slice(0, 60))}`);
      (installed[m[1] as string] ??= []).push(m[2] as string);
    }
    return { installed };
  },
);

// ---------------------------------------------------------------- memory and CPUs
export interface ResourcesFact {
  memTotalMiB: number | null;
  cpus: number;
  /** Hardware virtualisation flags: HVM guests need vmx or svm; PV works without. */
  hvm: 'vmx' | 'svm' | null;
}
export const resourcesFact = fact(
  'resources',
  'awk \'/^MemTotal:/ { print "mem_kb=" $2 }\' /proc/meminfo; echo "cpus=$(grep -c ^processor /proc/cpuinfo)"; ' +
    'f=$(grep -m1 -o -w -E "vmx|svm" /proc/cpuinfo); echo "hvm=$f"',
  (o): ResourcesFact => {
    onlyKeys(o.stdout, ['mem_kb', 'cpus', 'hvm']);
    const kv = keyValues(o.stdout);
    if (!kv.has('mem_kb') || !kv.has('cpus')) throw new FactParseError('no mem_kb or cpus line (/proc/meminfo, /proc/cpuinfo)');
    // Linux builds for at most 8192 CPUs (NR_CPUS); memory up to 2^50 KiB
    const kb = boundedNumber(kv.get('mem_kb'), 'mem_kb (/proc/meminfo)', 2 ** 50);
    const cpus = boundedNumber(kv.get('cpus'), 'cpus (/proc/cpuinfo)', 8192);
    const hvm = kv.get('hvm');
    return { memTotalMiB: kb !== null && kb > 0 ? Math.floor(kb / 1024) : null, cpus: cpus ?? 0, hvm: hvm === 'vmx' || hvm === 'svm' ? hvm : null };
  },
);

// ---------------------------------------------------------------- config files read whole
export const KERNEL_SYSCONFIG = '/etc/sysconfig/kernel';
export const XEN_KERNEL_SYSCONFIG = '/etc/sysconfig/xen-kernel';
export const XL_CONF = '/etc/xen/xl.conf';
export const VIRT_SIG_KEY = '/etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization';
export const REPOS_DIR = '/etc/yum.repos.d';
/** Directories dom0up may have to create before writing into them (a minimal image lacks some). */
export const MANAGED_DIRS = ['/etc', '/etc/pki', '/etc/pki/rpm-gpg', REPOS_DIR, '/etc/xen', '/etc/sysconfig'];

export interface ConfigFile {
  path: string;
  text: string;
}
export interface ConfigFilesFact {
  repos: ConfigFile[];
  xenKernelSysconfig: string | null;
  kernelSysconfig: string | null;
  xlConf: string | null;
  gpgKey: string | null;
  /** /usr/bin/grub-bootxen.sh (the xen4centos helper) is installed. */
  xenHelper: boolean;
  /** Every file above (and each .repo), exactly: real path behind links, owner, mode, sha256, bytes. */
  managed: Record<string, ManagedFile>;
  /** Which of MANAGED_DIRS exist. */
  dirs: string[];
}
export const configFilesFact = fact(
  'config_files',
  [
    managedFilesCommand([KERNEL_SYSCONFIG, XEN_KERNEL_SYSCONFIG, XL_CONF, VIRT_SIG_KEY], [`${REPOS_DIR}/*.repo`]),
    existingDirsCommand(MANAGED_DIRS),
    'if [ -x /usr/bin/grub-bootxen.sh ]; then echo helper=1; fi',
  ].join('\n'),
  (o): ConfigFilesFact => {
    onlyKeys(o.stdout, [...MANAGED_FILE_KEYS, 'helper']);
    const { files, dirs } = parseManagedFiles(o.stdout);
    if (files.size > 1000) throw new FactParseError(`${files.size} files; no real host has that many .repo files`);
    const text = (p: string) => {
      const m = files.get(p);
      return m && m.text !== null ? m.text : null;
    };
    const repos: ConfigFile[] = [...files.values()].filter((m) => m.path.startsWith(`${REPOS_DIR}/`) && m.text !== null).map((m) => ({ path: m.path, text: m.text as string }));
    return {
      repos,
      xenKernelSysconfig: text(XEN_KERNEL_SYSCONFIG),
      kernelSysconfig: text(KERNEL_SYSCONFIG),
      xlConf: text(XL_CONF),
      gpgKey: text(VIRT_SIG_KEY),
      xenHelper: keyValues(o.stdout).get('helper') === '1',
      managed: Object.fromEntries(files),
      dirs,
    };
  },
);

// ---------------------------------------------------------------- /etc/fstab and the release name (what new-kernel-pkg uses)
export interface FstabFact {
  /** The device of the `/` line of /etc/fstab (new-kernel-pkg's root= for new entries). */
  rootDevice: string | null;
}
export const fstabFact = fact(
  'fstab',
  "awk '$1 !~ /^#/ && $2 == \"/\" { print \"root=\" $1; exit }' /etc/fstab 2>/dev/null",
  (o): FstabFact => {
    onlyKeys(o.stdout, ['root']);
    const root = keyValues(o.stdout).get('root');
    if (root !== undefined && (CONTROL.test(root) || root.length > 4096)) throw new FactParseError('the root device of /etc/fstab holds control characters');
    return { rootDevice: root ?? null };
  },
);

// ---------------------------------------------------------------- dom0up's own state on the host
export const STATE_DIR = '/var/lib/dom0up';
export const LOCK_PATH = `${STATE_DIR}/lock`;
export const RUNS_DIR = `${STATE_DIR}/runs`;
export interface LockInfo {
  runId: string;
  controller: string;
  pid: number;
  startedAt: string;
  command: string;
  /** The owner is rebooting the host: its lease lasts until this time (host clock, epoch seconds). */
  rebootUntil?: number;
}
/** How many run names the state fact lists (newest last); older ones exist but are not read. */
export const MAX_RUNS_LISTED = 400;
export interface StateFact {
  lock: LockInfo | null;
  /** The raw lock text when it could not be parsed. */
  lockRaw: string | null;
  /** Seconds since the lock's lease was last renewed (its mtime). */
  lockAgeS: number | null;
  /** Run ids with a journal on the host (oldest first, at most MAX_RUNS_LISTED of the newest). */
  runs: string[];
  /** The run whose pre-run state is never pruned (the host's first dom0up run). */
  origin: string | null;
  /** The latest run's step records (JSON lines), bounded. */
  lastRunSteps: string | null;
}
export const stateFact = fact(
  'state',
  [
    `if [ -f ${LOCK_PATH} ]; then echo "lock=$(head -c 65536 ${LOCK_PATH} | base64 | tr -d '\\n')"; echo "lock_age=$(( $(date +%s) - $(stat -c %Y ${LOCK_PATH}) ))"; fi`,
    `if [ -d ${RUNS_DIR} ]; then ls -1 ${RUNS_DIR} | LC_ALL=C sort | tail -n ${MAX_RUNS_LISTED} | sed 's/^/run=/'; fi`,
    `if [ -L ${STATE_DIR}/origin ]; then echo "origin=$(readlink ${STATE_DIR}/origin)"; fi`,
    `last=$(ls -1 ${RUNS_DIR} 2>/dev/null | LC_ALL=C sort | tail -n 1); if [ -n "$last" ] && [ -f "${RUNS_DIR}/$last/steps" ]; then echo "steps=$(tail -c 65536 "${RUNS_DIR}/$last/steps" | base64 | tr -d '\\n')"; fi`,
  ].join('\n'),
  (o): StateFact => {
    onlyKeys(o.stdout, ['lock', 'lock_age', 'run', 'origin', 'steps']);
    const { kv, lists } = keyValueLines(o.stdout, ['run']);
    if ((lists.get('run') ?? []).length > MAX_RUNS_LISTED) throw new FactParseError(`more than ${MAX_RUNS_LISTED} run names (the command lists at most that many)`);
    const raw = kv.has('lock') ? fromBase64(kv.get('lock') as string, 'the lock', 64 * 1024).toString('utf8') : null;
    const lock = raw ? parseLockInfo(raw) : null;
    const ageText = kv.get('lock_age');
    if (ageText !== undefined && !/^-?\d{1,12}$/.test(ageText)) throw new FactParseError(`lock_age ${JSON.stringify(ageText.slice(0, 24))} is not a number of seconds`);
    const age = Number(ageText);
    const origin = kv.get('origin')?.replace(/^runs\//, '') ?? null;
    return {
      lock,
      lockRaw: lock ? null : raw,
      lockAgeS: Number.isFinite(age) && kv.has('lock_age') ? age : null,
      runs: (lists.get('run') ?? []).filter((r) => RUN_ID.test(r)),
      origin: origin && RUN_ID.test(origin) ? origin : null,
      lastRunSteps: kv.has('steps') ? fromBase64(kv.get('steps') as string, 'the last run\'s steps', 64 * 1024).toString('utf8') : null,
    };
  },
);

/** Run ids as dom0up makes them: the UTC stamp and 6 hex digits (the millisecond and 3 random ones since 2026-12; e.g. 20261202T120000Z-3e7a1b). */
export const RUN_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/** The lock file: `dom0up-lock 1`, `run=`, `rebootUntil=`, `owner=<json>` lines (an older dom0up wrote the JSON alone). */
export function parseLockInfo(raw: string): LockInfo | null {
  if (raw.startsWith('dom0up-lock ')) {
    const owner = /^owner=(.*)$/m.exec(raw)?.[1];
    const info = owner ? parseLockInfo(owner) : null;
    const until = Number(/^rebootUntil=(\d+)$/m.exec(raw)?.[1] ?? 0);
    return info ? { ...info, ...(until > 0 ? { rebootUntil: until } : {}) } : null;
  }
  try {
    const j = JSON.parse(raw) as Partial<LockInfo>;
    if (typeof j.runId !== 'string') return null;
    return {
      runId: j.runId,
      controller: String(j.controller ?? '?'),
      pid: Number(j.pid ?? 0),
      startedAt: String(j.startedAt ?? '?'),
      command: String(j.command ?? '?'),
      ...(typeof j.rebootUntil === 'number' && Number.isFinite(j.rebootUntil) ? { rebootUntil: j.rebootUntil } : {}),
    };
  } catch {
    return null;
  }
}
