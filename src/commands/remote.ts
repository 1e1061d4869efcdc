/**
 * The commands that talk to hosts: facts, plan, apply, tune, verify. One host here; the fleet
 * layer (fleet.ts) runs these per host. Only src/ui prints.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { inPhase, UserError } from '../errors.js';
import { backupStamp } from '../io/text-file.js';
import { openHost, type SshCliOptions } from '../remote/connect.js';
import { makePlan } from '../plan/make-plan.js';
import { planContextFor } from '../remote/plan-context.js';
import type { Plan, PlanMode, ProvisionRequest } from '../plan/plan.js';
import { provisionHost, readHostFacts, type HostReport } from '../apply/provision.js';
import { verifyFromFacts } from '../apply/waits.js';
import { bootState, runningXenCmdline } from '../plan/make-plan.js';
import { bootDrift } from '../plan/boot-drift.js';
import type { Transport } from '../transport/index.js';
import { makeHypervisorArgs, hasDom0Options } from '../plan/hypervisor-args.js';
import { formatXenArgs } from '../xen/index.js';
import { parseGrubConf } from '../grub/index.js';
import type { Ui } from '../ui/io.js';
import { factsJson, renderChecks, renderFacts, renderPlan, renderReport, reportJson } from '../ui/render-remote.js';
import { createProgress } from '../ui/progress.js';
import { passphraseAsker } from '../ui/prompt.js';
import { EXIT } from '../exit-codes.js';
import type { VerifyExpectation, VerifyReport } from '../verify/verify-host.js';

export interface RemoteCommon {
  host: string;
  ssh: SshCliOptions;
  json: boolean;
}

/**
 * A run's id: the UTC second, then the millisecond (3 hex digits) and 3 random hex digits. Hosts
 * order their runs by sorting these names (the latest run is the last), so two runs started in the
 * same second must still sort in the order they started: a re-run right after a failed one does.
 */
export function newRunId(now = new Date()): string {
  const ms = now.getUTCMilliseconds().toString(16).padStart(3, '0');
  return `${backupStamp(now)}-${ms}${randomBytes(2).toString('hex').slice(0, 3)}`;
}

export function controllerName(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return `${user}@${os.hostname()}`;
}

/** SSH options with the terminal's passphrase prompt (see src/ui/prompt.ts: once per key, one at a time, bounded). */
export function withAsk(ui: Ui, ssh: SshCliOptions, o: { promptTimeoutMs?: number } = {}): SshCliOptions {
  return { ...ssh, askPassphrase: passphraseAsker(ui, o) };
}

export async function factsCli(ui: Ui, o: RemoteCommon): Promise<number> {
  const { transport } = await openHost(o.host, withAsk(ui, o.ssh));
  try {
    const f = await readHostFacts(transport).catch((e: unknown) => {
      throw inPhase(e, transport.target, 'facts');
    });
    if (o.json) ui.json({ target: transport.target, hostKey: transport.hostKeySha256, facts: factsJson(f) });
    else ui.print(renderFacts(transport.target, f, ui.out));
    return EXIT.ok;
  } finally {
    await transport.close();
  }
}

export async function planCli(ui: Ui, o: RemoteCommon & { req: ProvisionRequest; mode: PlanMode; detailedExitcode: boolean }): Promise<number> {
  const { transport } = await openHost(o.host, withAsk(ui, o.ssh));
  try {
    const f = await readHostFacts(transport).catch((e: unknown) => {
      throw inPhase(e, transport.target, 'facts');
    });
    let plan: Plan;
    try {
      plan = makePlan(f, o.req, o.mode, transport.target, await planContextFor(f, o.req, ui.streams.env, o.mode));
    } catch (e) {
      throw inPhase(e, transport.target, 'plan');
    }
    if (o.json) ui.json({ target: transport.target, plan, roundTrips: transport.roundTrips });
    else ui.print(renderPlan(plan, ui.out));
    if (plan.refusals.length) return EXIT.error;
    return o.detailedExitcode && plan.changed ? EXIT.changes : EXIT.ok;
  } finally {
    await transport.close();
  }
}

