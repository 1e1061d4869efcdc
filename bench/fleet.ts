// Benchmark: simulated fleets of 1, 10, 50 and 100 hosts (test bed, loopback; issue 6). For each
// size and each tool a fresh fleet: the dry run (`dom0up plan` / `ansible-playbook --check --diff`)
// and the full job (`dom0up apply` / `ansible-playbook`) with the same inventory, SSH key,
// known_hosts and forks. Wall time, controller CPU (the tool and every process it starts, ssh's
// ControlPersist masters included: bench/rusage.py), peak memory, SSH round trips per host,
// reboot detection latency, and the CPU the simulated hosts used. After each full run every host
// must boot Xen with the requested Dom0 (test bed boot log) and hold the same files dom0up writes,
// otherwise the comparison is void and the benchmark says so. Not a test: prints numbers.
//
// Options (npm run bench -- fleet --sizes=1,10 --repeat=3 --forks=16 --tools=dom0up,ansible):
//   sizes   fleet sizes (default 1,10,50,100)     repeat  dry runs per tool and size (default 3)
//   forks   both tools' parallelism (default 16)   tools   dom0up,ansible[,ansible-pipelining] (default dom0up,ansible)
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Fleet } from '../test/testbed/index.js';
import { BIN, ROOT, HostWatch, dist, dom0upSsh, logTime, machineLine, measure, median, mib, msf, ratio, sec, testbed, tmpDir, type Measured } from './lib.js';
import { HOST_SPEC } from './overhead.js';

type Testbed = typeof import('../test/testbed/index.js');
const ANSIBLE_DIR = path.join(ROOT, 'bench', 'ansible');
const PLAYBOOK = path.join(ANSIBLE_DIR, 'dom0.yml');
/** the files both tools must leave identical */
const FILES = ['/etc/yum.repos.d/xen4centos-410.repo', '/etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-SIG-Virtualization', '/etc/sysconfig/kernel', '/etc/sysconfig/xen-kernel', '/etc/xen/xl.conf', '/etc/grub.conf'];
const DOM0 = { memMiB: 1024, vcpus: 2, xenCmdline: 'dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin' };

interface Cost {
  wallMs: number;
  cpuMs: number;
  maxRssKiB: number;
  treePssKiB: number;
  treeRssKiB: number;
  procs: number;
  hostCpuMs: number;
}
interface ToolResult {
  plan: Cost[];
  apply: Cost | null;
  roundTrips: number[];
  detectLatencyMs: number[];
  detectMs: number[];
  rebootMs: number[];
  verified: string;
  equivalent: string;
  stepsMs: Map<string, number[]>;
  tasksMs: [string, number][];
  error?: string;
}
interface SizeResult {
  n: number;
  dom0up?: ToolResult;
  ansible?: ToolResult;
  /** Ansible with pipelining on (not the default; --tools=…,ansible-pipelining) */
  ansiblePipelining?: ToolResult;
}

function cost(m: Measured, hostCpuMs: number): Cost {
  const u = m.usage;
  return { wallMs: u.wallMs, cpuMs: u.userMs + u.sysMs, maxRssKiB: u.maxRssKiB, treePssKiB: u.peakTreePssKiB, treeRssKiB: u.peakTreeRssKiB, procs: u.peakProcs, hostCpuMs };
}

function inventory(fleet: Fleet, file: string): void {
  const tpl = fs.readFileSync(path.join(ANSIBLE_DIR, 'inventory.ini.tpl'), 'utf8');
  const lines = fleet.hosts.map((h) => `${h.name} ansible_host=${h.host} ansible_port=${h.port} ansible_user=root ansible_ssh_private_key_file=${h.privateKeyPath}`);
  fs.writeFileSync(file, tpl.replace(/^@HOSTS@$/m, lines.join('\n')));
}

const sha = (b: Buffer | null) => (b ? createHash('sha256').update(b).digest('hex') : 'absent');

