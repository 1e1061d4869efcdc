// Shared helpers for the fault matrix (test/integration/faults-*.test.ts): run the provisioning flow
// in-process against a simulated host, and the invariants every row asserts. Every judgement of
// "what the host boots" asks the test bed's own GRUB reader (nextBoot: the next boot from the file on
// the host's disk and its stage2 word, and the boot after a reset) — never dom0up's reader — and
// names the entry that must boot: the kernel the host ran before the run.
import { expect } from 'vitest';
import { openHost } from '../../src/remote/connect.js';
import { provisionHost, type HostReport, type ProvisionContext, type ProvisionEvents } from '../../src/apply/provision.js';
import type { FileStep, Plan, ProvisionRequest } from '../../src/plan/plan.js';
import { newRunId } from '../../src/commands/remote.js';
import { bootLog, nextBoot, readHostFile, waitUp, type Fleet, type TestHost } from '../testbed/index.js';

export const GRUB = '/boot/grub/grub.conf';
export const LOCK = '/var/lib/dom0up/lock';
export const REQ: ProvisionRequest = { dom0Mem: '1024M', dom0Vcpus: '2', pin: true };
export const STOCK = '2.6.32-754.el6.x86_64';
export const SIG = '4.9.241-37.el6.x86_64';
export const XEN_CMDLINE = 'dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin';

/** Small downtimes so a reboot costs about a second. */
export const FAST = { downtimeMs: 300, rebootDelayMs: 100, xenPanicRebootMs: 300, xencommonsDelayMs: 200, yumLineDelayMs: 5 } as const;

export interface Recorded {
  phases: string[];
  ended: { id: string; status: string; text: string }[];
  notes: string[];
  plans: { plan: Plan; when: 'initial' | 'after-install' }[];
}

export interface Hooks {
  phase?: (id: string, text: string) => void;
  progress?: (text: string) => void;
  log?: (text: string) => void;
  done?: (id: string, status: string, text: string) => void;
}

export function recorder(hooks: Hooks = {}): { events: ProvisionEvents; rec: Recorded } {
  const rec: Recorded = { phases: [], ended: [], notes: [], plans: [] };
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
export type RunError = Error & { hint?: string; phase?: string; detail?: string; exitCode?: number };

/** provisionHost against a test host, as `dom0up apply` runs it (confirm: yes). Never rejects. */
export async function provision(fleet: Fleet, h: TestHost, o: RunOpts = {}): Promise<{ report: HostReport | null; error: RunError | null; ev: Recorded; runId: string }> {
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
      onPlan: (plan, when) => {
        ev.plans.push({ plan, when });
        ctx.onPlan?.(plan, when);
      },
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

/** A file step of the plan completed after yum (the exact bytes dom0up writes there). */
export function afterInstallStep(ev: Recorded, id: FileStep['id']): FileStep {
  const p = ev.plans.find((x) => x.when === 'after-install')?.plan ?? ev.plans[0]!.plan;
  const s = p.steps.find((x): x is FileStep => x.kind === 'file' && x.id === id);
  if (!s) throw new Error(`no ${id} step in the plan`);
  return s;
}

/**
 * The test bed's GRUB reader: the next boot (and the one after a reset) is the kernel `kernel`
 * (with or without Xen), and it boots. `afterReset` defaults to the same.
 */
export async function expectNextBoot(h: TestHost, want: { kernel: string; xen: boolean; afterReset?: { kernel: string; xen: boolean } }): Promise<void> {
  const nb = await nextBoot(h);
  expect({ kernel: nb.kernelRelease, xen: nb.xen, boots: nb.boots, result: nb.result }, `next boot of ${h.name}: ${nb.title} ${nb.error ?? ''}`).toEqual({ kernel: want.kernel, xen: want.xen, boots: true, result: 'up' });
  const ar = want.afterReset ?? { kernel: want.kernel, xen: want.xen };
  expect({ kernel: nb.afterReset.kernelRelease, xen: nb.afterReset.xen, boots: nb.afterReset.boots }, `boot after a reset of ${h.name}`).toEqual({ kernel: ar.kernel, xen: ar.xen, boots: true });
}

/** The host boots what it booted before the run: the stock kernel without Xen, now and after a reset. */
export const expectBootsStock = (h: TestHost) => expectNextBoot(h, { kernel: STOCK, xen: false });

/** Files dom0up never writes must survive every fault byte for byte (no data lost). */
export const PRECIOUS = ['/etc/fstab', '/etc/redhat-release', '/etc/ssh/sshd_config', '/root/.ssh/authorized_keys'];

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

/** The Xen Dom0 as asked: the firmware booted it, and GRUB boots it again (the default is Xen). */
export async function expectVerifiedDom0(h: TestHost, kernel = SIG) {
  await waitUp(h, 60_000);
  const last = (await bootLog(h)).at(-1)!;
  expect(last).toMatchObject({ result: 'up', hypervisor: 'xen', kernelRelease: kernel, xenCmdline: XEN_CMDLINE });
  await expectNextBoot(h, { kernel, xen: true });
  expect(await readHostFile(h, GRUB)).not.toContain('dom0up: previous');
  expect(await readHostFile(h, LOCK)).toBeNull();
}

/** A run's step records on the host. */
export async function runSteps(h: TestHost, runId: string): Promise<{ step: string; status: string; detail?: string; outcome?: string }[]> {
  return ((await readHostFile(h, `/var/lib/dom0up/runs/${runId}/steps`)) ?? '').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function confirmThen(fn: (plan: Plan) => Promise<void> | void): (plan: Plan) => Promise<boolean> {
  return async (plan) => {
    await fn(plan);
    return true;
  };
}

/** A re-run that converges to the verified Dom0, saying where the stopped run was. */
export async function rerunConverges(fleet: Fleet, h: TestHost, before: Record<string, string | null>, stopped?: { runId: string }) {
  const again = await provision(fleet, h);
  expect(again.error?.message ?? null).toBeNull();
  // verified, or (when the run had got as far as the commit) nothing left to change and the running Dom0 checked
  expect(['verified', 'unchanged']).toContain(again.report!.outcome);
  expect(again.report!.verify?.ok).toBe(true);
  if (stopped) {
    const resume = again.report!.steps.find((s) => s.id === 'resume');
    expect(resume?.detail ?? '').toMatch(new RegExp(`^run ${stopped.runId} stopped at `));
  }
  await expectVerifiedDom0(h);
  await expectNothingLost(h, before);
  // the stopped run is concluded: one more run has nothing to say about it and changes nothing
  const third = await provision(fleet, h);
  expect(third.report!.outcome).toBe('unchanged');
  expect(third.report!.steps.map((s) => s.id)).not.toContain('resume');
  expect(third.report!.steps.map((s) => s.id)).not.toContain('journal');
  return again;
}
