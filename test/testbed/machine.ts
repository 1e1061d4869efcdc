// What the simulated hosts (and so the SSH tier, the terminal tier's apply tests, `npm run demo` and
// the SSH benchmarks) need from this machine, each probed for real: programs are looked up on PATH,
// kernel features are used once in a throwaway namespace (a mount that works proves more than a
// module list). A missing feature is reported with what it is for and how to get it.
//
// DOM0UP_MACHINE_MISSING=feature[,feature…] simulates missing features (ids below) to see how the
// tiers react: a program is then looked up under a name that does not exist, a kernel feature's probe
// fails the way it does on a machine without it. docs/testbed.md lists the features per tier.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TESTBED_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface Feature {
  id: string;
  /** what it is and what the test bed uses it for */
  what: string;
  ok: boolean;
  /** what the probe found (the error when it failed) */
  detail: string;
  /** how to get it */
  fix: string;
}

export interface ProbeOptions {
  env?: NodeJS.ProcessEnv;
  /** where the probes make their scratch files (the test bed's state dir: the overlay's upper dirs live there) */
  stateDir?: string;
}

/** The feature ids, in the order they are probed. */
export const FEATURES = [
  'linux',
  'root',
  'util-linux',
  'python3',
  'sshd',
  'ssh-keygen',
  'sudo',
  'e2fsprogs',
  'gcc',
  'namespaces',
  'overlayfs',
  'loop',
  'loopback',
] as const;
export type FeatureId = (typeof FEATURES)[number];

export function simulatedMissing(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set((env.DOM0UP_MACHINE_MISSING ?? '').split(',').map((s) => s.trim()).filter(Boolean));
}

