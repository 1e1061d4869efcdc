// Shared by the SSH benchmarks (bench/overhead.ts, bench/fleet.ts): running a command under
// bench/rusage.py (wall, controller CPU of it and every descendant, peak memory), watching the
// simulated hosts reboot, the CPU the simulated hosts themselves used, small statistics.
// Benchmarks are measurements, not tests: nothing here fails a build.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Fleet, TestHost } from '../test/testbed/index.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = path.join(ROOT, 'dist', 'bin', 'dom0up.js');
const RUSAGE = path.join(ROOT, 'bench', 'rusage.py');

export interface Usage {
  exit: number | null;
  signal: number | null;
  /** epoch ms when the command was started */
  startEpochMs: number;
  wallMs: number;
  userMs: number;
  sysMs: number;
  /** largest single process */
  maxRssKiB: number;
  peakTreeRssKiB: number;
  peakTreePssKiB: number;
  peakProcs: number;
  leftovers: number;
}

export interface Measured {
  usage: Usage;
  stdout: string;
  stderr: string;
}

/** Runs cmd under bench/rusage.py; stdout/stderr are kept in files under dir. */
export async function measure(dir: string, label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 45 * 60_000): Promise<Measured> {
  const out = path.join(dir, `${label}.stdout`);
  const err = path.join(dir, `${label}.stderr`);
  const usageFile = path.join(dir, `${label}.usage.json`);
  const o = fs.openSync(out, 'w');
  const e = fs.openSync(err, 'w');
  const child = spawn('/usr/bin/python3', ['-I', RUSAGE, usageFile, '--', cmd, ...args], { stdio: ['ignore', o, e], env, cwd: ROOT });
  fs.closeSync(o);
  fs.closeSync(e);
  const timer = setTimeout(() => {
    process.stderr.write(`bench: ${label} took longer than ${timeoutMs / 1000} s; stopping it\n`);
    if (child.pid) process.kill(child.pid, 'SIGTERM');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`bench: rusage.py for ${label} exited ${code}: ${fs.readFileSync(err, 'utf8').slice(-2000)}`);
  return {
    usage: JSON.parse(fs.readFileSync(usageFile, 'utf8')) as Usage,
    stdout: fs.readFileSync(out, 'utf8'),
    stderr: fs.readFileSync(err, 'utf8'),
  };
}

/** The SSH options every dom0up run of the benchmarks gets. */
export function dom0upSsh(fleet: Fleet): string[] {
  return ['--known-hosts', fleet.knownHostsPath, '--ssh-config', '/dev/null'];
}

// ---- the simulated hosts: reboots and CPU ----------------------------------------------------------
export interface HostTimeline {
  /** the test bed's host state changes, epoch ms */
  states: { state: string; at: number }[];
  /** after each reboot: when sshd first answered with its banner again (epoch ms) */
  sshdBack: number[];
  /** when the host went down (state 'down'), epoch ms */
  down: number[];
}

/**
 * Watches the simulated hosts through their test bed ctl/ directories (inotify).
 *
 * Reboots: when a host comes up after being down, its sshd is probed for the SSH banner every
 * 10 ms until it answers: that is "sshd accepts again" (one TCP connection per probe, only then).
 *
 * CPU: a host's processes live under its boot's init (ctl/init.pid). Their CPU time is the init's
 * own and reaped-children time plus that of every live descendant. When a boot ends, the kernel
 * kills the PID namespace and auto-reaps the killed processes without adding their time to
 * anyone, so a boot's total is sampled on every ctl/ event of the host — including the console
 * line "reboot requested", written 300 ms (rebootDelayMs) before the boot ends — and the largest
 * value seen per boot is kept. cpuMs() is the sum over all boots seen; differences of it are the
 * CPU the hosts used over an interval (sshd, the shells and stand-in programs a tool runs, and
 * the simulated boot itself).
 */
export class HostWatch {
  readonly timelines = new Map<string, HostTimeline>();
  private readonly watchers: fs.FSWatcher[] = [];
  private readonly boots = new Map<string, number>();
  private stopped = false;

  constructor(private readonly hosts: TestHost[]) {
    for (const h of hosts) {
      const tl: HostTimeline = { states: [], sshdBack: [], down: [] };
      this.timelines.set(h.name, tl);
      const stateFile = path.join(h.dir, 'ctl', 'state');
      let last = readState(stateFile);
      let probing = false;
      this.sampleCpu(h);
      const onEvent = () => {
        this.sampleCpu(h);
        const st = readState(stateFile);
        if (st === last || st === '') return;
        const at = Date.now();
        last = st;
        tl.states.push({ state: st, at });
        if (st === 'down') tl.down.push(at);
        if (st === 'up' && tl.down.length > tl.sshdBack.length && !probing) {
          probing = true;
          void this.probe(h).then((t) => {
            probing = false;
            if (t !== null) tl.sshdBack.push(t);
          });
        }
      };
      this.watchers.push(fs.watch(path.join(h.dir, 'ctl'), onEvent));
    }
  }

  private sampleCpu(h: TestHost): void {
    const pid = Number(readState(path.join(h.dir, 'ctl', 'init.pid')) || 0);
    if (!pid) return;
    const start = procStartTime(pid);
    if (start === null) return;
    const key = `${h.name}:${pid}:${start}`;
    const ms = treeCpuMs(pid);
    if (Number.isFinite(ms) && ms > (this.boots.get(key) ?? -1)) this.boots.set(key, ms);
  }

  /** CPU (ms) used by the hosts' processes so far (every boot seen; the live ones sampled now). */
  cpuMs(): number {
    for (const h of this.hosts) this.sampleCpu(h);
    let t = 0;
    for (const v of this.boots.values()) t += v;
    return t;
  }

  private async probe(h: TestHost): Promise<number | null> {
    const deadline = Date.now() + 60_000;
    while (!this.stopped && Date.now() < deadline) {
      if (await banner(h.host, h.port, 500)) return Date.now();
      await new Promise((r) => setTimeout(r, 10));
    }
    return null;
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watchers) w.close();
  }
}