async function confirmPlan(ui: Ui, plan: Plan, yes: boolean, json: boolean): Promise<boolean> {
  if (!json) ui.note(renderPlan(plan, ui.err));
  if (yes) return true;
  if (!ui.interactive) {
    throw new UserError(`${plan.target}: changes need confirmation and there is no terminal to ask`, 'review `dom0up plan`, then run again with --yes');
  }
  return askYesNo(ui, `Apply these changes to ${plan.target}? [y/N] `);
}

/**
 * A y/N question on the terminal; end of input answers no. Ctrl-C answers no and, in the dom0up
 * process, raises the same interrupt as a Ctrl-C anywhere else (readline holds the terminal in raw
 * mode, so the key never becomes a signal): the command stops and exits 130.
 */
export async function askYesNo(ui: Ui, question: string): Promise<boolean> {
  const rl = createInterface({ input: ui.streams.stdin as NodeJS.ReadableStream, output: ui.streams.stderr as NodeJS.WritableStream });
  const ac = new AbortController();
  rl.on('SIGINT', () => {
    ac.abort();
    if (ui.streams.stdin === process.stdin) process.emit('SIGINT', 'SIGINT');
  });
  rl.on('close', () => ac.abort());
  try {
    const a = await rl.question(question, { signal: ac.signal });
    return /^y(es)?$/i.test(a.trim());
  } catch {
    ui.note('');
    return false;
  } finally {
    rl.close();
  }
}

export interface ApplyCliOptions extends RemoteCommon {
  req: ProvisionRequest;
  mode: PlanMode;
  yes: boolean;
  noReboot: boolean;
  breakLock: boolean;
  rebootTimeoutS?: number;
}

/** apply and tune for one host; returns the report (the caller renders it). */
export async function applyOne(ui: Ui, o: ApplyCliOptions, progress: { spinner: boolean; prefixHost: boolean }, confirm?: (plan: Plan) => Promise<boolean>): Promise<HostReport & { logPath: string }> {
  const runId = newRunId();
  const { transport, reconnect, probe } = await openHost(o.host, withAsk(ui, o.ssh));
  const events = await createProgress(ui, transport.target, runId, progress);
  let report: HostReport;
  try {
    report = await provisionHost({
      target: transport.target,
      transport,
      reconnect,
      ...(probe ? { probe } : {}),
      req: o.noReboot ? { ...o.req, noReboot: true } : o.req,
      mode: o.mode,
      planContextFor: (f) => planContextFor(f, o.req, ui.streams.env, o.mode),
      confirm: confirm ?? ((plan) => confirmPlan(ui, plan, o.yes, o.json)),
      events,
      breakLock: o.breakLock,
      ...(o.rebootTimeoutS !== undefined ? { rebootDeadlineMs: o.rebootTimeoutS * 1000 } : {}),
      runId,
      controller: controllerName(),
      command: `dom0up ${o.mode} ${o.host}`,
    });
  } catch (e) {
    await transport.close().catch(() => undefined);
    throw e;
  } finally {
    events.stop();
  }
  await report.transport.close().catch(() => undefined);
  if (report.transport !== transport) await transport.close().catch(() => undefined);
  return { ...report, logPath: events.logPath };
}

export async function applyCli(ui: Ui, o: ApplyCliOptions): Promise<number> {
  const r = await applyOne(ui, o, { spinner: !o.json && ui.streams.stderr.isTTY === true && !ui.streams.env.CI, prefixHost: false });
  if (o.json) ui.json({ ...reportJson(r), log: r.logPath });
  else {
    ui.print(renderReport(r, ui.out));
    ui.note(`log: ${r.logPath}`);
  }
  return r.ok || r.outcome === 'cancelled' || r.outcome === 'reboot-pending' ? EXIT.ok : EXIT.error;
}

