// The dom0up test bed: fleets of simulated CentOS 6.10 hosts, each a real OpenSSH sshd on a loopback
// address (127.0.0.x) running chrooted in its own overlay of this machine's root, in its own mount,
// PID, UTS and IPC namespaces. See docs/testbed.md for what is real and what is a stand-in.
//
// Needs root, util-linux (unshare, nsenter), openssh-server (sshd), python3, e2fsprogs, gcc (the
// /proc/xen shim), namespaces, overlayfs, loop devices: test/testbed/machine.ts probes each;
// test/testbed/ensure-deps.sh installs the missing packages on Debian.
import { spawn, execFile, execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineFeatures, missingReason } from './machine.js';

export interface HostSpec {
  name?: string;
  /** /boot is its own (ext4, loop-mounted, size-limited) partition; default true */
  bootPartition?: boolean;
  layout?: 'stock' | 'seed-lvm';
  xen?: 'none' | 'running';
  /** centos-release-xen installed: /usr/bin/grub-bootxen.sh, CentOS-Xen.repo (EOL mirror), the Virt SIG key */
  xenHelper?: boolean;
  /** sshd offers OpenSSH 5.3-era algorithms only (ssh-rsa host key, RSA user keys, dh-group14/gex, aes-ctr/cbc) */
  legacyCrypto?: boolean;
  /** a login `admin` with sudo NOPASSWD and `Defaults requiretty`; default true */
  sudoUser?: boolean;
  /** /etc/redhat-release; default 'CentOS release 6.10 (Final)' */
  release?: string;
  /** uname -m; default x86_64 */
  arch?: string;
  /** /sys/firmware/efi present */
  uefi?: boolean;
  /** RAM of the machine; default 4096 */
  memMiB?: number;
  /** CPUs of the machine; default 4 */
  cpus?: number;
  /** Xen's max_cpu_id (nr_cpu_ids-1); default cpus-1 */
  maxCpuId?: number;
  cpuFlags?: 'vmx' | 'svm' | 'none';
  /** size of the /boot partition; default 500 */
  bootSizeMiB?: number;
  /** initial /boot/grub/grub.conf (replaces the anaconda one) */
  grubConf?: string;
  /** how long a rebooting host stays down (no TCP listener); default 1000 */
  downtimeMs?: number;
  /** Xen panics reboot after this long ("Reboot in five seconds..."); default 5000 */
  xenPanicRebootMs?: number;
  /** after a Xen boot, xl fails with the xenstore error for this long; default 1000 */
  xencommonsDelayMs?: number;
  /** between `reboot` returning and the host going down; default 300 */
  rebootDelayMs?: number;
  /** delay between lines of yum output; default 15 */
  yumLineDelayMs?: number;
  /** startHosts waits until the host is up (or failed to boot); default true */
  wait?: boolean;
}

export interface TestHost {
  name: string;
  host: string;
  port: number;
  username: 'root';
  privateKeyPath: string;
  hostKey: string;
  knownHostsLine: string;
  dir: string;
  sudo?: { username: string; privateKeyPath: string };
}

export interface Fleet {
  hosts: TestHost[];
  knownHostsPath: string;
  dir: string;
  stop(): Promise<void>;
}

export interface BootRecord {
  bootId: string | null;
  entryIndex: number | null;
  title: string | null;
  hypervisor: 'xen' | 'none';
  kernelRelease: string | null;
  xenCmdline?: string | null;
  dom0Cmdline?: string | null;
  /** the Linux command line (/proc/cmdline) */
  cmdline?: string | null;
  result: 'up' | 'bootfail' | 'panic';
  error?: string | null;
  /** every entry GRUB tried (fallback), with its error */
  attempts: { entryIndex: number; title: string; error: string | null }[];
  /** the one-shot entry (savedefault --once) consumed at this boot */
  once?: number | null;
  dom0MemMiB?: number;
  dom0Vcpus?: number;
  time: string;
}

export type HostState = 'booting' | 'up' | 'down' | 'bootfail' | 'off';
export type FaultKnob =
  | 'yum-fail'
  | 'reboot-hangs'
  | 'never-return'
  | 'xen-panic'
  | 'slow-xencommons'
  | 'boot-full'
  | 'host-key-change'
  | 'kernel-update';

export const TESTBED_DIR = path.dirname(fileURLToPath(import.meta.url));
const LAB_PY = path.join(TESTBED_DIR, 'lab', 'lab.py');
const HOSTCTL_PY = path.join(TESTBED_DIR, 'lab', 'hostctl.py');
const MACHINE_CLI = path.join(TESTBED_DIR, 'host');
const FIRST_SLOT = 10;
/** Slots per 127.0.B.0/24 block: 127.0.B.10 … 127.0.B.249 (slots 0–239 are the original 127.0.0.x ones). */
const SLOTS_PER_BLOCK = 240;
/** 4 blocks (127.0.0.x … 127.0.3.x): 960 hosts at once. All of 127/8 is loopback on Linux. */
const SLOTS = 4 * SLOTS_PER_BLOCK;