/** Every host boots Xen with the requested Dom0; returns a one-line verdict and the failures. */
async function checkXen(tb: Testbed, fleet: Fleet): Promise<{ ok: boolean; text: string }> {
  const bad: string[] = [];
  for (const h of fleet.hosts) {
    const last = (await tb.bootLog(h)).at(-1);
    const ok = last && last.hypervisor === 'xen' && last.result === 'up' && last.dom0MemMiB === DOM0.memMiB && last.dom0Vcpus === DOM0.vcpus && last.xenCmdline === DOM0.xenCmdline;
    if (!ok) bad.push(`${h.name}: ${last ? `${last.hypervisor} ${last.kernelRelease} ${last.xenCmdline ?? ''}` : 'no boot'}`);
  }
  return { ok: bad.length === 0, text: bad.length ? `${fleet.hosts.length - bad.length}/${fleet.hosts.length} boot Xen (${bad.slice(0, 3).join('; ')})` : `${fleet.hosts.length}/${fleet.hosts.length} boot Xen`, };
}

/** sha256 of FILES on each host. */
async function fileHashes(tb: Testbed, fleet: Fleet): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const h of fleet.hosts) out.set(h.name, await Promise.all(FILES.map(async (f) => sha(await tb.readHostFileBuffer(h, f)))));
  return out;
}

function compareFiles(ref: string[] | undefined, got: Map<string, string[]>): string {
  if (!ref) return 'no dom0up reference';
  const diff = new Map<string, number>();
  let same = 0;
  for (const hs of got.values()) {
    let ok = true;
    hs.forEach((x, i) => {
      if (x !== ref[i]) {
        ok = false;
        diff.set(FILES[i]!, (diff.get(FILES[i]!) ?? 0) + 1);
      }
    });
    if (ok) same++;
  }
  return diff.size ? `${same}/${got.size} identical; differ: ${[...diff].map(([f, k]) => `${f} (${k})`).join(', ')}` : `${same}/${got.size} identical`;
}

interface FleetHostJson {
  name: string;
  outcome: string;
  ok?: boolean;
  log?: string;
  report?: { roundTrips: number; reboot: { totalMs: number; detectMs: number } | null; steps: { id: string; durationMs: number }[] };
}