export interface VerifyCliOptions extends RemoteCommon {
  req: ProvisionRequest;
}

/** What to verify against: the options given, or the Xen entry of what runs (else the one GRUB boots). */
export function verifyExpectation(f: Awaited<ReturnType<typeof readHostFacts>>, req: ProvisionRequest): VerifyExpectation {
  if (hasDom0Options(req)) {
    const hyp = makeHypervisorArgs(req);
    return { kernel: req.kernel ?? null, hypervisorArgs: formatXenArgs(hyp.changes.set), requested: [...hyp.changes.set.map((t) => t.name), ...hyp.changes.remove] };
  }
  if (f.grub.text === null) throw new UserError(`no grub.conf on the host to take the expected options from`, 'pass the expected options (--dom0-mem, --dom0-vcpus, --pin, --xen-arg)');
  const g = parseGrubConf(f.grub.text, { latin1: f.grub.encoding === 'latin1' });
  const cmdline = runningXenCmdline(f);
  const running = f.hypervisor.dom0 ? g.entries.filter((e) => e.kind === 'xen' && e.version === f.kernel.release) : [];
  const e = running.find((x) => cmdline !== null && (x.kernel?.args ?? '').trim() === cmdline.trim()) ?? running[0] ?? (g.bootEntry?.kind === 'xen' ? g.bootEntry : null);
  if (!e) throw new UserError('neither what runs nor the entry GRUB boots by default is a Xen entry, so there is nothing to verify against', 'pass the expected options (--dom0-mem, --dom0-vcpus, --pin, --xen-arg)');
  // without options: the Dom0 options of the entry must be accepted; complaints about other options are reported
  return { kernel: req.kernel ?? e.version ?? null, hypervisorArgs: e.kernel?.args ?? '', requested: ['dom0_mem', 'dom0_max_vcpus', 'dom0_vcpus_pin'] };
}

/**
 * Verification of a running host from one read of its facts, plus whether GRUB boots next what
 * runs now (after a kernel update the default may have moved: the next reboot would not come back
 * as the host is).
 */
export async function verifyRunning(transport: Transport, f: Awaited<ReturnType<typeof readHostFacts>>, req: ProvisionRequest): Promise<{ want: VerifyExpectation; rep: VerifyReport }> {
  const want = verifyExpectation(f, req);
  const rep = await verifyFromFacts(transport, f, want, 30_000);
  const conf = f.grub.text !== null ? parseGrubConf(f.grub.text, { latin1: f.grub.encoding === 'latin1' }) : null;
  const drift = bootDrift(bootState(f, conf));
  rep.checks.push({ id: 'next-boot', label: 'what GRUB boots next', expected: 'what runs now', actual: drift.length ? drift.join('; ') : 'the same', ok: drift.length === 0 });
  rep.ok = rep.ok && drift.length === 0;
  return { want, rep };
}

export async function verifyCli(ui: Ui, o: VerifyCliOptions): Promise<number> {
  const { transport } = await openHost(o.host, withAsk(ui, o.ssh));
  try {
    let rep: VerifyReport;
    let want: VerifyExpectation;
    try {
      const f = await readHostFacts(transport, 'verify', { waitForXlS: 30 });
      ({ want, rep } = await verifyRunning(transport, f, o.req));
    } catch (e) {
      throw inPhase(e, transport.target, 'verify');
    }
    if (o.json) ui.json({ target: transport.target, expected: want, ...rep, roundTrips: transport.roundTrips });
    else {
      ui.print(`${ui.out.bold(transport.target)}: ${rep.ok ? ui.out.green('verified') : ui.out.red('does not match')}${rep.notXen ? ' (not running Xen)' : ''}\n`);
      ui.print(renderChecks(rep, ui.out));
    }
    return rep.ok ? EXIT.ok : EXIT.error;
  } finally {
    await transport.close();
  }
}
