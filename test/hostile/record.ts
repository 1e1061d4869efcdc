// Records the sessions the hostile-host suite replays: real dom0up runs against simulated CentOS 6.10
// hosts of the test bed over real SSH, every command and every answer (test/hostile/recordings/).
//
//   npx tsx test/hostile/record.ts            (as root, where the test bed runs: docs/testbed.md)
//
// Re-record when the commands dom0up sends change: test/hostile/replay.test.ts replays each session
// unmutated and fails, naming this script, when the recorded host no longer answers what is asked.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openHost } from '../../src/remote/connect.js';
import { provisionHost, readHostFacts, silentEvents } from '../../src/apply/provision.js';
import { verifyRunning } from '../../src/commands/remote.js';
import type { Transport } from '../../src/transport/index.js';
import { startHosts, testbedUnavailableReason, type Fleet, type HostSpec, type TestHost } from '../testbed/index.js';
import { RecordingTransport, type RecordedCall, type Session } from './session.js';

const OUT = fileURLToPath(new URL('./recordings/', import.meta.url));
/** The timing options of the recorded runs: they reach the scripts (waits, leases), so replays use them. */
export const TIMING = { rebootDeadlineMs: 60_000, xlReadyMs: 20_000 };
/** Who runs them (replays use the same: the lengths of these reach the scripts). */
export const WHO = { controller: 'hostile@controller', command: 'dom0up (hostile-host recording)' };
const FAST: HostSpec = { downtimeMs: 200, rebootDelayMs: 100, xenPanicRebootMs: 300, xencommonsDelayMs: 0, yumLineDelayMs: 0 };

function sshOpts(fleet: Fleet, h: TestHost) {
  return { identity: [h.privateKeyPath], knownHosts: [fleet.knownHostsPath], port: h.port, sshConfig: '/dev/null' };
}

async function recorded(fleet: Fleet, h: TestHost): Promise<{ calls: RecordedCall[]; transport: Transport; reconnect: () => Promise<Transport>; close(): Promise<void> }> {
  const calls: RecordedCall[] = [];
  const { transport, reconnect } = await openHost(`root@${h.host}`, sshOpts(fleet, h));
  let conns = 0;
  const opened: Transport[] = [transport];
  return {
    calls,
    transport: new RecordingTransport(transport, conns++, calls),
    reconnect: async () => {
      const t = await reconnect();
      opened.push(t);
      return new RecordingTransport(t, conns++, calls);
    },
    close: async () => {
      for (const t of opened) await t.close().catch(() => undefined);
    },
  };
}

async function recordApply(fleet: Fleet, h: TestHost, name: string, description: string, mode: 'apply' | 'tune', req: Record<string, unknown>): Promise<Session> {
  const r = await recorded(fleet, h);
  try {
    const report = await provisionHost({
      target: r.transport.target,
      transport: r.transport,
      reconnect: r.reconnect,
      req,
      mode,
      confirm: async () => true,
      events: silentEvents,
      ...TIMING,
      runId: '20260101T000000Z-abcdef',
      ...WHO,
    });
    await report.transport.close().catch(() => undefined);
    if (!report.ok) throw new Error(`${name}: the recorded run did not succeed: ${report.outcome} ${report.message}`);
    return { name, description, kind: 'apply', mode, req, outcome: report.outcome, timing: TIMING, who: WHO, calls: r.calls };
  } finally {
    await r.close();
  }
}

async function recordVerify(fleet: Fleet, h: TestHost, name: string, description: string): Promise<Session> {
  const r = await recorded(fleet, h);
  try {
    // as verifyCli does it
    const f = await readHostFacts(r.transport, 'verify', { waitForXlS: 30 });
    const { rep } = await verifyRunning(r.transport, f, {});
    return { name, description, kind: 'verify', mode: 'apply', req: {}, outcome: rep.ok ? 'ok' : 'not-ok', calls: r.calls };
  } finally {
    await r.close();
  }
}

async function main(): Promise<void> {
  const why = testbedUnavailableReason();
  if (why) throw new Error(`cannot record: ${why}`);
  mkdirSync(OUT, { recursive: true });
  const fleet = await startHosts([{ name: 'fresh' }, { name: 'xen', xen: 'running' }, { name: 'xenverify', xen: 'running' }, { name: 'helper', xenHelper: true, bootPartition: false }], FAST);
  try {
    const [fresh, xen, xenverify, helper] = fleet.hosts as [TestHost, TestHost, TestHost, TestHost];
    const sessions = await Promise.all([
      recordApply(fleet, fresh, 'apply-fresh', 'dom0up apply on a fresh CentOS 6.10 host: facts, plan, repo, key, yum install xen, grub.conf, one-shot boot, reboot, verify, commit', 'apply', { dom0Mem: '1024M', dom0Vcpus: '2', pin: true }),
      recordApply(fleet, xen, 'tune-xen', 'dom0up tune on a host that runs Xen: new Dom0 options, reboot, verify, commit', 'tune', { dom0Mem: '768M', dom0Vcpus: '1', pin: false }),
      recordVerify(fleet, xenverify, 'verify-xen', 'dom0up verify on a host that runs Xen (expected options from its default entry)'),
      recordApply(fleet, helper, 'apply-helper', 'dom0up apply on a host with the xen4centos helper and its dead repos, /boot on the root file system', 'apply', { dom0Mem: '2048M', dom0Vcpus: '2', pin: true }),
    ]);
    for (const s of sessions) {
      writeFileSync(path.join(OUT, `${s.name}.json`), JSON.stringify(s, null, 1) + '\n');
      console.log(`${s.name}: ${s.calls.length} commands, outcome ${s.outcome}`);
    }
  } finally {
    await fleet.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