async function runDom0up(tb: Testbed, n: number, o: Opts, dir: string, ref: { files?: string[] }): Promise<ToolResult> {
  const fleet = await tb.startHosts(n, HOST_SPEC);
  const watch = new HostWatch(fleet.hosts);
  const res: ToolResult = { plan: [], apply: null, roundTrips: [], detectLatencyMs: [], detectMs: [], rebootMs: [], verified: '', equivalent: '', stepsMs: new Map(), tasksMs: [] };
  try {
    const inv = path.join(dir, `dom0up-${n}.ini`);
    inventory(fleet, inv);
    const env = { ...process.env, DOM0UP_LOG_DIR: path.join(dir, `logs-${n}`), NO_COLOR: '1' };
    const common = ['-i', inv, '--json', '--forks', String(o.forks), ...dom0upSsh(fleet)];
    for (let i = 0; i < o.repeat; i++) {
      const c0 = watch.cpuMs();
      const m = await measure(dir, `dom0up-plan-${n}-${i}`, process.execPath, [BIN, 'plan', ...common], env);
      const hostCpu = watch.cpuMs() - c0;
      const j = JSON.parse(m.stdout || '{}') as { hosts?: FleetHostJson[] };
      const pending = (j.hosts ?? []).filter((h) => h.outcome === 'pending').length;
      if (m.usage.exit !== 0 || pending !== n) throw new Error(`dom0up plan: exit ${m.usage.exit}, ${pending}/${n} pending: ${m.stderr.slice(-1500)}`);
      res.plan.push(cost(m, hostCpu));
    }
    const c0 = watch.cpuMs();
    const m = await measure(dir, `dom0up-apply-${n}`, process.execPath, [BIN, 'apply', ...common, '--yes', '--serial', '100%'], env);
    const hostCpu = watch.cpuMs() - c0;
    res.apply = cost(m, hostCpu);
    const j = JSON.parse(m.stdout || '{}') as { hosts?: FleetHostJson[]; summary?: { verified: number } };
    if (m.usage.exit !== 0 || j.summary?.verified !== n) res.error = `dom0up apply: exit ${m.usage.exit}, ${j.summary?.verified ?? 0}/${n} verified: ${(j.hosts ?? []).filter((h) => !h.ok).slice(0, 2).map((h) => `${h.name} ${h.outcome}`).join('; ')}`;
    for (const h of j.hosts ?? []) {
      const r = h.report;
      if (!r) continue;
      res.roundTrips.push(r.roundTrips);
      if (r.reboot) {
        res.detectMs.push(r.reboot.detectMs);
        res.rebootMs.push(r.reboot.totalMs);
      }
      for (const s of r.steps) res.stepsMs.set(s.id, [...(res.stepsMs.get(s.id) ?? []), s.durationMs]);
      const back = watch.timelines.get(h.name)?.sshdBack[0];
      const text = h.log && fs.existsSync(h.log) ? fs.readFileSync(h.log, 'utf8') : '';
      const noticed = logTime(text, 'reboot', 'ok');
      if (back !== undefined && noticed !== null) res.detectLatencyMs.push(noticed - back);
    }
    const x = await checkXen(tb, fleet);
    res.verified = x.text;
    if (!x.ok) res.error = (res.error ? res.error + '; ' : '') + x.text;
    const hashes = await fileHashes(tb, fleet);
    ref.files ??= hashes.values().next().value;
    res.equivalent = compareFiles(ref.files, hashes);
  } finally {
    watch.stop();
    await fleet.stop();
  }
  return res;
}

interface AnsibleJson {
  plays?: { tasks: { task: { name: string; duration?: { start: string; end: string } }; hosts: Record<string, { elapsed?: number; failed?: boolean; msg?: string }> }[] }[];
  stats?: Record<string, { failures: number; unreachable: number; ok: number; changed: number }>;
}

function ansibleEnv(dir: string, fleet: Fleet, tag: string, pipelining = false): NodeJS.ProcessEnv {
  const d = path.join(dir, `a-${tag}`);
  fs.mkdirSync(path.join(d, 'cp'), { recursive: true });
  fs.mkdirSync(path.join(d, 'tmp'), { recursive: true });
  return {
    ...process.env,
    ANSIBLE_CONFIG: path.join(ANSIBLE_DIR, 'ansible.cfg'),
    ANSIBLE_HOME: path.join(d, 'home'),
    ANSIBLE_LOCAL_TEMP: path.join(d, 'tmp'),
    ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(d, 'cp'),
    // the fleet's known_hosts, host key checking on (ansible.cfg), no ~/.ssh/config: as dom0up gets them
    ANSIBLE_SSH_COMMON_ARGS: `-F /dev/null -o UserKnownHostsFile=${fleet.knownHostsPath} -o GlobalKnownHostsFile=/dev/null`,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_DEPRECATION_WARNINGS: 'False',
    ...(pipelining ? { ANSIBLE_PIPELINING: 'True' } : {}),
  };
}

function ansibleFailures(m: Measured, n: number): string | null {
  let j: AnsibleJson;
  try {
    j = JSON.parse(m.stdout) as AnsibleJson;
  } catch {
    return `exit ${m.usage.exit}, no JSON: ${m.stderr.slice(-800)}`;
  }
  const stats = Object.entries(j.stats ?? {});
  const bad = stats.filter(([, s]) => s.failures || s.unreachable);
  if (m.usage.exit === 0 && stats.length === n && !bad.length) return null;
  const why: string[] = [];
  for (const p of j.plays ?? []) for (const t of p.tasks) for (const [h, r] of Object.entries(t.hosts)) if (r.failed) why.push(`${h} "${t.task.name}": ${String(r.msg ?? '').slice(0, 200)}`);
  return `exit ${m.usage.exit}, ${stats.length - bad.length}/${n} ok: ${why.slice(0, 2).join('; ')}`;
}