function which(cmd: string, env: NodeJS.ProcessEnv): string | null {
  const dirs = (env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter(Boolean);
  for (const d of dirs) {
    const p = path.join(d, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* next */
    }
  }
  return null;
}

function lastMessage(s: string | Buffer | null | undefined): string {
  // the last line that says something (mount adds "dmesg(1) may have more information…" after the error)
  const lines = String(s ?? '').split('\n').map((l) => l.trim()).filter((l) => l && !/^dmesg\(1\) may have more/.test(l));
  return lines[lines.length - 1] ?? '';
}

/** Runs a probe script (sh) in its own mount/UTS/IPC/PID namespaces; returns null or the error. */
function inNamespaces(script: string, args: string[], env: NodeJS.ProcessEnv, flags = ['--mount', '--uts', '--ipc', '--pid']): string | null {
  const unshare = which('unshare', env);
  if (!unshare) return 'no unshare';
  const r = spawnSync(unshare, [...flags, '--fork', '--kill-child', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'probe', ...args], {
    env: { ...env, PATH: env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.error) return r.error.message;
  if (r.status !== 0) return lastMessage(r.stderr) || `exit ${r.status ?? r.signal}`;
  return null;
}

/** What a probe prints on a machine without the feature, for the features whose absence cannot be provoked here
 *  (overlayfs and loop devices are probed for real with a file system type / loop device that does not exist). */
const FAIL_LIKE: Record<string, string> = {
  namespaces: 'unshare: unshare failed: Operation not permitted',
  loopback: 'OSError: [Errno 99] Cannot assign requested address',
};

/**
 * Probes every feature. Never throws: a probe that cannot run is a missing feature.
 * Takes about 0.1–0.3 s (two short mounts in throwaway namespaces, a tiny mkfs, a tiny gcc run).
 */
export function probeMachine(o: ProbeOptions = {}): Feature[] {
  const env = o.env ?? process.env;
  const missing = simulatedMissing(env);
  const sim = (id: string) => missing.has(id);
  const lookup = (id: string, cmd: string) => which(sim(id) ? `${cmd}-simulated-missing` : cmd, env);
  const out: Feature[] = [];
  const add = (id: FeatureId, what: string, ok: boolean, detail: string, fix: string) =>
    out.push({ id, what, ok, detail: sim(id) ? `${detail} (simulated: DOM0UP_MACHINE_MISSING=${id})` : detail, fix });

  const linux = process.platform === 'linux' && !sim('linux');
  add('linux', 'Linux (namespaces, overlayfs, loop devices)', linux, linux ? `${os.type()} ${os.release()}` : `this is ${sim('linux') ? 'not Linux' : process.platform}`, 'run the tier on Linux');
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  const root = uid === 0 && !sim('root');
  add('root', 'root (mounts, namespaces, chroot, loop devices)', root, root ? 'uid 0' : `uid ${sim('root') ? 1000 : uid}`, 'run as root (e.g. sudo -E npm test); user namespaces are not enough: the hosts loop-mount ext4 images');

  const ul = ['unshare', 'nsenter', 'mount', 'umount', 'chroot', 'losetup'].map((c) => [c, lookup('util-linux', c)] as const);
  const ulMissing = ul.filter(([, p]) => !p).map(([c]) => c);
  add('util-linux', 'unshare, nsenter, mount, umount, chroot, losetup', ulMissing.length === 0, ulMissing.length ? `not on PATH: ${ulMissing.join(', ')}` : ul.map(([, p]) => p).join(' '), 'apt-get install util-linux mount coreutils');

  // the hosts run the test bed's Python chrooted in an overlay of this machine's /: it must be /usr/bin/python3
  const py = sim('python3') ? '/usr/bin/python3-simulated-missing' : '/usr/bin/python3';
  let pyOk = false;
  let pyDetail = `no ${py}`;
  if (fs.existsSync(py)) {
    const r = spawnSync(py, ['-I', '-B', '-c', 'import ast,sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]; print(sys.version.split()[0])', path.join(TESTBED_DIR, 'lab', 'lab.py'), path.join(TESTBED_DIR, 'lab', 'boot.py'), path.join(TESTBED_DIR, 'host', 'tb', 'machine.py')], { encoding: 'utf8', timeout: 30_000 });
    pyOk = r.status === 0;
    pyDetail = pyOk ? `${py} ${r.stdout.trim()}` : `${py} cannot read the test bed's Python: ${lastMessage(r.stderr)}`;
  }
  add('python3', '/usr/bin/python3 (the lab, the boot firmware, the stand-in CentOS programs)', pyOk, pyDetail, 'apt-get install python3 (a python3 elsewhere, e.g. pyenv, does not count: the hosts see this machine\'s /usr/bin)');

  const sshd = sim('sshd') ? null : fs.existsSync('/usr/sbin/sshd') ? '/usr/sbin/sshd' : null;
  add('sshd', '/usr/sbin/sshd (each host runs it, chrooted; the system service is never started)', !!sshd, sshd ?? 'no /usr/sbin/sshd', 'apt-get install openssh-server (test/testbed/ensure-deps.sh does it)');
  const keygen = lookup('ssh-keygen', 'ssh-keygen');
  add('ssh-keygen', 'ssh-keygen (host and client keys)', !!keygen, keygen ?? 'ssh-keygen not on PATH', 'apt-get install openssh-client');
  const sudo = sim('sudo') ? null : fs.existsSync('/usr/bin/sudo') ? '/usr/bin/sudo' : null;
  add('sudo', '/usr/bin/sudo (the hosts\' non-root login admin, with requiretty)', !!sudo, sudo ?? 'no /usr/bin/sudo', 'apt-get install sudo (ensure-deps.sh does it)');
  const mkfs = lookup('e2fsprogs', 'mkfs.ext4');
  add('e2fsprogs', 'mkfs.ext4 (each host\'s /boot partition image)', !!mkfs, mkfs ?? 'mkfs.ext4 not on PATH', 'apt-get install e2fsprogs');

  // gcc builds the ld.so.preload shim that shows /proc/xen and /sys/hypervisor on hosts that boot Xen;
  // without it every verification of a Xen boot fails, so it is required
  const gcc = lookup('gcc', 'gcc') ?? lookup('gcc', 'cc');
  let gccOk = false;
  let gccDetail = 'no gcc or cc on PATH';
  if (gcc) {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'dom0up-probe-cc-'));
    try {
      fs.writeFileSync(path.join(d, 'p.c'), '#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <stdio.h>\nint probe(void) { return dlsym(RTLD_NEXT, "open") != NULL; }\n');
      const r = spawnSync(gcc, ['-shared', '-fPIC', '-o', path.join(d, 'p.so'), path.join(d, 'p.c'), '-ldl'], { encoding: 'utf8', env, timeout: 60_000 });
      gccOk = r.status === 0;
      gccDetail = gccOk ? `${gcc} builds shared libraries` : `${gcc} cannot build a shared library: ${lastMessage(r.stderr) || r.error?.message}`;
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  }
  add('gcc', 'gcc and the C library headers (the /proc/xen shim the hosts load)', gccOk, gccDetail, 'apt-get install gcc libc6-dev (ensure-deps.sh does it)');

  // kernel features: only with root and the tools (else they cannot be probed: the missing tool is the reason)
  const canProbe = linux && root && ulMissing.length === 0;
  // scratch files go to the state dir's build/ (the test bed's own dir there), where the hosts' disks will be
  const stateDir = o.stateDir ?? env.DOM0UP_TESTBED_STATE ?? '/tmp/dom0up-testbed';
  const scratchBase = path.join(stateDir, 'build');
  let ns: string | null = 'not probed (needs Linux, root and util-linux first)';
  let ov: string | null = ns;
  let lp: string | null = ns;
  let scratch: string | null = null;
  if (canProbe) {
    try {
      fs.mkdirSync(scratchBase, { recursive: true, mode: 0o700 });
      scratch = fs.mkdtempSync(path.join(scratchBase, '.probe-'));
    } catch (e) {
      ns = ov = lp = `cannot make a scratch directory under ${scratchBase}: ${(e as Error).message} (set DOM0UP_TESTBED_STATE to a writable directory)`;
    }
  }
  if (scratch) {
    try {
      ns = sim('namespaces')
        ? FAIL_LIKE.namespaces!
        : inNamespaces('set -e; mkdir -p "$1/proc" "$1/pts"; mount -t proc proc "$1/proc"; test -r "$1/proc/self/stat"; mount -t devpts -o newinstance,ptmxmode=0666 devpts "$1/pts"; hostname dom0up-probe', [scratch], env);
      // as the lab does: lower = this machine's /, upper and work in the state dir, an opaque dir (trusted xattr)
      const type = sim('overlayfs') ? 'overlay_simulated_missing' : 'overlay';
      ov = inNamespaces(
        `set -e; d=$1; mkdir -p "$d/upper/o" "$d/work" "$d/merged"; ${pyOk ? `/usr/bin/python3 -I -c 'import os,sys; os.setxattr(sys.argv[1], "trusted.overlay.opaque", b"y")' "$d/upper/o"; ` : ''}mount -t ${type} probe -o "lowerdir=/,upperdir=$d/upper,workdir=$d/work" "$d/merged"; test -e "$d/merged/bin/sh"; echo x > "$d/merged/o/w"; test -e "$d/upper/o/w"`,
        [scratch],
        env,
        ['--mount'],
      );
      if (!mkfs) lp = 'not probed (no mkfs.ext4)';
      else {
        const mk = spawnSync(mkfs, ['-q', '-F', path.join(scratch, 'probe.img'), '1024'], { encoding: 'utf8', env, timeout: 30_000 });
        if (mk.status !== 0) lp = `mkfs.ext4 on a file failed: ${lastMessage(mk.stderr)}`;
        else {
          const opt = sim('loop') ? 'loop=/dev/loop-simulated-missing' : 'loop';
          lp = inNamespaces(`set -e; mkdir -p "$1/mnt"; mount -t ext4 -o ${opt} "$1/probe.img" "$1/mnt"; touch "$1/mnt/w"`, [scratch], env, ['--mount']);
        }
      }
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
  add('namespaces', 'mount, UTS, IPC and PID namespaces, with proc and devpts mounts in them (each fleet and each boot has its own)', ns === null, ns ?? 'unshare --mount --uts --ipc --pid works', 'a kernel with namespaces, and a root allowed to create them (in a container: --privileged, or no seccomp/AppArmor profile that blocks unshare and mount)');
  add('overlayfs', `overlayfs with this machine's / as the lower layer and the upper dir in the state dir (${stateDir})`, ov === null, ov ?? 'an overlay over / works', 'modprobe overlay; the state dir must be on a file system overlayfs takes as upper (ext4, xfs, btrfs, tmpfs — not overlayfs itself, as in many containers): set DOM0UP_TESTBED_STATE to a directory on such a file system');
  add('loop', "loop devices (each host's /boot is an ext4 image, loop-mounted)", lp === null, lp ?? 'mount -o loop of an ext4 image works', 'modprobe loop (a kernel with CONFIG_BLK_DEV_LOOP); in a container, --privileged or --device /dev/loop-control and /dev/loopN');

  // the hosts listen on 127.0.0.10-249: Linux routes all of 127/8 to lo by default
  let lb: string | null = null;
  if (sim('loopback')) lb = FAIL_LIKE.loopback!;
  else if (pyOk) {
    const r = spawnSync('/usr/bin/python3', ['-I', '-c', 'import socket; s=socket.socket(); s.bind(("127.0.0.10", 0)); s.close()'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) lb = lastMessage(r.stderr) || `exit ${r.status}`;
  } else lb = 'not probed (no /usr/bin/python3)';
  add('loopback', 'loopback addresses 127.0.0.10-249 (one per host)', lb === null, lb ?? 'can bind 127.0.0.10', 'an lo interface with 127.0.0.0/8 (the Linux default; in a network namespace: ip link set lo up)');

  return out;
}

/** One line naming every missing feature, what it is for and how to get it; null when nothing is missing. */
export function missingReason(features: Feature[]): string | null {
  const bad = features.filter((f) => !f.ok);
  if (!bad.length) return null;
  return `missing ${bad.map((f) => f.id).join(', ')}: ${bad.map((f) => `${f.id} — ${f.what}: ${f.detail}; to get it: ${f.fix}`).join(' | ')}`;
}

let cached: { key: string; features: Feature[] } | null = null;

/** probeMachine, once per process (and per simulation/PATH/state dir). */
export function machineFeatures(o: ProbeOptions = {}): Feature[] {
  const env = o.env ?? process.env;
  const key = JSON.stringify([env.DOM0UP_MACHINE_MISSING ?? '', env.PATH ?? '', o.stateDir ?? '']);
  if (!cached || cached.key !== key) cached = { key, features: probeMachine(o) };
  return cached.features;
}

/** For a report: each feature as one line. */
export function describeFeatures(features: Feature[]): string {
  return features.map((f) => `  ${f.ok ? 'ok     ' : 'MISSING'} ${f.id.padEnd(11)} ${f.detail}${f.ok ? '' : `  → ${f.fix}`}`).join('\n');
}

/** Used by ensure-deps style callers that want to print the table. */
export function printFeatures(stream: NodeJS.WritableStream = process.stderr, o: ProbeOptions = {}): Feature[] {
  const f = machineFeatures(o);
  stream.write(`dom0up test bed: machine features\n${describeFeatures(f)}\n`);
  return f;
}