export function stateDir(): string {
  return process.env.DOM0UP_TESTBED_STATE || '/tmp/dom0up-testbed';
}
function port(): number {
  return Number(process.env.DOM0UP_TESTBED_PORT || 2222);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- prerequisites ---------------------------------------------------------------------------------
function which(cmd: string): string | null {
  for (const d of (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(d, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** null when this machine can run the test bed, else the reason it cannot: every missing feature, what
 *  it is for and how to get it (test/testbed/machine.ts probes them; DOM0UP_MACHINE_MISSING simulates). */
export function testbedUnavailableReason(): string | null {
  return missingReason(machineFeatures({ stateDir: stateDir() }));
}

// ---- state dir, slots, keys ------------------------------------------------------------------------
function ensureStateDir(): string {
  const s = stateDir();
  fs.mkdirSync(s, { recursive: true, mode: 0o700 });
  const marker = path.join(s, '.dom0up-testbed');
  if (!fs.existsSync(marker)) {
    const entries = fs.readdirSync(s).filter((e) => !['slots', 'fleets', 'keys', 'build'].includes(e));
    if (entries.length) throw new Error(`test bed state dir ${s} exists and is not a test bed state dir; refusing to use it`);
    fs.writeFileSync(marker, 'dom0up test bed state\n');
  }
  for (const d of ['slots', 'fleets', 'keys', 'build']) fs.mkdirSync(path.join(s, d), { recursive: true });
  return s;
}

function procStart(pid: number): string | null {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
function alive(pid: number, start?: string | null): boolean {
  const s = procStart(pid);
  return s !== null && (!start || s === start);
}
function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}
function children(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
function comm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

interface FleetMeta {
  id: string;
  runId: string | null;
  ownerPid: number;
  ownerStart: string | null;
  labUnsharePid?: number;
  labUnshareStart?: string | null;
  slots: number[];
  hosts: Record<string, unknown>[];
  preload: string | null;
}

function readMeta(fleetDir: string): FleetMeta | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(fleetDir, 'fleet.json'), 'utf8')) as FleetMeta;
  } catch {
    return null;
  }
}

/** Kill a fleet's lab (one SIGKILL ends every host), wait until its processes are gone, remove its
 *  disks and release its slots. Only kills a PID whose command line is this fleet's lab. */
async function destroyFleet(fleetDir: string): Promise<void> {
  const meta = readMeta(fleetDir);
  const pids: number[] = [];
  if (meta?.labUnsharePid && alive(meta.labUnsharePid, meta.labUnshareStart) && cmdline(meta.labUnsharePid).includes(fleetDir)) {
    pids.push(meta.labUnsharePid, ...children(meta.labUnsharePid));
    try {
      process.kill(meta.labUnsharePid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const labPid = Number(readText(path.join(fleetDir, 'lab.pid')) || 0);
  if (labPid && alive(labPid) && cmdline(labPid).includes(fleetDir)) {
    pids.push(labPid);
    try {
      process.kill(labPid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  // a PID namespace's init finishes dying only after every process of the namespace is gone
  const deadline = Date.now() + 10_000;
  while (pids.some((p) => alive(p) && !zombie(p)) && Date.now() < deadline) await sleep(20);
  // the loop devices of the /boot images detach (autoclear) once their last mount is gone
  const images = (meta?.hosts ?? []).map((h) => path.join(String(h.dir), 'boot.img'));
  while (images.some((i) => loopOf(i)) && Date.now() < deadline) await sleep(20);
  fs.rmSync(fleetDir, { recursive: true, force: true });
  for (const s of meta?.slots ?? []) releaseSlot(s, meta!.id);
}

function zombie(pid: number): boolean {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function loopOf(image: string): string | null {
  let names: string[] = [];
  try {
    names = fs.readdirSync('/sys/block').filter((n) => n.startsWith('loop'));
  } catch {
    return null;
  }
  for (const n of names) {
    try {
      if (fs.readFileSync(`/sys/block/${n}/loop/backing_file`, 'utf8').trim().replace(/ \(deleted\)$/, '') === image) return n;
    } catch {
      /* not attached */
    }
  }
  return null;
}

function readText(p: string): string | null {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

function slotDir(n: number) {
  return path.join(stateDir(), 'slots', String(n).padStart(3, '0'));
}
function releaseSlot(n: number, fleetId: string) {
  const d = slotDir(n);
  try {
    const o = JSON.parse(fs.readFileSync(path.join(d, 'owner.json'), 'utf8'));
    if (o.fleet !== fleetId) return;
  } catch {
    /* half-claimed: remove */
  }
  fs.rmSync(d, { recursive: true, force: true });
}

/** Remove fleets and slots whose owning process is dead (a crashed or killed test worker). */
export async function cleanStale(): Promise<void> {
  const s = stateDir();
  if (!fs.existsSync(path.join(s, '.dom0up-testbed'))) return;
  const fdir = path.join(s, 'fleets');
  // several processes may clean at once: anything may vanish under us
  for (const id of fs.existsSync(fdir) ? fs.readdirSync(fdir) : []) {
    const d = path.join(fdir, id);
    try {
      const meta = readMeta(d);
      const created = fs.statSync(d).mtimeMs;
      if (meta ? !alive(meta.ownerPid, meta.ownerStart) : Date.now() - created > 60_000) await destroyFleet(d);
    } catch {
      /* removed meanwhile */
    }
  }
  const sdir = path.join(s, 'slots');
  for (const n of fs.existsSync(sdir) ? fs.readdirSync(sdir) : []) {
    const d = path.join(sdir, n);
    let o: { pid?: number; start?: string; fleet?: string } | null = null;
    try {
      o = JSON.parse(fs.readFileSync(path.join(d, 'owner.json'), 'utf8'));
    } catch {
      o = null;
    }
    try {
      const age = Date.now() - fs.statSync(d).mtimeMs;
      if (o ? !alive(o.pid!, o.start) : age > 60_000) fs.rmSync(d, { recursive: true, force: true });
    } catch {
      /* removed meanwhile */
    }
  }
}

async function portFree(host: string, p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(p, host, () => srv.close(() => resolve(true)));
  });
}

async function claimSlots(count: number, fleetId: string): Promise<number[]> {
  const got: number[] = [];
  const start = procStart(process.pid);
  for (let i = 0; i < SLOTS && got.length < count; i++) {
    const d = slotDir(i);
    try {
      fs.mkdirSync(d);
    } catch {
      continue;
    }
    fs.writeFileSync(path.join(d, 'owner.json'), JSON.stringify({ pid: process.pid, start, fleet: fleetId }));
    if (!(await portFree(addressOf(i), port()))) {
      fs.writeFileSync(path.join(d, 'owner.json'), JSON.stringify({ pid: process.pid, start, fleet: 'port-in-use' }));
      fs.rmSync(d, { recursive: true, force: true });
      continue;
    }
    got.push(i);
  }
  if (got.length < count) {
    for (const n of got) releaseSlot(n, fleetId);
    throw new Error(`test bed: no free slot for ${count} host(s) (${SLOTS} slots under ${stateDir()}/slots)`);
  }
  return got;
}

/** Slot N → 127.0.⌊N/240⌋.(10 + N mod 240): the first 240 slots keep their 127.0.0.x addresses. */
function addressOf(slot: number) {
  return `127.0.${Math.floor(slot / SLOTS_PER_BLOCK)}.${FIRST_SLOT + (slot % SLOTS_PER_BLOCK)}`;
}

function keygen(file: string, type: 'rsa' | 'ed25519' = 'rsa'): void {
  if (fs.existsSync(file) && fs.existsSync(file + '.pub')) return;
  const tmp = `${file}.${process.pid}.${Date.now()}`;
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048', '-m', 'PEM'] : []), '-N', '', '-C', `dom0up-testbed-${path.basename(file)}`, '-f', tmp], { stdio: 'ignore' });
  // publish the pair atomically: .pub first, then the private key (readers check both)
  fs.renameSync(tmp + '.pub', file + '.pub.tmp' + process.pid);
  try {
    fs.linkSync(tmp, file);
    fs.renameSync(file + '.pub.tmp' + process.pid, file + '.pub');
  } catch {
    fs.rmSync(file + '.pub.tmp' + process.pid, { force: true });
  }
  fs.rmSync(tmp, { force: true });
  for (let i = 0; i < 100 && !fs.existsSync(file + '.pub'); i++) execFileSync('sleep', ['0.02']);
}

/** The client keys tests log in with (shared by all fleets of this state dir): RSA, as CentOS 6 needs. */
export function clientKeys(): { root: string; admin: string; ed25519: string } {
  const k = path.join(ensureStateDir(), 'keys');
  const root = path.join(k, 'id_rsa');
  const admin = path.join(k, 'admin_rsa');
  const ed = path.join(k, 'id_ed25519');
  keygen(root);
  keygen(admin);
  keygen(ed, 'ed25519');
  return { root, admin, ed25519: ed };
}

let preloadWarned = false;
/** Build (once per source version) the ld.so.preload shim that shows /proc/xen and /sys/hypervisor. */
function buildPreload(): string | null {
  // redirect.c (/proc/xen) and faultpoints.c (fault points) make one library
  const srcs = ['redirect.c', 'faultpoints.c'].map((f) => path.join(TESTBED_DIR, 'lab', f));
  const h = createHash('sha256');
  for (const f of srcs) h.update(fs.readFileSync(f));
  const hash = h.digest('hex').slice(0, 16);
  const out = path.join(stateDir(), 'build', `tbredirect-${hash}.so`);
  if (fs.existsSync(out)) return out;
  const gcc = which('gcc') || which('cc');
  if (!gcc) {
    if (!preloadWarned) console.warn('dom0up test bed: no gcc, so /proc/xen/capabilities and /sys/hypervisor/type are not simulated and the rename/write/exec fault points are unavailable');
    preloadWarned = true;
    return null;
  }
  const tmp = `${out}.${process.pid}.tmp`;
  execFileSync(gcc, ['-shared', '-fPIC', '-O2', '-o', tmp, ...srcs, '-ldl'], { stdio: 'pipe' });
  fs.renameSync(tmp, out);
  return out;
}

// ---- fleets ----------------------------------------------------------------------------------------
const fleets = new Map<string, { dir: string; stop: () => Promise<void> }>();
let exitHook = false;
let counter = 0;

function installExitHook() {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    // synchronous context: ask each lab to end its hosts and remove its disks (lab.py shutdown); a lab
    // also does that by itself within a second of this process being gone (its owner watchdog)
    for (const f of fleets.values()) {
      const pid = Number(readText(path.join(f.dir, 'lab.pid')) || 0);
      if (pid && alive(pid) && cmdline(pid).includes(f.dir)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    }
  });
}

function rootDeviceFor(s: HostSpec): string {
  if (s.layout === 'seed-lvm') return '/dev/mapper/vg_c610-lv_root';
  if (s.bootPartition === false) return 'UUID=7a1b2c3d-4e5f-4061-8a7b-9c0d1e2f3a4b';
  return '/dev/mapper/VolGroup-lv_root';
}

/** Start simulated hosts (fresh disks every time). specs: a count, or one spec per host; common:
 *  defaults for every host. Resolves when every host is up (or, for hosts meant to fail, has failed). */
export async function startHosts(specs: number | HostSpec[], common: HostSpec = {}): Promise<Fleet> {
  const reason = testbedUnavailableReason();
  if (reason) throw new Error(`dom0up test bed unavailable: ${reason}`);
  const list: HostSpec[] = typeof specs === 'number' ? Array.from({ length: specs }, () => ({})) : specs;
  if (!list.length) throw new Error('startHosts: no hosts');
  const s = ensureStateDir();
  await cleanStale();
  const keys = clientKeys();
  const preload = buildPreload();
  const id = `${process.pid}-${Date.now().toString(36)}-${++counter}`;
  const slots = await claimSlots(list.length, id);
  const dir = path.join(s, 'fleets', id);
  fs.mkdirSync(path.join(dir, 'hosts'), { recursive: true });
  const names = new Set<string>();
  const hostCfgs: Record<string, unknown>[] = [];
  const rootPub = fs.readFileSync(keys.root + '.pub', 'utf8');
  const adminPub = fs.readFileSync(keys.admin + '.pub', 'utf8');
  list.forEach((one, i) => {
    const spec: HostSpec = { ...common, ...one };
    const slot = slots[i]!;
    const name = spec.name ?? `centos6-${String(slot).padStart(3, '0')}`;
    if (names.has(name)) throw new Error(`startHosts: two hosts named ${name}`);
    names.add(name);
    const hdir = path.join(dir, 'hosts', name);
    fs.mkdirSync(path.join(hdir, 'ctl', 'faults'), { recursive: true });
    fs.mkdirSync(path.join(hdir, 'ctl', 'fired'), { recursive: true });
    const full = {
      name,
      dir: hdir,
      address: addressOf(slot),
      port: port(),
      bootPartition: spec.bootPartition !== false,
      layout: spec.layout ?? 'stock',
      xen: spec.xen ?? 'none',
      xenHelper: !!spec.xenHelper,
      legacyCrypto: !!spec.legacyCrypto,
      sudoUser: spec.sudoUser !== false,
      release: spec.release ?? 'CentOS release 6.10 (Final)',
      arch: spec.arch ?? 'x86_64',
      uefi: !!spec.uefi,
      memMiB: spec.memMiB ?? 4096,
      cpus: spec.cpus ?? 4,
      maxCpuId: spec.maxCpuId,
      cpuFlags: spec.cpuFlags ?? 'vmx',
      bootSizeMiB: spec.bootSizeMiB ?? 500,
      grubConf: spec.grubConf,
      downtimeMs: spec.downtimeMs ?? 1000,
      xenPanicRebootMs: spec.xenPanicRebootMs ?? 5000,
      xencommonsDelayMs: spec.xencommonsDelayMs ?? 1000,
      rebootDelayMs: spec.rebootDelayMs ?? 300,
      yumLineDelayMs: spec.yumLineDelayMs ?? 15,
      rootDevice: rootDeviceFor(spec),
      bootUuid: randomUUID(),
      wait: spec.wait !== false,
    };
    fs.writeFileSync(path.join(hdir, 'ctl', 'spec.json'), JSON.stringify(full, null, 1));
    fs.writeFileSync(path.join(hdir, 'ctl', 'seed.json'), JSON.stringify({ ...full, rootPubKey: rootPub, adminPubKey: adminPub }));
    hostCfgs.push(full);
  });
  const meta: FleetMeta = {
    id,
    runId: process.env.DOM0UP_TESTBED_RUN ?? null,
    ownerPid: process.pid,
    ownerStart: procStart(process.pid),
    slots,
    hosts: hostCfgs,
    preload,
  };
  fs.writeFileSync(path.join(dir, 'fleet.json'), JSON.stringify(meta, null, 1));
  installExitHook();
  const log = fs.openSync(path.join(dir, 'lab.log'), 'a');
  const lab = spawn('unshare', ['--pid', '--mount', '--fork', '--kill-child', '--propagation', 'private', '--', '/usr/bin/python3', '-I', '-B', LAB_PY, dir], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  lab.unref();
  meta.labUnsharePid = lab.pid;
  meta.labUnshareStart = lab.pid ? procStart(lab.pid) : null;
  fs.writeFileSync(path.join(dir, 'fleet.json'), JSON.stringify(meta, null, 1));
  const stop = async () => {
    fleets.delete(id);
    await destroyFleet(dir);
  };
  fleets.set(id, { dir, stop });
  const keyFor = (h: { dir: string }) => hostKeyOf(h.dir);
  try {
    // the lab installs a few disks at a time, so a large fleet takes a while (0.4–1 s per host on 2
    // loaded cores): a host fails to come up only when no host of the fleet came up for 120 s
    const progress = { last: Date.now() };
    // (hundreds of hosts polling every 40 ms would take a core from the boots themselves)
    const pollMs = Math.min(500, 40 + 2 * hostCfgs.length);
    await Promise.all(hostCfgs.map((h) => waitBooted(String(h.dir), Boolean(h.wait), dir, 120_000, progress, pollMs)));
  } catch (e) {
    const logs = hostCfgs.map((h) => `--- ${h.name}\n${(readText(path.join(String(h.dir), 'ctl', 'console.log')) ?? '').slice(-3000)}${readText(path.join(String(h.dir), 'ctl', 'seed.log')) ?? ''}`).join('\n');
    await stop();
    throw new Error(`${(e as Error).message}\n${readText(path.join(dir, 'lab.log')) ?? ''}${logs}`);
  }
  const hosts: TestHost[] = hostCfgs.map((h) => {
    const hostKey = keyFor({ dir: String(h.dir) });
    const t: TestHost = {
      name: String(h.name),
      host: String(h.address),
      port: Number(h.port),
      username: 'root',
      privateKeyPath: keys.root,
      hostKey,
      knownHostsLine: `[${h.address}]:${h.port} ${hostKey}`,
      dir: String(h.dir),
    };
    if (h.sudoUser) t.sudo = { username: 'admin', privateKeyPath: keys.admin };
    return t;
  });
  const knownHostsPath = path.join(dir, 'known_hosts');
  fs.writeFileSync(knownHostsPath, hosts.map((h) => h.knownHostsLine).join('\n') + '\n');
  return { hosts, knownHostsPath, dir, stop };
}

function hostKeyOf(hostDir: string): string {
  const pub = readText(path.join(hostDir, 'ctl', 'hostkey.pub'));
  return pub ? pub.trim().split(/\s+/).slice(0, 2).join(' ') : '';
}

/** The host key the host presents now (differs from TestHost.hostKey after 'host-key-change'). */
export function currentHostKey(h: TestHost): string {
  return hostKeyOf(h.dir);
}

async function waitBooted(hostDir: string, wait: boolean, fleetDir: string, timeoutMs = 120_000, progress = { last: Date.now() }, pollMs = 40): Promise<void> {
  const name = path.basename(hostDir);
  const done = () => {
    progress.last = Date.now();
  };
  for (;;) {
    const deadline = progress.last + timeoutMs;
    const err = readText(path.join(fleetDir, 'lab.error'));
    if (err) throw new Error(`test bed lab failed: ${err}`);
    const st = readText(path.join(hostDir, 'ctl', 'state'))?.trim();
    const seeded = fs.existsSync(path.join(hostDir, 'ctl', 'seeded'));
    if (!seeded && st === 'bootfail') throw new Error(`test bed: ${name} could not be installed:\n${readText(path.join(hostDir, 'ctl', 'seed.log')) ?? ''}`);
    if (seeded) {
      if (!wait) return done();
      const spec = JSON.parse(readText(path.join(hostDir, 'ctl', 'spec.json'))!);
      if (st === 'up' && (await sshBanner(spec.address, spec.port, 1000))) return done();
      if (st === 'bootfail' || st === 'off') return done(); // meant to fail: the test reads bootLog()
    }
    if (Date.now() > deadline) throw new Error(`test bed: ${name} not up, and no host of its fleet came up for ${timeoutMs} ms (state ${st})`);
    await sleep(pollMs);
  }
}

function lastBoot(hostDir: string): BootRecord | null {
  const lines = (readText(path.join(hostDir, 'ctl', 'boots.jsonl')) ?? '').trim().split('\n').filter(Boolean);
  return lines.length ? (JSON.parse(lines[lines.length - 1]!) as BootRecord) : null;
}

function sshBanner(host: string, p: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port: p });
    let buf = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\n')) done(buf.startsWith('SSH-2.0-'));
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(buf.startsWith('SSH-2.0-')));
  });
}

/** Stop every fleet this process started. */
export async function stopAllHosts(): Promise<void> {
  await Promise.all([...fleets.values()].map((f) => f.stop()));
}

/** Stop every fleet of a test run (vitest global teardown): fleets whose runId matches, from any process. */
export async function stopRun(runId: string): Promise<void> {
  await stopAllHosts();
  const fdir = path.join(stateDir(), 'fleets');
  for (const id of fs.existsSync(fdir) ? fs.readdirSync(fdir) : []) {
    const d = path.join(fdir, id);
    if (readMeta(d)?.runId === runId) await destroyFleet(d);
  }
  await cleanStale();
}

// ---- control and inspection ------------------------------------------------------------------------
function ctl(h: TestHost, ...p: string[]) {
  return path.join(h.dir, 'ctl', ...p);
}
function fleetDirOf(h: TestHost) {
  return path.dirname(path.dirname(h.dir));
}
function labPid(h: TestHost): number {
  const fd = fleetDirOf(h);
  const pid = Number(readText(path.join(fd, 'lab.pid')) || 0);
  if (!pid || !alive(pid) || !cmdline(pid).includes(fd)) throw new Error(`test bed: the lab of ${h.name} is not running`);
  return pid;
}
function spec(h: TestHost): Record<string, unknown> {
  return JSON.parse(readText(ctl(h, 'spec.json')) ?? '{}');
}

export async function hostState(h: TestHost): Promise<HostState> {
  return ((readText(ctl(h, 'state')) ?? 'off').trim() || 'off') as HostState;
}

async function waitState(h: TestHost, ok: (s: HostState) => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await hostState(h);
    if (ok(st)) return st;
    if (Date.now() > deadline) throw new Error(`test bed: ${h.name} ${what} (state ${st})`);
    await sleep(25);
  }
}

/** Wait until the host is up and its sshd answers with an SSH banner. */
export async function waitUp(h: TestHost, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await hostState(h);
    if (st === 'up' && (await sshBanner(h.host, h.port, 1000))) return;
    if (Date.now() > deadline) throw new Error(`test bed: ${h.name} not up after ${timeoutMs} ms (state ${st})`);
    await sleep(40);
  }
}

/** Set a fault knob. value: yum-fail: the output (string) or {output, exitCode}; slow-xencommons: ms;
 *  kernel-update: the newer kernel version-release the Virt SIG repo offers (default 4.9.241-38.el6);
 *  the others are on/off. 'boot-full' fills /boot at once (real ENOSPC); 'host-key-change' applies at the next boot.
 *  'reboot-hangs': the reboot programs never return, AND an SSH command that runs one (also detached:
 *  `nohup sh -c 'sleep 1; shutdown -r now' &`) never gets its exit status: the connection just drops
 *  when the host goes down (exec fault points; needs the preload library, i.e. gcc). */
export async function setFault(
  h: TestHost,
  knob: FaultKnob,
  value?: string | number | boolean | { output: string; exitCode?: number; stderr?: boolean },
): Promise<void> {
  const f = ctl(h, 'faults', knob);
  let content = '1';
  if (knob === 'yum-fail') {
    const v = typeof value === 'object' && value !== null ? value : { output: typeof value === 'string' ? value : undefined };
    content = JSON.stringify(v);
  } else if (knob === 'slow-xencommons') {
    content = String(typeof value === 'number' ? value : Number(value ?? 5000));
  } else if (knob === 'kernel-update') {
    content = typeof value === 'string' ? value : '4.9.241-38.el6';
  } else if (knob === 'boot-full') {
    if (!spec(h).bootPartition) throw new Error(`setFault boot-full: ${h.name} has no /boot partition`);
    execFileSync('/usr/bin/python3', ['-I', '-B', HOSTCTL_PY, 'fill', bootMount(h)], { stdio: 'pipe' });
  }
  if (knob === 'reboot-hangs') await rebootHangsPoints(h, true);
  fs.writeFileSync(f + '.tmp', content);
  fs.renameSync(f + '.tmp', f);
}

export async function clearFault(h: TestHost, knob: FaultKnob): Promise<void> {
  if (knob === 'boot-full') execFileSync('/usr/bin/python3', ['-I', '-B', HOSTCTL_PY, 'unfill', bootMount(h)], { stdio: 'pipe' });
  if (knob === 'reboot-hangs') await rebootHangsPoints(h, false);
  fs.rmSync(ctl(h, 'faults', knob), { force: true });
}

function bootMount(h: TestHost): string {
  return `/proc/${labPid(h)}/root${path.join(h.dir, 'bootmnt')}`;
}

/** Hard power cut: SIGKILL to the host's namespaces. The host stays off until powerOn. */
export async function powerCut(h: TestHost): Promise<void> {
  fs.writeFileSync(ctl(h, 'power-cut'), '1');
  process.kill(labPid(h), 'SIGUSR1');
  await waitState(h, (s) => s === 'off', 15_000, 'did not power off');
}

/** The power button: boots a host that is off (or stuck after a failed boot). */
export async function powerOn(h: TestHost): Promise<void> {
  fs.writeFileSync(ctl(h, 'power-on'), '1');
  process.kill(labPid(h), 'SIGUSR1');
  await waitState(h, (s) => s !== 'off' && s !== 'bootfail', 15_000, 'did not power on');
}

/** Cut every SSH connection of the host now (its sshd session processes are killed; the listener
 *  stays, new connections work). With killCommands, the commands those sessions run die too. */
export async function dropConnections(h: TestHost, opts: { killCommands?: boolean } = {}): Promise<number> {
  const init = Number(readText(ctl(h, 'init.pid')) || 0);
  if (!init || !alive(init) || !cmdline(init).includes(h.dir)) return 0;
  const listener = children(init).find((p) => comm(p) === 'sshd');
  if (!listener) return 0;
  const victims: number[] = [];
  const walk = (p: number) => {
    for (const c of children(p)) {
      if (opts.killCommands || comm(c) === 'sshd') victims.push(c);
      walk(c);
    }
  };
  walk(listener);
  for (const v of victims) {
    try {
      process.kill(v, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return victims.length;
}

/** Read a file of the host's disk from outside, as the host sees it (symlinks followed inside the
 *  host, e.g. /etc/grub.conf -> ../boot/grub/grub.conf). null if it does not exist. */
export async function readHostFile(h: TestHost, p: string): Promise<string | null> {
  const b = await readHostFileBuffer(h, p);
  return b === null ? null : b.toString('utf8');
}

export async function readHostFileBuffer(h: TestHost, p: string): Promise<Buffer | null> {
  const init = Number(readText(ctl(h, 'init.pid')) || 0);
  const run = (cmd: string, args: string[]) =>
    new Promise<Buffer | null>((resolve, reject) => {
      execFile(cmd, args, { encoding: 'buffer', maxBuffer: 64 << 20 }, (err, stdout) => {
        if (!err) return resolve(stdout);
        const code = (err as unknown as { code?: number | string }).code;
        if (code === 2 || code === 1) return resolve(null);
        reject(err);
      });
    });
  if (init && (await hostState(h)) === 'up' && alive(init) && cmdline(init).includes(h.dir)) {
    return run('nsenter', ['-t', String(init), '-m', '--', 'chroot', path.join(h.dir, 'root'), '/usr/bin/env', 'TB_FP_OFF=1', '/bin/cat', '--', p]);
  }
  const boot = spec(h).bootPartition ? bootMount(h) : '';
  return run('/usr/bin/python3', ['-I', '-B', HOSTCTL_PY, 'read', h.dir, p, boot]);
}

/** Write a file on the host's disk from outside (e.g. repair grub.conf of a host that fails to boot). */
export async function writeHostFile(h: TestHost, p: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const init = Number(readText(ctl(h, 'init.pid')) || 0);
  if (init && alive(init) && cmdline(init).includes(h.dir)) {
    await new Promise<void>((resolve, reject) => {
      const c = spawn('nsenter', ['-t', String(init), '-m', '--', 'chroot', path.join(h.dir, 'root'), '/usr/bin/env', 'TB_FP_OFF=1', '/bin/sh', '-c', 'cat > "$1" && chmod "$2" "$1"', 'sh', p, mode.toString(8)], {
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`writeHostFile ${p}: ${err}`))));
      c.stdin.end(data);
    });
    return;
  }
  // host down: write into its disk directly (the /boot image through the lab, the rest into the overlay upper dir)
  const parts = p.split('/').filter(Boolean);
  let real: string;
  if (spec(h).bootPartition && parts[0] === 'boot') real = path.join(bootMount(h), ...parts.slice(1));
  else real = path.join(h.dir, 'upper', ...parts);
  if (fs.existsSync(real) && fs.lstatSync(real).isSymbolicLink()) throw new Error(`writeHostFile: ${p} is a symlink on ${h.name}; write its target`);
  fs.mkdirSync(path.dirname(real), { recursive: true });
  fs.writeFileSync(real, data, { mode });
}

/** Every boot of the host, oldest first. */
export async function bootLog(h: TestHost): Promise<BootRecord[]> {
  return (readText(ctl(h, 'boots.jsonl')) ?? '')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as BootRecord);
}

/** The host's console: power events, GRUB's screen, Xen and Linux boot messages. */
export async function consoleLog(h: TestHost): Promise<string> {
  return readText(ctl(h, 'console.log')) ?? '';
}

/** Run the boot firmware's GRUB reader on grub.conf edge cases without a host (see test/testbed/firmware.test.ts).
 *  Each case: { conf, files?, bootPartition?, savedWord?, spec?, faults? } -> { record, config, log, savedWordOut }. */
export function firmwareBatch(cases: unknown[]): {
  record: BootRecord & { rebootAfterPanic?: boolean };
  config: { entries: { index: number; title: string; commands: string[] }[]; default: number; fallback: number[]; fallbackActive: boolean; timeout: number; once: number | null; notes: string[]; ignored: string[] } | null;
  log: string[];
  savedWordOut: number;
}[] {
  const out = execFileSync('/usr/bin/python3', ['-I', '-B', '-c', 'import sys; sys.path.insert(0, sys.argv[1]); from tb import machine; sys.exit(machine.main(["m", "batch"]))', MACHINE_CLI], {
    input: JSON.stringify(cases),
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out.toString('utf8'));
}

// ---- the next-boot oracle ----------------------------------------------------------------------------
// Which entry GRUB boots NEXT, computed by the test bed's own firmware (host/tb/nextboot.py: grub0.py's
// reading rules and machine.py's Xen/Linux start-up), never by dom0up's code. Nothing on the host
// changes: a pending one-shot boot is consumed only in memory.

/** One predicted power-on. */
export interface NextBootStep {
  /** the entry GRUB boots (after fallback), or null when it cannot pick one */
  entryIndex: number | null;
  title: string | null;
  hypervisor: 'xen' | 'none';
  /** hypervisor === 'xen' */
  xen: boolean;
  /** the Linux kernel's release (Domain-0's under Xen), from the image file */
  kernelRelease: string | null;
  /** Xen's command line (the multiboot kernel line minus the image, cut at ` -- `) */
  xenCmdline: string | null;
  dom0Cmdline: string | null;
  /** the Linux command line */
  cmdline: string | null;
  /** up: userspace comes up (files present, initramfs matches, root= right); panic: Xen or Linux panics; bootfail: GRUB error, dracut shell, menu waits */
  result: 'up' | 'panic' | 'bootfail';
  boots: boolean;
  error: string | null;
  /** every entry GRUB tried, in order (fallback), with its error */
  attempts: { entryIndex: number; title: string; error: string | null }[];
  /** the one-shot entry consumed at this boot (savedefault --once), or null */
  once: number | null;
  /** a Xen panic / Domain-0 crash reboots by itself ("Reboot in five seconds...") */
  rebootAfterPanic: boolean;
  dom0MemMiB?: number;
  dom0Vcpus?: number;
  entries: { index: number; title: string }[];
  /** the active fallback list */
  fallback: number[];
  timeout: number | null;
  /** the stage2 saved-entry word before this boot (null: no stage2 file) */
  savedWord: number | null;
  /** ... and as this boot leaves it (one-shot consumed, savedefault stored) */
  savedWordAfter: number | null;
  /** the permanent default after this boot: the entry a later boot starts with */
  defaultEntry: number | null;
  /** GRUB's screen, Xen's and Linux's first lines */
  log: string[];
}

export interface NextBoot extends NextBootStep {
  /** the boot after a reset (power cycle, panic reboot) that follows the next boot */
  afterReset: NextBootStep;
}

export interface NextBootCase {
  /** grub.conf as GRUB reads it (bytes as latin-1 text) */
  conf: string;
  /** the stage2 saved-entry word (RHEL 6: `(N<<8)|0x10000|old` for a pending `savedefault --default=N --once`) */
  savedWord?: number;
  /** the boot partition's files (`{path: content | {link}}`, paths as grub.conf names them), or 'auto'
   *  (default): every file a kernel/initrd/module line names exists, its kind taken from its name */
  files?: Record<string, string | { link: string }> | 'auto';
  /** /boot is its own partition (paths `/vmlinuz-…`); default true */
  bootPartition?: boolean;
  /** host spec fields the boot depends on: rootDevice (root= check), memMiB, cpus, maxCpuId */
  spec?: Record<string, unknown>;
  /** fault knobs that act at boot ('xen-panic') */
  faults?: Record<string, string>;
}

const NEXTBOOT_PY = 'import sys; sys.path.insert(0, sys.argv[1]); from tb import nextboot; sys.exit(nextboot.main(["nextboot"] + sys.argv[2:]))';

/** The next boot of a test host as its firmware would do it now: its current grub.conf, the stage2
 *  saved word and the files of its boot partition (works while the host is up, down or off). */
export async function nextBoot(h: TestHost): Promise<NextBoot> {
  const sp = spec(h);
  const bootRoot = sp.bootPartition ? bootMount(h) : path.join(h.dir, 'upper');
  const out = await new Promise<string>((resolve, reject) =>
    execFile('/usr/bin/python3', ['-I', '-B', '-c', NEXTBOOT_PY, MACHINE_CLI, 'host', bootRoot, ctl(h, 'spec.json'), ctl(h, 'faults')], { maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`nextBoot ${h.name}: ${stderr || err.message}`)) : resolve(stdout),
    ),
  );
  return JSON.parse(out) as NextBoot;
}

/** The next boot for a grub.conf and stage2 word without a host (see NextBootCase). */
export function nextBootOf(c: NextBootCase): NextBoot {
  return nextBootBatch([c])[0]!;
}

/** nextBootOf for many cases in one process (about 1 ms per case). */
export function nextBootBatch(cases: NextBootCase[]): NextBoot[] {
  const out = execFileSync('/usr/bin/python3', ['-I', '-B', '-c', NEXTBOOT_PY, MACHINE_CLI, 'batch'], { input: JSON.stringify(cases), maxBuffer: 64 << 20 });
  return JSON.parse(out.toString('utf8')) as NextBoot[];
}

// ---- fault points ------------------------------------------------------------------------------------
// A fault at the exact moment a test names, from inside the host (lab/faultpoints.c recognises the
// moment, host/tb/faultpoints.py claims, records and acts; yum calls the latter directly).

/** where the fault fires:
 *  - rename: rename(2)/renameat(2)/renameat2(2) by any program (`mv`, python's os.rename/os.replace,
 *    grubby/new-kernel-pkg writing grub.conf); `match` is a glob on the DESTINATION path.
 *    before: the rename has not happened; after: it happened (the new file is in place).
 *  - write: a regular file opened for writing; `match` is a glob on its path. before: at the open
 *    (nothing created or truncated yet); after: when the writer has closed it (close/fclose, a dup2 over
 *    it, or its exit; `cat > f` and `printf … >> f` are followed through the shell).
 *  - exec: execve(2) and execv/execvp/execvpe; `match` is a glob on "PROGRAM ARG1 ARG2 …" (the program as
 *    passed to exec: shells pass the PATH-resolved path, e.g. /sbin/shutdown; sshd passes `/bin/bash -c
 *    COMMAND`). before: the program has not started; after: it ran and exited, its exit status not yet
 *    passed on. fromSsh: only the command an SSH session runs (what a client sent with exec).
 *  - yum: the yum stand-in's transaction, per package; `match` is a glob on the package name.
 *    before: before its files are unpacked; after: its files are in place, rpmdb updated, its %post ran
 *    (for `kernel`: new-kernel-pkg --install added its entry); posttrans: after its %posttrans ran.
 *  Globs: `*` matches any run of characters, `/` included; `?` one character; nothing else is special. */
export type FaultPointAt = 'rename' | 'write' | 'exec' | 'yum';
/** what happens at the point (see host/tb/faultpoints.py):
 *  - drop: every SSH connection of the host is cut now (the session sshd processes are killed, as with a
 *    network loss); the program carries on (the rename still happens, yum goes on, an exec'd command runs).
 *  - kill: the connections are cut and every process they started dies, including the program at the
 *    point: nothing after the point runs (a `before` rename never happens).
 *  - power-cut: the host loses power at once (state `off` until powerOn); nothing after the point runs.
 *  - reset: like power-cut, but the machine boots again after its downtimeMs.
 *  - fail: rename/open return -1 with `errno` (default EIO; the program reports it); exec: the program
 *    (before: instead of running; after: having run) and yum print `message` on stderr and exit `exitCode`
 *    (default 1). yum stops there: the rest of the transaction (and the %posttrans scripts) never run.
 *  - hang: the operation never returns (the program blocks until killed or the host goes down). */
export type FaultPointAction = 'drop' | 'kill' | 'power-cut' | 'reset' | 'fail' | 'hang';

export interface FaultPoint {
  at: FaultPointAt;
  match: string;
  /** default 'before' */
  when?: 'before' | 'after' | 'posttrans';
  action: FaultPointAction;
  /** how many firings (default 1; 0 = every time) */
  times?: number;
  /** exec only: only commands started by an SSH session */
  fromSsh?: boolean;
  /** fail: exit code of the program (exec, yum); default 1 */
  exitCode?: number;
  /** fail: errno of rename/open (name like 'ENOSPC' or number); default EIO */
  errno?: string | number;
  /** fail: text printed on the program's stderr */
  message?: string;
}

/** One firing, recorded inside the host before the action ran. */
export interface FaultFiring {
  id: string;
  /** firing number of the rule, from 0 */
  n: number;
  at: FaultPointAt;
  when: string;
  action: FaultPointAction;
  /** the path (rename: destination, write: the file), the command line (exec), the package name (yum) */
  subject: string;
  /** the process at the point, its argv and comm */
  pid: number;
  argv: string[];
  comm: string;
  /** boot_id of the boot the point fired in */
  bootId: string | null;
  /** ms since the epoch */
  time: number;
}

export interface FaultPointHandle {
  id: string;
  /** firings so far (oldest first) */
  firings(): Promise<FaultFiring[]>;
  /** resolves with the first firing; rejects after timeoutMs (default 60 s) */
  waitFired(timeoutMs?: number): Promise<FaultFiring>;
  /** remove the rule (firings stay readable) */
  clear(): Promise<void>;
}

let pointCounter = 0;

function pointsFile(h: TestHost, ext: 'json' | 'tab') {
  return ctl(h, 'faults', `points.${ext}`);
}

function readPoints(h: TestHost): Record<string, FaultPoint & { when: string }> {
  try {
    return JSON.parse(fs.readFileSync(pointsFile(h, 'json'), 'utf8'));
  } catch {
    return {};
  }
}

function writePoints(h: TestHost, pts: Record<string, FaultPoint & { when: string }>) {
  const ids = Object.keys(pts);
  for (const ext of ['tab', 'json'] as const) {
    const f = pointsFile(h, ext);
    if (!ids.length) {
      fs.rmSync(f, { force: true });
      continue;
    }
    const text =
      ext === 'json'
        ? JSON.stringify(pts, null, 1)
        : ids
            .filter((id) => pts[id]!.at !== 'yum')
            .map((id) => [id, pts[id]!.at, pts[id]!.when, pts[id]!.fromSsh ? 'ssh' : '-', pts[id]!.match].join('\t') + '\n')
            .join('');
    fs.writeFileSync(f + '.tmp', text);
    fs.renameSync(f + '.tmp', f);
  }
}

const ERRNO = (os.constants.errno ?? {}) as Record<string, number>;

/** Arm a fault point on a host (see FaultPointAt, FaultPointAction). Works while the host is up or down;
 *  rename/write/exec points need the preload library (gcc on this machine). */
export async function addFaultPoint(h: TestHost, p: FaultPoint, id?: string): Promise<FaultPointHandle> {
  const when = p.when ?? 'before';
  const whens = p.at === 'yum' ? ['before', 'after', 'posttrans'] : ['before', 'after'];
  if (!['rename', 'write', 'exec', 'yum'].includes(p.at)) throw new Error(`addFaultPoint: unknown point ${p.at}`);
  if (!whens.includes(when)) throw new Error(`addFaultPoint: at ${p.at}, when must be one of ${whens.join(', ')}`);
  if (!['drop', 'kill', 'power-cut', 'reset', 'fail', 'hang'].includes(p.action)) throw new Error(`addFaultPoint: unknown action ${p.action}`);
  if (!p.match || /[\t\n\r]/.test(p.match) || p.match.length > 500) throw new Error('addFaultPoint: match must be a non-empty glob without TAB or newline (at most 500 characters)');
  if (p.fromSsh && p.at !== 'exec') throw new Error('addFaultPoint: fromSsh is for exec points');
  if (p.at !== 'yum' && !readMeta(fleetDirOf(h))?.preload)
    throw new Error(`addFaultPoint: ${p.at} points need the test bed's ld.so.preload library, built with gcc (apt-get install gcc libc6-dev)`);
  const errno = typeof p.errno === 'string' ? ERRNO[p.errno] : p.errno;
  if (p.errno !== undefined && typeof errno !== 'number') throw new Error(`addFaultPoint: unknown errno ${String(p.errno)}`);
  const rid = id ?? `fp${process.pid}x${Date.now().toString(36)}x${++pointCounter}`;
  if (!/^[A-Za-z0-9_.-]{1,60}$/.test(rid)) throw new Error(`addFaultPoint: bad id ${rid}`);
  const pts = readPoints(h);
  pts[rid] = { ...p, when, times: p.times ?? 1, ...(errno !== undefined ? { errno } : {}) };
  writePoints(h, pts);
  return {
    id: rid,
    firings: () => faultFirings(h, rid),
    async waitFired(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const f = await faultFirings(h, rid);
        if (f.length) return f[0]!;
        if (Date.now() > deadline) throw new Error(`fault point ${rid} (${p.at} ${when} ${p.match}) did not fire on ${h.name} within ${timeoutMs} ms`);
        await sleep(25);
      }
    },
    clear: () => clearFaultPoints(h, rid),
  };
}