async function runAnsible(tb: Testbed, n: number, o: Opts, dir: string, ref: { files?: string[] }, pipelining = false): Promise<ToolResult> {
  const tag = pipelining ? 'ansiblep' : 'ansible';
  const fleet = await tb.startHosts(n, HOST_SPEC);
  const watch = new HostWatch(fleet.hosts);
  const res: ToolResult = { plan: [], apply: null, roundTrips: [], detectLatencyMs: [], detectMs: [], rebootMs: [], verified: '', equivalent: '', stepsMs: new Map(), tasksMs: [] };
  try {
    const inv = path.join(dir, `${tag}-${n}.ini`);
    inventory(fleet, inv);
    for (let i = 0; i < o.repeat; i++) {
      const c0 = watch.cpuMs();
      const m = await measure(dir, `${tag}-check-${n}-${i}`, 'ansible-playbook', ['-i', inv, PLAYBOOK, '--forks', String(o.forks), '--check', '--diff'], ansibleEnv(dir, fleet, `${tag}-check-${n}-${i}`, pipelining));
      const hostCpu = watch.cpuMs() - c0;
      const bad = ansibleFailures(m, n);
      if (bad) throw new Error(`ansible-playbook --check: ${bad}`);
      res.plan.push(cost(m, hostCpu));
    }
    const c0 = watch.cpuMs();
    const m = await measure(dir, `${tag}-apply-${n}`, 'ansible-playbook', ['-i', inv, PLAYBOOK, '--forks', String(o.forks)], ansibleEnv(dir, fleet, `${tag}-apply-${n}`, pipelining));
    const hostCpu = watch.cpuMs() - c0;
    res.apply = cost(m, hostCpu);
    const bad = ansibleFailures(m, n);
    if (bad) res.error = `ansible-playbook: ${bad}`;
    try {
      const j = JSON.parse(m.stdout) as AnsibleJson;
      for (const p of j.plays ?? []) {
        for (const t of p.tasks) {
          if (t.task.duration) res.tasksMs.push([t.task.name, Date.parse(t.task.duration.end) - Date.parse(t.task.duration.start)]);
          if (t.task.name === 'Reboot into Xen') for (const r of Object.values(t.hosts)) if (typeof r.elapsed === 'number') res.rebootMs.push(r.elapsed * 1000);
        }
      }
    } catch {
      /* reported above */
    }
    const x = await checkXen(tb, fleet);
    res.verified = x.text;
    if (!x.ok) res.error = (res.error ? res.error + '; ' : '') + x.text;
    res.equivalent = compareFiles(ref.files, await fileHashes(tb, fleet));
  } finally {
    watch.stop();
    await fleet.stop();
  }
  return res;
}

/**
 * SSH commands Ansible runs per host (each `SSH: EXEC` of -vvv: one ssh or sftp invocation over
 * the ControlPersist master, the counterpart of one dom0up round trip), on a fresh 1-host fleet.
 */
async function ansibleRoundTrips(tb: Testbed, o: Opts, dir: string): Promise<{ check: number; apply: number } | string> {
  const fleet = await tb.startHosts(1, HOST_SPEC);
  try {
    const inv = path.join(dir, 'ansible-vvv.ini');
    inventory(fleet, inv);
    const count = async (label: string, extra: string[]) => {
      const m = await measure(dir, `ansible-vvv-${label}`, 'ansible-playbook', ['-vvv', '-i', inv, PLAYBOOK, '--forks', String(o.forks), ...extra], ansibleEnv(dir, fleet, `vvv-${label}`));
      if (m.usage.exit !== 0) throw new Error(`ansible-playbook -vvv ${extra.join(' ')} exited ${m.usage.exit}`);
      return (m.stdout + m.stderr).split('\n').filter((l) => /SSH: EXEC (ssh|sftp|scp) /.test(l)).length;
    };
    const check = await count('check', ['--check', '--diff']);
    const apply = await count('apply', []);
    return { check, apply };
  } catch (e) {
    return (e as Error).message;
  } finally {
    await fleet.stop();
  }
}

