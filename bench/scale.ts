// Benchmark: `dom0up plan` and `dom0up verify` over 100, 250 and 500 simulated hosts (test bed,
// loopback; issue 15). For each size: a fresh fleet of CentOS 6.10 hosts for `plan` and a fleet of
// hosts already running Xen for `verify`, the same inventory shape as bench/fleet.ts. Measured:
// wall time, the controller's CPU (dom0up and every process it starts: the `ssh -G` runs) and its
// peak memory (bench/rusage.py), divided per host; and the test bed's own cost per host: memory
// (the PSS of its processes when idle and at its peak while dom0up runs; bench/lib.ts fleetPss),
// disk, the CPU of booting a host and the CPU the hosts spent answering dom0up. Not a test.
//
// Options (npm run bench -- scale --sizes=100,250,500 --forks=32 --repeat=1 --sweep=8,16,32,64):
//   sizes  fleet sizes (default 100,250,500)   forks  dom0up --forks (default: dom0up's default)
//   repeat runs of each command per size (default 1)
//   sweep  forks values to compare with `plan` at the largest size (default none)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Fleet } from '../test/testbed/index.js';
import { BIN, HostWatch, dom0upSsh, fleetDiskKiB, fleetPss, machineLine, measure, median, mib, msf, sec, testbed, tmpDir, type Measured } from './lib.js';
import { HOST_SPEC } from './overhead.js';

type Testbed = typeof import('../test/testbed/index.js');

interface Cost {
  wallMs: number;
  cpuMs: number;
  maxRssKiB: number;
  treePssKiB: number;
  procs: number;
  hostCpuMs: number;
  /** the test bed's processes: peak PSS while dom0up runs (KiB) */
  bedPeakKiB: number;
  ok: number;
}

interface Start {
  wallMs: number;
  memKiB: number;
  procs: number;
  diskKiB: number;
  bootCpuMs: number;
}
const NO_START: Start = { wallMs: NaN, memKiB: NaN, procs: NaN, diskKiB: NaN, bootCpuMs: NaN };

interface SizeResult {
  n: number;
  forks: number;
  /** hosts' start: wall, PSS of the idle test bed and its processes, disk (KiB), CPU of booting them (ms) */
  start: Start;
  startXen: Start;
  plan: Cost[];
  verify: Cost[];
  sweep: { forks: number; cost: Cost }[];
  error?: string;
}

