// Shared helpers for the fault-matrix tests (test/integration/faults*.test.ts): run the provisioning
// flow in-process against a simulated host with hooks on its progress events, and the invariants
// every fault test asserts (the host is bootable, grub.conf is a whole valid file, nothing is lost).
import { expect } from 'vitest';
import { openHost } from '../../src/remote/connect.js';
import { provisionHost, type HostReport, type ProvisionContext, type ProvisionEvents } from '../../src/apply/provision.js';
import type { Plan, ProvisionRequest } from '../../src/plan/plan.js';
import { parseGrubConf } from '../../src/grub/index.js';
import { newRunId } from '../../src/commands/remote.js';
import { bootLog, readHostFile, waitUp, type Fleet, type TestHost } from '../testbed/index.js';

export const GRUB = '/boot/grub/grub.conf';
export const JOURNAL = '/var/lib/dom0up/journal';
export const LOCK = '/var/lib/dom0up/lock';
export const REQ: ProvisionRequest = { dom0Mem: '1024M', dom0Vcpus: '2', pin: true };

/** Small downtimes so a reboot costs about a second. */
export const FAST = { downtimeMs: 300, rebootDelayMs: 100, xenPanicRebootMs: 300, xencommonsDelayMs: 200, yumLineDelayMs: 5 } as const;

export interface Recorded {
  /** Phases started, in order. */
  phases: string[];
  /** Phases ended, with status and text. */
  ended: { id: string; status: string; text: string }[];
  /** Progress texts. */
  notes: string[];
}

/** Hooks run synchronously inside the event, i.e. before the step's first remote command is sent. */
export interface Hooks {
  phase?: (id: string, text: string) => void;
  progress?: (text: string) => void;
  log?: (text: string) => void;
  done?: (id: string, status: string, text: string) => void;
}

export function recorder(hooks: Hooks = {}): { events: ProvisionEvents; rec: Recorded } {
  const rec: Recorded = { phases: [], ended: [], notes: [] };
  const events: ProvisionEvents = {
    phase(id, text) {
      rec.phases.push(id);
      hooks.phase?.(id, text);
    },
    progress(text) {
      rec.notes.push(text);
      hooks.progress?.(text);
    },
    done(id, status, text) {
      rec.ended.push({ id, status, text });
      hooks.done?.(id, status, text);
    },
    log(text) {
      hooks.log?.(text);
    },
  };
  return { events, rec };
}

export function sshOpts(fleet: Fleet, h: TestHost) {
  return { identity: [h.privateKeyPath], knownHosts: [fleet.knownHostsPath], port: h.port, sshConfig: '/dev/null' };
}

export type RunOpts = Partial<Omit<ProvisionContext, 'transport' | 'reconnect' | 'target'>> & { hooks?: Hooks };

/** provisionHost against a test host, as `dom0up apply` runs it (confirm: yes). Resolves to the
 *  report, or to the error it threw (never rejects), plus the recorded events. */
export async function provision(fleet: Fleet, h: TestHost, o: RunOpts = {}): Promise<{ report: HostReport | null; error: (Error & { hint?: string; phase?: string; detail?: string; exitCode?: number }) | null; ev: Recorded; runId: string }> {
  const { transport, reconnect } = await openHost(`root@${h.host}`, sshOpts(fleet, h));
  const { hooks, ...ctx } = o;
  const { events, rec: ev } = recorder(hooks);
  const runId = ctx.runId ?? newRunId();
  let report: HostReport | null = null;
  let error: Error | null = null;
  try {
    report = await provisionHost({
      target: transport.target,
      transport,
      reconnect,
      req: REQ,
      mode: 'apply',
      confirm: async () => true,
      rebootDeadlineMs: 60_000,
      xlReadyMs: 20_000,
      controller: 'faults-test@controller',
      command: `dom0up apply root@${h.host}`,
      ...ctx,
      runId,
      events,
    });
  } catch (e) {
    error = e as Error;
  }
  await report?.transport.close().catch(() => undefined);
  await transport.close().catch(() => undefined);
  return { report, error, ev, runId };
}

/** The host is up (waits for it), the firmware's last boot is good, and grub.conf is a whole file
 *  GRUB reads without errors and that boots an entry. Returns the last boot record. */
export async function expectBootable(h: TestHost, timeoutMs = 60_000) {
  await waitUp(h, timeoutMs);
  const boots = await bootLog(h);
  const last = boots.at(-1)!;
  expect(last.result, JSON.stringify(last)).toBe('up');
  const text = await readHostFile(h, GRUB);
  expect(text).not.toBeNull();
  const g = parseGrubConf(text!);
  expect(g.findings.filter((f) => f.severity === 'error')).toEqual([]);
  expect(g.bootEntry).not.toBeNull();
  return last;
}

/** Files dom0up never writes must survive every fault byte for byte (no data lost). */
export const PRECIOUS = ['/etc/fstab', '/etc/redhat-release', '/etc/ssh/sshd_config', '/etc/sysconfig/kernel', '/root/.ssh/authorized_keys'];

export async function snapshot(h: TestHost, paths: string[] = PRECIOUS): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const p of paths) {
    out[p] = await readHostFile(h, p);
    expect(out[p], `${h.name}:${p}`).not.toBeNull();
  }
  return out;
}

export async function expectNothingLost(h: TestHost, before: Record<string, string | null>) {
  expect(await snapshot(h, Object.keys(before))).toEqual(before);
}

/** The Xen Dom0 as asked: the firmware booted Xen with the options, and the default entry is it. */
export async function expectVerifiedDom0(h: TestHost) {
  const last = await expectBootable(h);
  expect(last.hypervisor).toBe('xen');
  expect(last.xenCmdline).toBe('dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin');
  const g = parseGrubConf((await readHostFile(h, GRUB))!);
  expect(g.bootEntry!.kind).toBe('xen');
  expect(g.entries.some((e) => e.title.includes('dom0up: previous'))).toBe(false);
  return g;
}

export async function journalOf(h: TestHost): Promise<{ run: string; phase: string; [k: string]: unknown }[]> {
  return ((await readHostFile(h, JOURNAL)) ?? '').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function confirmThen(fn: (plan: Plan) => Promise<void> | void): (plan: Plan) => Promise<boolean> {
  return async (plan) => {
    await fn(plan);
    return true;
  };
}