/** ansible-playbook on PATH (Debian's `ansible` package, installed here when missing), or why not. */
function ensureAnsible(): { version: string } | { skip: string } {
  const have = () => spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });
  let v = have();
  if (v.status !== 0) {
    if (process.getuid?.() !== 0 || !fs.existsSync('/usr/bin/apt-get')) return { skip: 'ansible-playbook is not installed and this is not a Debian machine where the benchmark runs as root (apt-get install ansible)' };
    process.stderr.write('bench: installing Debian\'s ansible package (apt-get install -y ansible)…\n');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'ansible'], { stdio: ['ignore', 'ignore', 'pipe'], env, encoding: 'utf8' });
    if (r.status !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
      r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'ansible'], { stdio: ['ignore', 'ignore', 'pipe'], env, encoding: 'utf8' });
    }
    if (r.status !== 0) return { skip: `apt-get install ansible failed: ${(r.stderr ?? '').trim().split('\n').pop()}` };
    v = have();
    if (v.status !== 0) return { skip: 'ansible-playbook does not run after installing it' };
  }
  const posix = spawnSync('/usr/bin/python3', ['-c', 'import ansible_collections.ansible.posix.plugins.callback.json'], { stdio: 'ignore' });
  if (posix.status !== 0) return { skip: 'the ansible.posix collection (its json callback) is missing: install Debian\'s `ansible` package, not only ansible-core' };
  let pkg = '';
  try {
    pkg = execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'ansible'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    /* not from a Debian package */
  }
  const core = /core ([\d.]+)/.exec(v.stdout)?.[1] ?? '?';
  return { version: `ansible-core ${core}${pkg ? ` (Debian ansible ${pkg})` : ''}` };
}

interface Opts {
  sizes: number[];
  repeat: number;
  forks: number;
  tools: string[];
}