/** Samples the fleet's PSS every 2 s until stopped; returns the highest value seen (KiB). */
function bedWatch(fleet: Fleet): { stop(): number } {
  let high = fleetPss(fleet).pssKiB;
  const t = setInterval(() => {
    high = Math.max(high, fleetPss(fleet).pssKiB);
  }, 2000);
  return {
    stop() {
      clearInterval(t);
      return Math.max(high, fleetPss(fleet).pssKiB);
    },
  };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** plan: with the Dom0 settings of bench/fleet.ts; verify: without (checks what GRUB boots by default) */
function inventory(fleet: Fleet, file: string, dom0: boolean): void {
  const lines = fleet.hosts.map((h) => `${h.name} ansible_host=${h.host} ansible_port=${h.port} ansible_user=root ansible_ssh_private_key_file=${h.privateKeyPath}`);
  fs.writeFileSync(file, `[dom0s]\n${lines.join('\n')}\n${dom0 ? '\n[dom0s:vars]\ndom0_mem=1024M\ndom0_vcpus=2\npin=true\n' : ''}`);
}

async function startMeasured(tb: Testbed, n: number, spec: Record<string, unknown>): Promise<{ fleet: Fleet; watch: HostWatch; start: Start }> {
  const t0 = Date.now();
  const fleet = await tb.startHosts(n, { ...HOST_SPEC, ...spec });
  const wallMs = Date.now() - t0;
  const watch = new HostWatch(fleet.hosts);
  await settle(3000); // let the boots finish their last writes
  const bed = fleetPss(fleet);
  return { fleet, watch, start: { wallMs, memKiB: bed.pssKiB, procs: bed.procs, diskKiB: fleetDiskKiB(fleet), bootCpuMs: watch.cpuMs() } };
}

async function runOne(fleet: Fleet, watch: HostWatch, dir: string, label: string, args: string[], env: NodeJS.ProcessEnv, okOf: (m: Measured) => number): Promise<Cost> {
  await settle(1000);
  const c0 = watch.cpuMs();
  const bw = bedWatch(fleet);
  const m = await measure(dir, label, process.execPath, [BIN, ...args], env);
  const bedPeakKiB = bw.stop();
  const u = m.usage;
  return { wallMs: u.wallMs, cpuMs: u.userMs + u.sysMs, maxRssKiB: u.maxRssKiB, treePssKiB: u.peakTreePssKiB, procs: u.peakProcs, hostCpuMs: watch.cpuMs() - c0, bedPeakKiB, ok: okOf(m) };
}

function countOutcome(m: Measured, pred: (h: Record<string, unknown>) => boolean): number {
  try {
    const j = JSON.parse(m.stdout) as { hosts?: Record<string, unknown>[] };
    return (j.hosts ?? []).filter(pred).length;
  } catch {
    return 0;
  }
}

export async function run(opts: Record<string, string> = {}): Promise<unknown> {
  const sizes = (opts.sizes ?? '100,250,500').split(',').map(Number).filter((x) => x > 0);
  const repeat = Number(opts.repeat ?? 1);
  const forksOpt = opts.forks ? Number(opts.forks) : undefined;
  const sweep = (opts.sweep ?? '').split(',').map(Number).filter((x) => x > 0);
  console.log('\n## Fleet scale: `dom0up plan` and `dom0up verify` at 100, 250 and 500 hosts\n');
  const tb = await testbed();
  if (typeof tb === 'string') {
    console.log(`skipped: the test bed cannot run here (${tb})`);
    return null;
  }
  if (!fs.existsSync(BIN)) throw new Error(`no ${BIN}: run npm run build first`);
  const { DEFAULT_FORKS } = await import('../dist/commands/fleet.js');
  const forks = forksOpt ?? DEFAULT_FORKS;
  const dir = tmpDir('dom0up-bench-scale-');
  const results: SizeResult[] = [];
  const startedLoad = os.loadavg();
  try {
    for (const n of sizes) {
      const r: SizeResult = { n, forks, start: NO_START, startXen: NO_START, plan: [], verify: [], sweep: [] };
      results.push(r);
      const env = { ...process.env, DOM0UP_LOG_DIR: path.join(dir, `logs-${n}`), NO_COLOR: '1' };
      try {
        process.stderr.write(`bench scale: ${n} fresh hosts…\n`);
        {
          const { fleet, watch, start } = await startMeasured(tb, n, {});
          r.start = start;
          try {
            const inv = path.join(dir, `plan-${n}.ini`);
            inventory(fleet, inv, true);
            const common = ['-i', inv, '--json', ...dom0upSsh(fleet)];
            for (let i = 0; i < repeat; i++) {
              process.stderr.write(`bench scale: ${n} hosts, plan ${i + 1}/${repeat} (forks ${forks})…\n`);
              r.plan.push(await runOne(fleet, watch, dir, `plan-${n}-${i}`, ['plan', ...common, '--forks', String(forks)], env, (m) => countOutcome(m, (h) => h.outcome === 'pending')));
            }
            if (n === Math.max(...sizes)) {
              for (const f of sweep) {
                process.stderr.write(`bench scale: ${n} hosts, plan with --forks ${f}…\n`);
                r.sweep.push({ forks: f, cost: await runOne(fleet, watch, dir, `plan-${n}-forks${f}`, ['plan', ...common, '--forks', String(f)], env, (m) => countOutcome(m, (h) => h.outcome === 'pending')) });
              }
            }
          } finally {
            watch.stop();
            await fleet.stop();
          }
        }
        process.stderr.write(`bench scale: ${n} hosts running Xen…\n`);
        {
          const { fleet, watch, start } = await startMeasured(tb, n, { xen: 'running' });
          r.startXen = start;
          try {
            const inv = path.join(dir, `verify-${n}.ini`);
            inventory(fleet, inv, false);
            const common = ['-i', inv, '--json', ...dom0upSsh(fleet)];
            for (let i = 0; i < repeat; i++) {
              process.stderr.write(`bench scale: ${n} hosts, verify ${i + 1}/${repeat}…\n`);
              r.verify.push(await runOne(fleet, watch, dir, `verify-${n}-${i}`, ['verify', ...common, '--forks', String(forks)], env, (m) => countOutcome(m, (h) => h.ok === true)));
            }
          } finally {
            watch.stop();
            await fleet.stop();
          }
        }
      } catch (e) {
        r.error = (e as Error).message.slice(0, 2000);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  report(results, startedLoad);
  return results;
}

function pick(costs: Cost[]): Cost | null {
  if (!costs.length) return null;
  const m = (f: (c: Cost) => number) => median(costs.map(f));
  return { wallMs: m((c) => c.wallMs), cpuMs: m((c) => c.cpuMs), maxRssKiB: m((c) => c.maxRssKiB), treePssKiB: m((c) => c.treePssKiB), procs: m((c) => c.procs), hostCpuMs: m((c) => c.hostCpuMs), bedPeakKiB: m((c) => c.bedPeakKiB), ok: Math.min(...costs.map((c) => c.ok)) };
}

const kib = (k: number) => (Number.isFinite(k) ? `${(k / 1024).toFixed(k < 10 * 1024 ? 1 : 0)} MiB` : '–');
const perHostKiB = (k: number, n: number) => (Number.isFinite(k) ? `${(k / n).toFixed(0)} KiB` : '–');

function report(results: SizeResult[], startedLoad: number[]): void {
  console.log(`${machineLine()} (at the start: ${startedLoad.map((x) => x.toFixed(2)).join(' ')}); node ${process.version}`);
  console.log(`hosts: ${JSON.stringify(HOST_SPEC)}; inventory: one INI group (ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file per host), for plan with the Dom0 settings of bench/fleet.ts in its vars\n`);
  for (const [title, get, what] of [
    ['`dom0up plan -i INV --json` (fresh hosts: every host has changes pending)', (r: SizeResult) => pick(r.plan), 'pending'],
    ['`dom0up verify -i INV --json` (hosts running Xen)', (r: SizeResult) => pick(r.verify), 'verified'],
  ] as const) {
    console.log(`\n### ${title}\n`);
    console.log(`| hosts | forks | ${what} | wall | per host | controller CPU | CPU per host | peak RSS (dom0up) | per host | peak PSS, all processes (count) | hosts' CPU per host | test bed memory at its peak, per host |`);
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      const c = get(r);
      if (!c) {
        console.log(`| ${r.n} | ${r.forks} | – | – | – | – | – | – | – | – | – | – |${r.error ? ` ${r.error.split('\n')[0]}` : ''}`);
        continue;
      }
      console.log(`| ${r.n} | ${r.forks} | ${c.ok}/${r.n} | ${sec(c.wallMs)} | ${msf(c.wallMs / r.n)} | ${sec(c.cpuMs)} | ${msf(c.cpuMs / r.n)} | ${mib(c.maxRssKiB)} | ${perHostKiB(c.maxRssKiB, r.n)} | ${mib(c.treePssKiB)} (${c.procs}) | ${msf(c.hostCpuMs / r.n)} | ${perHostKiB(c.bedPeakKiB, r.n)} |`);
    }
  }
  console.log('\n### The test bed itself\n');
  console.log('| hosts | start (fresh) | per host | boot CPU per host | memory, idle (PSS of its processes) | per host | processes per host | disk per host | start (Xen) | memory (Xen, idle) per host |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.n} | ${sec(r.start.wallMs)} | ${msf(r.start.wallMs / r.n)} | ${msf(r.start.bootCpuMs / r.n)} | ${kib(r.start.memKiB)} | ${perHostKiB(r.start.memKiB, r.n)} | ${(r.start.procs / r.n).toFixed(1)} | ${perHostKiB(r.start.diskKiB, r.n)} | ${sec(r.startXen.wallMs)} | ${perHostKiB(r.startXen.memKiB, r.n)} |`);
  }
  const big = results.find((r) => r.sweep.length);
  if (big) {
    console.log(`\n### --forks at ${big.n} hosts (\`dom0up plan\`)\n`);
    console.log('| forks | pending | wall | controller CPU | peak RSS (dom0up) | peak PSS, all processes | hosts\' CPU per host | test bed memory at its peak |');
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const s of big.sweep) {
      const c = s.cost;
      console.log(`| ${s.forks} | ${c.ok}/${big.n} | ${sec(c.wallMs)} | ${sec(c.cpuMs)} | ${mib(c.maxRssKiB)} | ${mib(c.treePssKiB)} | ${msf(c.hostCpuMs / big.n)} | ${kib(c.bedPeakKiB)} |`);
    }
  }
  for (const r of results) if (r.error) console.log(`\n${r.n} hosts: ERROR ${r.error}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