function readState(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function banner(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let buf = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('\n')) done(buf.startsWith('SSH-'));
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(buf.startsWith('SSH-')));
  });
}

let clkTck = 0;
function ticks(): number {
  if (!clkTck) clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  return clkTck;
}

/** fields after the command name of /proc/PID/stat (index 0 = state), or null */
function statFields(pid: number): string[] | null {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function procStartTime(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** utime+stime+cutime+cstime (ms) of a process and every live descendant. */
function treeCpuMs(root: number): number {
  let total = 0;
  const todo = [root];
  const seen = new Set<number>();
  while (todo.length) {
    const p = todo.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    const f = statFields(p);
    if (!f) continue;
    // stat fields 14-17 (utime stime cutime cstime) are 11-14 here
    total += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    todo.push(...childrenOf(p));
  }
  return (total * 1000) / ticks();
}

// ---- dom0up's per-host log ---------------------------------------------------------------------------
/** Epoch ms of the first log line of a phase event, e.g. ('reboot', 'ok') for "…Z reboot: ok: back after…". */
export function logTime(logText: string, phase: string, status?: string): number | null {
  for (const line of logText.split('\n')) {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z) (\S+): (.*)$/.exec(line);
    if (!m || m[2] !== phase) continue;
    if (status === undefined ? !/^(ok|skip|fail):/.test(m[3]!) : m[3]!.startsWith(`${status}:`)) return Date.parse(m[1]!);
  }
  return null;
}

// ---- statistics and formatting -----------------------------------------------------------------------
export function median(xs: number[]): number {
  return quantile(xs, 0.5);
}
export function quantile(xs: number[], q: number): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo]! + (s[hi]! - s[lo]!) * (i - lo);
}
export function dist(xs: number[]): { n: number; min: number; p50: number; p90: number; max: number } {
  const s = xs.filter((x) => Number.isFinite(x));
  return { n: s.length, min: Math.min(...s), p50: quantile(s, 0.5), p90: quantile(s, 0.9), max: Math.max(...s) };
}
export const sec = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s` : '–');
export const msf = (ms: number) => (Number.isFinite(ms) ? `${Math.round(ms)} ms` : '–');
export const mib = (kib: number) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(0)} MiB` : '–');
export const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(x < 10 ? 1 : 0)}×` : '–');

export function machineLine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`;
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The test bed, or the reason it cannot run here. */
export async function testbed(): Promise<typeof import('../test/testbed/index.js') | string> {
  const tb = await import('../test/testbed/index.js');
  const why = tb.testbedUnavailableReason();
  return why ?? tb;
}

// ---- the test bed's own memory -------------------------------------------------------------------------
/**
 * Memory of a fleet's processes: the lab and every process of every simulated host (sshd, shells,
 * stand-in programs), as the sum of their PSS (shared pages split fairly; this machine's binaries and
 * libraries are shared by all hosts through the overlay). Kernel memory (page cache of the hosts'
 * disks, mounts, namespaces) is not included; MemAvailable would include it but moves with
 * everything else running on the machine.
 */
export function fleetPss(fleet: Fleet): { pssKiB: number; procs: number } {
  const fleetDir = fleet.dir;
  const lab = Number(readState(path.join(fleetDir, 'lab.pid')) || 0);
  let pss = 0;
  let procs = 0;
  const seen = new Set<number>();
  const todo = lab ? [lab] : [];
  // the lab's own unshare parent, too
  for (const h of fleet.hosts) {
    const init = Number(readState(path.join(h.dir, 'ctl', 'init.pid')) || 0);
    if (init) todo.push(init);
  }
  while (todo.length) {
    const p = todo.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      if (m) {
        pss += Number(m[1]);
        procs++;
      }
    } catch {
      continue;
    }
    todo.push(...childrenOf(p));
  }
  return { pssKiB: pss, procs };
}

/** Disk used by a fleet (its hosts' overlay upper dirs and /boot images), KiB. */
export function fleetDiskKiB(fleet: Fleet): number {
  try {
    return Number(execFileSync('du', ['-sk', fleet.dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(/\s/)[0]);
  } catch (e) {
    const out = (e as { stdout?: string }).stdout;
    return out ? Number(out.split(/\s/)[0]) : NaN;
  }
}