export async function run(opts: Record<string, string> = {}): Promise<unknown> {
  const o: Opts = {
    sizes: (opts.sizes ?? '1,10,50,100').split(',').map(Number).filter((x) => x > 0),
    repeat: Number(opts.repeat ?? 3),
    forks: Number(opts.forks ?? 16),
    tools: (opts.tools ?? 'dom0up,ansible').split(','),
  };
  console.log('\n## Fleets: dom0up and Ansible on simulated hosts (test bed, loopback)\n');
  const tb = await testbed();
  if (typeof tb === 'string') {
    console.log(`skipped: the test bed cannot run here (${tb})`);
    return null;
  }
  if (!fs.existsSync(BIN)) throw new Error(`no ${BIN}: run npm run build first`);
  let ansible: { version: string } | { skip: string } = { skip: 'not asked for (--tools)' };
  if (o.tools.some((t) => t.startsWith('ansible'))) ansible = ensureAnsible();
  if ('skip' in ansible) console.log(`Ansible parts skipped: ${ansible.skip}\n`);
  const dir = tmpDir('dom0up-bench-');
  const results: SizeResult[] = [];
  const startedLoad = os.loadavg();
  const ref: { files?: string[] } = {};
  let ansibleTrips: Awaited<ReturnType<typeof ansibleRoundTrips>> | null = null;
  try {
    for (const n of o.sizes) {
      const r: SizeResult = { n };
      results.push(r);
      if (o.tools.includes('dom0up')) {
        process.stderr.write(`bench fleet: ${n} host(s), dom0up…\n`);
        r.dom0up = await runDom0up(tb, n, o, dir, ref).catch((e: Error) => ({ ...emptyResult(), error: e.message }));
      }
      if ('version' in ansible && o.tools.includes('ansible')) {
        process.stderr.write(`bench fleet: ${n} host(s), Ansible…\n`);
        r.ansible = await runAnsible(tb, n, o, dir, ref).catch((e: Error) => ({ ...emptyResult(), error: e.message }));
      }
      if ('version' in ansible && o.tools.includes('ansible-pipelining')) {
        process.stderr.write(`bench fleet: ${n} host(s), Ansible with pipelining…\n`);
        r.ansiblePipelining = await runAnsible(tb, n, o, dir, ref, true).catch((e: Error) => ({ ...emptyResult(), error: e.message }));
      }
    }
    if ('version' in ansible && o.tools.includes('ansible')) {
      process.stderr.write('bench fleet: counting Ansible\'s SSH commands (1 host, -vvv)…\n');
      ansibleTrips = await ansibleRoundTrips(tb, o, dir);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  report(results, o, 'version' in ansible ? ansible.version : null, startedLoad, ansibleTrips);
  return results;
}

function emptyResult(): ToolResult {
  return { plan: [], apply: null, roundTrips: [], detectLatencyMs: [], detectMs: [], rebootMs: [], verified: '–', equivalent: '–', stepsMs: new Map(), tasksMs: [] };
}

function report(results: SizeResult[], o: Opts, ansibleVersion: string | null, startedLoad: number[], ansibleTrips: Awaited<ReturnType<typeof ansibleRoundTrips>> | null): void {
  const cores = os.cpus().length;
  console.log(`${machineLine()} (at the start: ${startedLoad.map((x) => x.toFixed(2)).join(' ')}); node ${process.version}; ${ansibleVersion ?? 'no Ansible'}`);
  console.log(`hosts: downtimeMs ${HOST_SPEC.downtimeMs} (fixed), rebootDelayMs ${HOST_SPEC.rebootDelayMs}, xencommonsDelayMs ${HOST_SPEC.xencommonsDelayMs}, yumLineDelayMs ${HOST_SPEC.yumLineDelayMs}; forks ${o.forks} for both; dom0up --serial 100%; dry runs: median of ${o.repeat}\n`);
  const planOf = (t?: ToolResult): Cost | null => {
    if (!t || !t.plan.length) return null;
    const pick = (f: (c: Cost) => number) => median(t.plan.map(f));
    return { wallMs: pick((c) => c.wallMs), cpuMs: pick((c) => c.cpuMs), maxRssKiB: pick((c) => c.maxRssKiB), treePssKiB: pick((c) => c.treePssKiB), treeRssKiB: pick((c) => c.treeRssKiB), procs: pick((c) => c.procs), hostCpuMs: pick((c) => c.hostCpuMs) };
  };
  const row = (label: string, n: number, c: Cost | null, other: Cost | null) =>
    c
      ? `| ${n} | ${label} | ${sec(c.wallMs)} | ${other ? ratio(other.wallMs / c.wallMs) : ''} | ${sec(c.cpuMs)} | ${other ? ratio(other.cpuMs / c.cpuMs) : ''} | ${msf(c.cpuMs / n)} | ${mib(c.maxRssKiB)} | ${mib(c.treePssKiB)} (${c.procs}) | ${msf(c.hostCpuMs / n)} |`
      : `| ${n} | ${label} | – | – | – | – | – | – | – | – |`;
  for (const [title, pick] of [
    ['Dry run: `dom0up plan -i INV --json --forks F` vs `ansible-playbook -i INV dom0.yml --check --diff --forks F`', (t?: ToolResult) => planOf(t)],
    ['Full job: `dom0up apply -i INV --yes --json --forks F --serial 100%` vs `ansible-playbook -i INV dom0.yml --forks F`', (t?: ToolResult) => t?.apply ?? null],
  ] as const) {
    console.log(`\n### ${title}\n`);
    console.log('| hosts | tool | wall | Ansible ÷ dom0up | controller CPU | Ansible ÷ dom0up | CPU per host | peak RSS (largest process) | peak PSS, all processes (count) | hosts\' CPU per host |');
    console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      const d = pick(r.dom0up);
      const a = pick(r.ansible);
      console.log(row('dom0up', r.n, d, a));
      if (r.ansible) console.log(row('Ansible', r.n, a, null));
      if (r.ansiblePipelining) console.log(row('Ansible, pipelining on', r.n, pick(r.ansiblePipelining), null));
    }
  }
  console.log('\n### Per host: SSH round trips, reboot detection, verification\n');
  console.log('| hosts | dom0up round trips per host | sshd accepts → dom0up notices (min / p50 / p90 / max) | report detectMs p50 | reboot step p50: dom0up / Ansible (whole seconds) | dom0up hosts | Ansible hosts | Ansible files vs dom0up\'s |');
  console.log('|---:|---:|---:|---:|---:|---|---|---|');
  for (const r of results) {
    const d = r.dom0up;
    const a = r.ansible;
    const dl = dist(d?.detectLatencyMs ?? []);
    const rt = dist(d?.roundTrips ?? []);
    console.log(`| ${r.n} | ${rt.n ? (rt.min === rt.max ? `${rt.min}` : `${rt.min}–${rt.max}`) : '–'} | ${dl.n ? `${msf(dl.min)} / ${msf(dl.p50)} / ${msf(dl.p90)} / ${msf(dl.max)}` : '–'} | ${msf(median(d?.detectMs ?? []))} | ${sec(median(d?.rebootMs ?? []))} / ${sec(median(a?.rebootMs ?? []))} | ${d ? d.verified : '–'} | ${a ? a.verified : '–'} | ${a ? a.equivalent : '–'} |`);
  }
  if (ansibleTrips !== null) {
    const dApply = median(results.flatMap((r) => r.dom0up?.roundTrips ?? []));
    console.log(
      typeof ansibleTrips === 'string'
        ? `\nAnsible's SSH commands per host could not be counted: ${ansibleTrips}`
        : `\nSSH commands per host (1 host, \`ansible-playbook -vvv\`, each ssh/sftp invocation over the ControlPersist master): Ansible \`--check --diff\` ${ansibleTrips.check} (dom0up plan: 1, see the overhead benchmark), Ansible full run ${ansibleTrips.apply} (dom0up apply: ${dApply}).`,
    );
  }
  const void_ = (n: number, label: string, t?: ToolResult): string[] => {
    if (!t) return [];
    const out: string[] = [];
    if (t.error) out.push(`${n} hosts, ${label}: ${t.error}`);
    else if (label !== 'dom0up' && !/^(\d+)\/\1 identical$/.test(t.equivalent)) out.push(`${n} hosts, ${label}: the files differ from dom0up's: ${t.equivalent}`);
    return out;
  };
  const errors = results.flatMap((r) => [...void_(r.n, 'dom0up', r.dom0up), ...void_(r.n, 'Ansible', r.ansible), ...void_(r.n, 'Ansible (pipelining)', r.ansiblePipelining)]);
  if (errors.length) console.log(`\n**Runs that failed (their numbers are void):**\n\n${errors.map((e) => `- ${e}`).join('\n')}`);

  // goals
  console.log('\n### Goals\n');
  const at = (n: number) => results.find((r) => r.n === n);
  // issue 15's bar: at 10 hosts plan ≥ 8× and apply ≥ 2× faster than Ansible, the gap widening with the fleet
  const ratios = (r: SizeResult) => ({
    plan: r.dom0up && r.ansible ? (planOf(r.ansible)?.wallMs ?? NaN) / (planOf(r.dom0up)?.wallMs ?? NaN) : NaN,
    apply: r.dom0up?.apply && r.ansible?.apply ? r.ansible.apply.wallMs / r.dom0up.apply.wallMs : NaN,
  });
  const g10 = at(10) ?? results.find((r) => r.n >= 10) ?? results.at(-1);
  if (g10?.dom0up && g10.ansible) {
    const { plan: p, apply: a } = ratios(g10);
    console.log(`- plan at ${g10.n} hosts: Ansible ÷ dom0up = **${ratio(p)}** (goal ≥ 8×): ${p >= 8 ? 'met' : 'NOT met'}`);
    if (Number.isFinite(a)) console.log(`- apply at ${g10.n} hosts: Ansible ÷ dom0up = **${ratio(a)}** (goal ≥ 2×): ${a >= 2 ? 'met' : 'NOT met'}`);
    for (const r of results.filter((x) => x.n > g10.n && x.dom0up && x.ansible)) {
      const q = ratios(r);
      const widens = (x: number, base: number) => (!Number.isFinite(x) ? '' : x >= base ? 'wider' : 'NOT wider');
      console.log(`  - at ${r.n} hosts: plan ${ratio(q.plan)} (${widens(q.plan, p)}), apply ${Number.isFinite(q.apply) ? ratio(q.apply) : '–'}${Number.isFinite(q.apply) ? ` (${widens(q.apply, a)})` : ''}`);
    }
  }
  const withApply = results.filter((r) => r.dom0up?.apply && r.dom0up.plan.length && r.n >= 10);
  if (withApply.length >= 2) {
    const first = withApply[0]!;
    const last = withApply.at(-1)!;
    const per = (r: SizeResult) => r.dom0up!.apply!.cpuMs / r.n;
    const perPlan = (r: SizeResult) => planOf(r.dom0up)!.cpuMs / r.n;
    console.log(`- dom0up controller CPU per host, ${first.n} → ${last.n} hosts: apply ${msf(per(first))} → ${msf(per(last))} (${ratio(per(last) / per(first))}), plan ${msf(perPlan(first))} → ${msf(perPlan(last))} (${ratio(perPlan(last) / perPlan(first))}); 1.0× = linear`);
    for (const r of withApply) {
      const c = r.dom0up!.apply!;
      console.log(`  - ${r.n} hosts: machine busy ${(((c.cpuMs + c.hostCpuMs) / (c.wallMs * cores)) * 100).toFixed(0)}% of ${cores} cores during the apply (dom0up + simulated hosts), wall per host ${msf(c.wallMs / r.n)}`);
    }
  }
  const allDl = results.flatMap((r) => r.dom0up?.detectLatencyMs ?? []);
  if (allDl.length) {
    const d = dist(allDl);
    console.log(`- reboot detection (sshd accepts → dom0up has the new boot_id), all ${d.n} reboots: p50 ${msf(d.p50)}, p90 ${msf(d.p90)}, max ${msf(d.max)}; goal < 1 s: ${d.max < 1000 ? 'met' : d.p90 < 1000 ? `met for 90% (max ${msf(d.max)})` : 'NOT met'}`);
  }

  // where the time goes at the largest size
  const big = results.at(-1);
  if (big?.dom0up?.stepsMs.size) {
    console.log(`\n### Where dom0up's time goes at ${big.n} hosts (per host, p50 / max ms)\n`);
    console.log(`| ${[...big.dom0up.stepsMs.keys()].join(' | ')} |`);
    console.log(`|${[...big.dom0up.stepsMs.keys()].map(() => '---:').join('|')}|`);
    console.log(`| ${[...big.dom0up.stepsMs.values()].map((v) => `${Math.round(median(v))} / ${Math.round(Math.max(...v))}`).join(' | ')} |`);
  }
  if (big?.ansible?.tasksMs.length) {
    console.log(`\n### Where Ansible's time goes at ${big.n} hosts (wall per task across the fleet)\n`);
    console.log('| task | wall |');
    console.log('|---|---:|');
    for (const [name, ms] of big.ansible.tasksMs) console.log(`| ${name} | ${sec(ms)} |`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
