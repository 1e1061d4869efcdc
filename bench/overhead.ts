// Benchmark: dom0up's own overhead per host (issue 4). On a fresh simulated CentOS 6.10 host
// (test bed, loopback), `dom0up plan HOST --json` and `dom0up apply HOST --yes --json`: wall time,
// controller CPU and memory, SSH round trips, and where the apply's time goes. The overhead is the
// wall time minus what the host itself takes: the yum transaction (simulated: yumLineDelayMs per
// output line) and the reboot downtime (from the host going down to its sshd accepting again).
// Each run uses a fresh host; the median of the runs is printed. Not a test: prints numbers.
import fs from 'node:fs';
import path from 'node:path';
import { BIN, HostWatch, dom0upSsh, logTime, machineLine, measure, median, msf, mib, sec, testbed, tmpDir } from './lib.js';

export const HOST_SPEC = { downtimeMs: 1000, rebootDelayMs: 300, xencommonsDelayMs: 1000, yumLineDelayMs: 15 } as const;
export const DOM0_ARGS = ['--dom0-mem', '1024M', '--dom0-vcpus', '2', '--pin'];

interface StepJson {
  id: string;
  status: string;
  durationMs: number;
}
interface ReportJson {
  outcome: string;
  ok: boolean;
  durationMs: number;
  roundTrips: number;
  steps: StepJson[];
  reboot: { totalMs: number; detectMs: number; attempts: number } | null;
  log?: string;
  logPath?: string;
}

interface Run {
  planWallMs: number;
  planCpuMs: number;
  planRssKiB: number;
  planRoundTrips: number;
  wallMs: number;
  cpuMs: number;
  rssKiB: number;
  reportMs: number;
  startupMs: number;
  teardownMs: number;
  roundTrips: number;
  connections: number;
  steps: Map<string, number>;
  yumMs: number;
  rebootTotalMs: number;
  toDownMs: number;
  downtimeMs: number;
  detectLatencyMs: number;
  detectMs: number;
  verifyMs: number;
  hostCpuMs: number;
}