/** Remove one fault point, or all of them (recorded firings stay readable). */
export async function clearFaultPoints(h: TestHost, id?: string): Promise<void> {
  const pts = readPoints(h);
  if (id === undefined) for (const k of Object.keys(pts)) delete pts[k];
  else delete pts[id];
  writePoints(h, pts);
}

/** Firings recorded on the host (all points, or one), oldest first. */
export async function faultFirings(h: TestHost, id?: string): Promise<FaultFiring[]> {
  const dir = ctl(h, 'fired');
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: FaultFiring[] = [];
  for (const n of names) {
    if (!n.endsWith('.json')) continue;
    if (id !== undefined && !n.startsWith(`${id}.`)) continue;
    const text = readText(path.join(dir, n));
    if (!text) continue; // claimed, record not written yet
    try {
      out.push(JSON.parse(text) as FaultFiring);
    } catch {
      /* being written */
    }
  }
  return out.sort((a, b) => a.time - b.time || a.n - b.n);
}

// `reboot-hangs`: the SSH command that starts a reboot never returns an exit status, even when the
// reboot program runs detached after the command has ended. A reboot program counts as a command
// word: after a blank, `/`, `;`, `&`, `|`, `(`, a quote or a backtick (so `cat /var/run/dom0up-reboot`
// is not one), followed by the end or a blank, `;`, `&`, `|`, `)`, a quote or a backtick.
const REBOOT_WORDS = ['reboot', 'shutdown', 'halt', 'poweroff', 'init 6', 'telinit 6'];
const REBOOT_GLOBS = REBOOT_WORDS.flatMap((w) => [`*[ /;'"(&|\`]${w}`, `*[ /;'"(&|\`]${w}[ ;'"&|)\`]*`]);
let rebootHangsWarned = false;

async function rebootHangsPoints(h: TestHost, on: boolean) {
  const ids = REBOOT_GLOBS.map((_, i) => `reboot-hangs.${i}`);
  if (!on) {
    const pts = readPoints(h);
    for (const id of ids) delete pts[id];
    writePoints(h, pts);
    return;
  }
  if (!readMeta(fleetDirOf(h))?.preload) {
    if (!rebootHangsWarned) console.warn('dom0up test bed: no preload library (gcc): reboot-hangs only makes the reboot programs hang; a detached reboot command still returns 0');
    rebootHangsWarned = true;
    return;
  }
  for (const [i, match] of REBOOT_GLOBS.entries()) await addFaultPoint(h, { at: 'exec', fromSsh: true, when: 'after', action: 'hang', times: 0, match }, ids[i]);
}