export async function run(opts: Record<string, string> = {}): Promise<unknown> {
  const runs = Number(opts.runs ?? 3);
  const tb = await testbed();
  console.log('\n## dom0up overhead per host (fresh simulated host, loopback)\n');
  if (typeof tb === 'string') {
    console.log(`skipped: the test bed cannot run here (${tb})`);
    return null;
  }
  if (!fs.existsSync(BIN)) throw new Error(`no ${BIN}: run npm run build first`);
  const dir = tmpDir('dom0up-bench-');
  const results: Run[] = [];
  try {
    // the round trips of `plan` are not in its JSON: count them with the same calls through the library
    const { openHost } = await import('../dist/remote/connect.js');
    const { readHostFacts } = await import('../dist/apply/provision.js');
    for (let i = 0; i < runs; i++) {
      const fleet = await tb.startHosts(1, HOST_SPEC);
      const watch = new HostWatch(fleet.hosts);
      try {
        const h = fleet.hosts[0]!;
        const target = `root@${h.host}`;
        const ssh = ['-p', String(h.port), '--identity', h.privateKeyPath, ...dom0upSsh(fleet)];
        const env = { ...process.env, DOM0UP_LOG_DIR: path.join(dir, `logs-${i}`), NO_COLOR: '1' };
        const plan = await measure(dir, `plan-${i}`, process.execPath, [BIN, 'plan', target, ...ssh, ...DOM0_ARGS, '--json'], env);
        if (plan.usage.exit !== 0) throw new Error(`dom0up plan exited ${plan.usage.exit}: ${plan.stderr.slice(-1500)}`);
        const conn = await openHost(target, { port: h.port, identity: [h.privateKeyPath], knownHosts: [fleet.knownHostsPath], sshConfig: '/dev/null' });
        let planRoundTrips = NaN;
        try {
          await readHostFacts(conn.transport);
          planRoundTrips = conn.transport.roundTrips;
        } finally {
          await conn.transport.close();
        }
        const cpu0 = watch.cpuMs();
        const apply = await measure(dir, `apply-${i}`, process.execPath, [BIN, 'apply', target, ...ssh, ...DOM0_ARGS, '--yes', '--json'], env);
        const hostCpuMs = watch.cpuMs() - cpu0;
        if (apply.usage.exit !== 0) throw new Error(`dom0up apply exited ${apply.usage.exit}: ${apply.stderr.slice(-1500)}`);
        const rep = JSON.parse(apply.stdout) as ReportJson;
        const last = (await tb.bootLog(h)).at(-1);
        if (rep.outcome !== 'verified' || last?.hypervisor !== 'xen') throw new Error(`dom0up apply did not leave a Xen host: ${rep.outcome}, last boot ${JSON.stringify(last)}`);
        const tl = watch.timelines.get(h.name)!;
        const logText = rep.logPath ? fs.readFileSync(rep.logPath, 'utf8') : rep.log && fs.existsSync(rep.log) ? fs.readFileSync(rep.log, 'utf8') : '';
        const rebootAt = logTime(logText, 'reboot');
        const noticedAt = logTime(logText, 'reboot', 'ok');
        const stamps = [...logText.matchAll(/^(\d{4}-\d\d-\d\dT[\d:.]+Z) /gm)].map((x) => Date.parse(x[1]!));
        const firstAt = stamps[0] ?? null;
        const lastAt = stamps.at(-1) ?? null;
        const steps = new Map<string, number>();
        for (const s of rep.steps) steps.set(s.id, (steps.get(s.id) ?? 0) + s.durationMs);
        results.push({
          planWallMs: plan.usage.wallMs,
          planCpuMs: plan.usage.userMs + plan.usage.sysMs,
          planRssKiB: plan.usage.maxRssKiB,
          planRoundTrips,
          wallMs: apply.usage.wallMs,
          cpuMs: apply.usage.userMs + apply.usage.sysMs,
          rssKiB: apply.usage.maxRssKiB,
          reportMs: rep.durationMs,
          startupMs: firstAt !== null ? firstAt - apply.usage.startEpochMs : NaN,
          teardownMs: lastAt !== null ? apply.usage.startEpochMs + apply.usage.wallMs - lastAt : NaN,
          roundTrips: rep.roundTrips,
          connections: 1 + (rep.reboot?.attempts ?? 0),
          steps,
          yumMs: steps.get('yum') ?? 0,
          rebootTotalMs: rep.reboot?.totalMs ?? NaN,
          toDownMs: rebootAt !== null && tl.down[0] !== undefined ? tl.down[0] - rebootAt : NaN,
          downtimeMs: tl.down[0] !== undefined && tl.sshdBack[0] !== undefined ? tl.sshdBack[0] - tl.down[0] : NaN,
          detectLatencyMs: noticedAt !== null && tl.sshdBack[0] !== undefined ? noticedAt - tl.sshdBack[0] : NaN,
          detectMs: rep.reboot?.detectMs ?? NaN,
          verifyMs: steps.get('verify') ?? 0,
          hostCpuMs,
        });
      } finally {
        watch.stop();
        await fleet.stop();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const m = (f: (r: Run) => number) => median(results.map(f));
  const overhead = m((r) => r.wallMs - r.yumMs - r.downtimeMs);
  console.log(`${machineLine()}; ${runs} fresh hosts (median); host: downtimeMs ${HOST_SPEC.downtimeMs}, rebootDelayMs ${HOST_SPEC.rebootDelayMs}, xencommonsDelayMs ${HOST_SPEC.xencommonsDelayMs}, yumLineDelayMs ${HOST_SPEC.yumLineDelayMs}; dom0up ${DOM0_ARGS.join(' ')}\n`);
  console.log('| command | wall | controller CPU | peak RSS | SSH round trips | SSH connects (incl. refused while down) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  console.log(`| \`dom0up plan HOST --json\` | ${msf(m((r) => r.planWallMs))} | ${msf(m((r) => r.planCpuMs))} | ${mib(m((r) => r.planRssKiB))} | ${m((r) => r.planRoundTrips)} | 1 |`);
  console.log(`| \`dom0up apply HOST --yes --json\` | ${sec(m((r) => r.wallMs))} | ${msf(m((r) => r.cpuMs))} | ${mib(m((r) => r.rssKiB))} | ${m((r) => r.roundTrips)} | ${m((r) => r.connections)} |`);
  console.log('\nWhere the apply\'s wall time goes (median ms; "host" rows are the simulated host\'s own time):\n');
  console.log('| part | ms | whose |');
  console.log('|---|---:|---|');
  const ids = [...new Set(results.flatMap((r) => [...r.steps.keys()]))];
  console.log(`| node start, CLI, SSH connect (process start → first step) | ${msf(m((r) => r.startupMs))} | dom0up |`);
  console.log(`| lock release, disconnect, exit (last step → process exit) | ${msf(m((r) => r.teardownMs))} | dom0up |`);
  for (const id of ids) {
    if (id === 'reboot' || id === 'yum' || id === 'verify') continue;
    console.log(`| step ${id} | ${msf(m((r) => r.steps.get(id) ?? 0))} | dom0up |`);
  }
  console.log(`| step yum (\`yum -y install xen\`) | ${msf(m((r) => r.yumMs))} | host |`);
  console.log(`| reboot: command → host down (dom0up's \`sleep 0.5\` + the host's ${HOST_SPEC.rebootDelayMs} ms shutdown) | ${msf(m((r) => r.toDownMs))} | dom0up + host |`);
  console.log(`| reboot: host down → sshd accepts (downtime) | ${msf(m((r) => r.downtimeMs))} | host |`);
  console.log(`| reboot: sshd accepts → dom0up has the new boot_id (detection) | ${msf(m((r) => r.detectLatencyMs))} | dom0up |`);
  console.log(`| step verify (incl. waiting ${HOST_SPEC.xencommonsDelayMs} ms for xencommons) | ${msf(m((r) => r.verifyMs))} | dom0up + host |`);
  console.log(`\noverhead (wall − yum − reboot downtime): **${sec(overhead)}** per host; without the simulated xencommons wait: ${sec(overhead - HOST_SPEC.xencommonsDelayMs)}`);
  console.log(`reboot step total ${msf(m((r) => r.rebootTotalMs))} (report), detectMs ${msf(m((r) => r.detectMs))} (report: connect → new boot_id); host-side CPU during the apply ${msf(m((r) => r.hostCpuMs))}`);
  return { results, overhead };
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
