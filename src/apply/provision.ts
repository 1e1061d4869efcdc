/**
 * The remote job for one host: facts → plan → (confirm) → lock → repo/key → yum → facts
 * again → grub.conf and sysconfig → one-shot boot → reboot → verify → commit the default.
 * Each step is skipped with its reason when already true, so a re-run converges. Every
 * remote error names the host and the phase. Nothing here prints: progress goes to `events`.
 */
import { gatherFacts, HOST_FACTS, VERIFY_FACTS, xlFacts, type HostFacts } from '../facts/index.js';
import { makePlan, pickKnownGood, sha256 } from '../plan/make-plan.js';
import type { FileStep, Plan, PlanMode, ProvisionRequest } from '../plan/plan.js';
import { parseGrubConf, setDefaultEntry } from '../grub/index.js';
import { RemoteError, UserError } from '../errors.js';
import type { Transport } from '../transport/index.js';
import { verifyHost, type VerifyExpectation, type VerifyReport } from '../verify/verify-host.js';
import { acquireLock, journal, releaseLock } from './lock.js';
import { setOneShot } from './one-shot.js';
import { readRemoteFile, sha256Hex, writeRemoteFile } from './remote-file.js';
import { rebootAndWait } from './reboot.js';
import { backupStamp } from '../io/text-file.js';

export interface ProvisionEvents {
  /** A phase starts (one spinner / one log line per phase). */
  phase(id: string, text: string): void;
  /** Progress inside the phase (spinner text; logged in CI). */
  progress(text: string): void;
  /** A phase ends. */
  done(id: string, status: 'ok' | 'skip' | 'fail', text: string): void;
  /** Raw output for the per-host log (yum output, …). */
  log(text: string): void;
}

export const silentEvents: ProvisionEvents = { phase() {}, progress() {}, done() {}, log() {} };

export interface ProvisionContext {
  target: string;
  transport: Transport;
  /** Reconnects after the reboot; must pin the host key seen before. */
  reconnect: () => Promise<Transport>;
  req: ProvisionRequest;
  mode: PlanMode;
  /** Asked when something would change; false cancels. */
  confirm: (plan: Plan) => Promise<boolean>;
  events?: ProvisionEvents;
  noReboot?: boolean;
  /**
   * Fleet rollouts: called when the host is ready to change grub.conf and reboot; resolves when
   * its reboot batch may go. false = the failure budget is spent: grub.conf stays untouched and
   * the host is not rebooted.
   */
  beforeReboot?: () => Promise<boolean>;
  breakLock?: boolean;
  /** Overall time for reboot + verification (ms). */
  rebootDeadlineMs?: number;
  /** How long to wait for `xl` to become ready after boot (ms). */
  xlReadyMs?: number;
  runId: string;
  controller: string;
  command: string;
  now?: () => Date;
}

export interface StepReport {
  id: string;
  status: 'done' | 'skipped' | 'failed';
  detail: string;
  durationMs: number;
  backup?: string | null;
}

export type Outcome = 'verified' | 'unchanged' | 'cancelled' | 'reboot-pending' | 'skipped' | 'xen-boot-failed' | 'verify-failed' | 'failed';

export interface HostReport {
  target: string;
  runId: string;
  outcome: Outcome;
  ok: boolean;
  plan: Plan | null;
  /** The plan made again after `yum install xen` (packages edit grub.conf). */
  planAfterInstall: Plan | null;
  steps: StepReport[];
  reboot: { oldBootId: string; newBootId: string; totalMs: number; detectMs: number; attempts: number } | null;
  verify: VerifyReport | null;
  backups: string[];
  message: string;
  durationMs: number;
  roundTrips: number;
  transport: Transport;
}

export class PreflightError extends UserError {
  override readonly name = 'PreflightError';
  constructor(readonly target: string, readonly plan: Plan) {
    const r = plan.refusals;
    super(
      `${target}: preflight: ${r[0]!.message}${r.length > 1 ? ` (and ${r.length - 1} more)` : ''}`,
      r[0]!.hint,
      1,
    );
    this.detail = r.length > 1 ? r.slice(1).map((x) => `  also: ${x.message}${x.hint ? ` (${x.hint})` : ''}`).join('\n') : undefined;
  }
  readonly detail: string | undefined;
}

/** Reads every host fact (and what xl says on a Xen host) in one round trip. */
export async function readHostFacts(t: Transport, phase = 'facts'): Promise<HostFacts> {
  const all = await gatherFacts(t, { ...HOST_FACTS, ...xlFacts }, phase);
  const { xlList, xlInfo, xlVcpuList, xlDmesg, ...core } = all;
  return { ...core, xl: core.hypervisor.dom0 ? { xlList, xlInfo, xlVcpuList, xlDmesg } : null };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Gathers the post-boot facts until xl answers (xencommons starts after sshd) or the time is up. */
/** The options the operator asked for (or the defaults a new entry got): what `xl dmesg` must not complain about. */
export function requestedNames(plan: Plan): string[] {
  return [...plan.desired.changes.set.map((x) => x.name), ...plan.desired.changes.remove];
}

export async function verifyWithRetry(t: Transport, want: VerifyExpectation, waitMs: number, onProgress?: (s: string) => void): Promise<VerifyReport> {
  const until = Date.now() + waitMs;
  let delay = 500;
  for (;;) {
    const vf = await gatherFacts(t, VERIFY_FACTS, 'verify');
    const rep = verifyHost(vf, want);
    if (rep.ok || rep.notXen || !rep.xlNotReady || Date.now() >= until) return rep;
    onProgress?.('xl is not ready yet (xencommons starts after sshd); retrying');
    await sleep(Math.min(delay, Math.max(0, until - Date.now())));
    delay = Math.min(delay * 2, 3000);
  }
}

export async function provisionHost(ctx: ProvisionContext): Promise<HostReport> {
  const ev = ctx.events ?? silentEvents;
  const started = Date.now();
  const now = ctx.now ?? (() => new Date());
  let t = ctx.transport;
  const report: HostReport = {
    target: ctx.target, runId: ctx.runId, outcome: 'failed', ok: false, plan: null, planAfterInstall: null, steps: [], reboot: null, verify: null, backups: [], message: '', durationMs: 0, roundTrips: 0, transport: t,
  };
  // every backup this run makes carries the same stamp: `dom0up rollback` restores a run as a whole
  const runStamp = backupStamp(now());
  const used: Transport[] = [t];
  const finish = (outcome: Outcome, message: string): HostReport => {
    report.roundTrips = used.reduce((n, x) => n + x.roundTrips, 0);
    report.outcome = outcome;
    report.ok = outcome === 'verified' || outcome === 'unchanged';
    report.message = message;
    report.durationMs = Date.now() - started;
    report.transport = t;
    return report;
  };
  const step = async <T>(id: string, text: string, fn: () => Promise<T>, detail: (v: T) => string): Promise<T> => {
    ev.phase(id, text);
    const s = Date.now();
    try {
      const v = await fn();
      const d = detail(v);
      report.steps.push({ id, status: 'done', detail: d, durationMs: Date.now() - s });
      ev.done(id, 'ok', d);
      return v;
    } catch (e) {
      report.steps.push({ id, status: 'failed', detail: (e as Error).message, durationMs: Date.now() - s });
      ev.done(id, 'fail', (e as Error).message);
      throw e;
    }
  };
  const skip = (id: string, why: string) => {
    report.steps.push({ id, status: 'skipped', detail: why, durationMs: 0 });
    ev.done(id, 'skip', why);
  };
  // grub.conf keeps its own encoding (latin1 when it is not valid UTF-8); the rest is UTF-8
  const encodingOf = (s: FileStep): BufferEncoding => (s.id === 'grub' ? (facts.grub.encoding ?? 'utf8') : 'utf8');
  const writeStep = async (s: FileStep, phase: string, content?: string, expect?: string) => {
    const body = content ?? (s.after as string);
    const w = await writeRemoteFile(t, { path: s.path, content: Buffer.from(body, encodingOf(s)), expect: expect ?? (s.beforeSha256 ?? 'absent'), mode: s.mode, stamp: runStamp }, phase);
    if (w.backupPath) report.backups.push(w.backupPath);
    return w;
  };

  // ---- facts and plan
  let facts = await step('facts', 'reading the host', () => readHostFacts(t), (f) => `${f.os.text ?? '?'}, ${f.kernel.release}${f.hypervisor.dom0 ? ' (Xen dom0)' : ''}, ${f.resources.memTotalMiB ?? '?'} MiB, ${f.resources.cpus} CPUs`);
  let plan = makePlan(facts, ctx.req, ctx.mode, ctx.target);
  report.plan = plan;
  if (plan.refusals.length) throw new PreflightError(ctx.target, plan);
  if (!plan.changed) {
    let rep: VerifyReport | null = null;
    if (facts.hypervisor.dom0) {
      rep = await step('verify', 'checking the running Dom0', () => verifyWithRetry(t, { kernel: plan.desired.kernel, hypervisorArgs: plan.desired.hypervisorArgs, requested: requestedNames(plan) }, ctx.xlReadyMs ?? 60_000, ev.progress), (r) => (r.ok ? 'all checks pass' : 'some checks fail'));
      report.verify = rep;
    }
    return finish(rep && !rep.ok ? 'verify-failed' : 'unchanged', rep && !rep.ok ? 'nothing to change, but the running Dom0 does not match: see the checks' : 'nothing to change: the host already runs what was asked');
  }
  if (!(await ctx.confirm(plan))) return finish('cancelled', 'cancelled: nothing was changed');

  await step('lock', 'taking the host lock', () => acquireLock(t, { runId: ctx.runId, controller: ctx.controller, pid: process.pid, startedAt: now().toISOString(), command: ctx.command }, { breakLock: ctx.breakLock ?? false }), () => `lock ${ctx.runId}`);
  let locked = true;
  try {
    await journal(t, { run: ctx.runId, phase: 'start', command: ctx.command });
    // ---- repo and key
    for (const s of plan.steps) {
      if (s.kind !== 'file' || (s.id !== 'repo' && s.id !== 'gpg-key')) continue;
      if (s.action === 'skip') skip(s.id, s.reason);
      else await step(s.id, `writing ${s.path}`, () => writeStep(s, s.id), () => `${s.action === 'create' ? 'created' : 'updated'} ${s.path}`);
    }
    // ---- yum
    const yum = plan.steps.find((s) => s.kind === 'command');
    if (yum && yum.action === 'run') {
      await journal(t, { run: ctx.runId, phase: 'yum' });
      await step('yum', yum.command, async () => {
        let tail = '';
        const r = await t.exec(yum.command, {
          sudo: true,
          timeoutMs: 45 * 60_000,
          onStdout: (c) => {
            const s = c.toString('utf8');
            ev.log(s);
            tail = (tail + s).slice(-8000);
            const last = s.trim().split('\n').pop();
            if (last) ev.progress(last.slice(0, 100));
          },
          onStderr: (c) => {
            const s = c.toString('utf8');
            ev.log(s);
            tail = (tail + s).slice(-8000);
          },
        });
        const out = (tail || r.stdout.toString('utf8') + r.stderr.toString('utf8')).trim();
        const last = out.split('\n').slice(-15).join('\n');
        if (r.lost) throw new RemoteError(t.target, 'yum', 'the connection was lost during yum install xen; the transaction may have completed', 'run again: dom0up reads the installed packages and continues', 1, last);
        if (r.timedOut) throw new RemoteError(t.target, 'yum', 'yum install xen took longer than 45 minutes', undefined, 1, last);
        if (r.code !== 0) throw new RemoteError(t.target, 'yum', `yum install xen failed (exit ${r.code}); grub.conf was not changed`, 'see the output above; check the repositories (dom0up facts HOST)', 1, last);
        return r;
      }, () => 'installed');
      // the packages edited grub.conf: read everything again and plan the rest exactly
      facts = await step('facts', 'reading the host again after the install', () => readHostFacts(t, 'facts after yum'), (f) => `kernels: ${f.boot.kernels.join(', ')}`);
      plan = makePlan(facts, ctx.req, ctx.mode, ctx.target);
      report.planAfterInstall = plan;
      if (plan.refusals.length) throw new PreflightError(ctx.target, plan);
      if (plan.steps.some((s) => s.action === 'after-install')) {
        throw new RemoteError(t.target, 'after yum', 'Xen still looks uninstalled after yum install xen (no xen-hypervisor package or /boot/xen.gz)', 'check the yum output in the log');
      }
    }
    // ---- sysconfig and xl.conf
    for (const s of plan.steps) {
      if (s.kind !== 'file' || (s.id !== 'xen-kernel-sysconfig' && s.id !== 'xl-conf')) continue;
      if (s.action === 'skip') skip(s.id, s.reason);
      else await step(s.id, `writing ${s.path}`, () => writeStep(s, s.id), () => `${s.action === 'create' ? 'created' : 'updated'} ${s.path}`);
    }
    // ---- grub.conf
    const grub = plan.steps.find((s): s is FileStep => s.kind === 'file' && s.id === 'grub');
    const reboot = plan.steps.find((s) => s.kind === 'reboot');
    const willReboot = reboot?.action === 'run' && !ctx.noReboot;
    const staged = willReboot && plan.staging !== null;
    if (willReboot && ctx.beforeReboot && !(await ctx.beforeReboot())) {
      skip('reboot', 'the rollout\'s failure budget is spent');
      // the packages may have moved the default to a kernel that never booted here: back to the running one
      let note = 'grub.conf is unchanged';
      if (grub && facts.grub.text !== null) {
        const current = parseGrubConf(facts.grub.text, { latin1: encodingOf(grub) === 'latin1' });
        const kg = pickKnownGood(current, facts).entry;
        if (kg && kg.index !== null && current.bootIndex() !== kg.index) {
          const back = setDefaultEntry(current, kg.index);
          await step('grub', `keeping ${grub.path}'s default on the running kernel`, () => writeStep(grub, 'grub.conf write', back.text, grub.beforeSha256 ?? 'absent'), () => `default=${kg.index} "${kg.title.trimEnd()}"`);
          note = `grub.conf's default is back on the running kernel (entry ${kg.index}; the packages had moved it)`;
        }
      }
      return finish('skipped', `prepared (packages, repo and sysconfig) but not rebooted: the rollout's failure budget was spent; ${note}`);
    }
    if (grub && grub.after !== null) {
      const want = staged ? plan.staging!.intermediate : grub.after;
      if (want === grub.before) skip('grub', grub.reason);
      else {
        await journal(t, { run: ctx.runId, phase: 'grub-write' });
        await step('grub', staged ? `writing ${grub.path} (Xen entry ${plan.staging!.oneShotIndex}; default stays on entry ${plan.staging!.knownGoodIndex} until verified)` : `writing ${grub.path}`, async () => {
          const w = await writeStep(grub, 'grub.conf write', want, grub.beforeSha256 ?? 'absent');
          const back = await readRemoteFile(t, grub.path, 'grub.conf read-back');
          if (!back || sha256Hex(back) !== sha256(want, encodingOf(grub))) throw new RemoteError(t.target, 'grub.conf read-back', `${grub.path} does not hold what was written`, 'another process is editing it; run again');
          const check = parseGrubConf(back.toString(encodingOf(grub)), { latin1: encodingOf(grub) === 'latin1' });
          if (check.findings.some((f) => f.severity === 'error')) throw new Error('internal: the written grub.conf has lint errors');
          return w;
        }, (w) => `written${w.backupPath ? `; previous version kept as ${w.backupPath}` : ''}`);
      }
      if (staged) {
        await step('one-shot', `booting entry ${plan.staging!.oneShotIndex} once (grub --batch savedefault --once)`, () => setOneShot(t, plan.staging!.oneShotIndex), (r) => `stage2 saved word 0x${r.word.toString(16)}`);
      }
    }
    // ---- reboot
    if (!reboot || reboot.action === 'skip') {
      skip('reboot', reboot?.reason ?? 'no reboot needed');
      return finish('verified', 'files updated; no reboot needed');
    }
    if (ctx.noReboot) {
      skip('reboot', '--no-reboot: the operator reboots');
      return finish('reboot-pending', `changes written; reboot the host, then run: dom0up verify ${ctx.target}${ctx.req.dom0Mem ? ` --dom0-mem ${ctx.req.dom0Mem}` : ''}`);
    }
    const oldBootId = facts.kernel.bootId;
    const oldRelease = facts.kernel.release;
    await journal(t, { run: ctx.runId, phase: 'reboot', bootId: oldBootId });
    const deadline = Date.now() + (ctx.rebootDeadlineMs ?? 15 * 60_000);
    const rb = await step('reboot', 'rebooting', () => rebootAndWait({ transport: t, reconnect: ctx.reconnect, bootId: oldBootId, deadline, onProgress: ev.progress }), (r) => `back after ${(r.totalMs / 1000).toFixed(1)} s with boot_id ${r.newBootId}`);
    t = rb.transport;
    used.push(t);
    report.reboot = { oldBootId, newBootId: rb.newBootId, totalMs: rb.totalMs, detectMs: rb.detectMs, attempts: rb.attempts };
    // ---- verify
    const rep = await step('verify', 'verifying the Dom0', () => verifyWithRetry(t, { kernel: plan.desired.kernel, hypervisorArgs: plan.desired.hypervisorArgs, requested: requestedNames(plan) }, Math.min(ctx.xlReadyMs ?? 120_000, Math.max(5000, deadline - Date.now())), ev.progress), (r) => (r.ok ? 'all checks pass' : `${r.checks.filter((c) => !c.ok).length} check(s) fail`));
    report.verify = rep;
    await journal(t, { run: ctx.runId, phase: 'verified', ok: rep.ok, bootId: rb.newBootId, kernel: rep.kernel });
    if (!rep.ok) {
      if (rep.notXen && rep.kernel === oldRelease) {
        return finish('xen-boot-failed', `the Xen boot failed: the host came back on ${oldRelease} without Xen (Xen or Dom0 did not start and the machine rebooted into the previous default). grub.conf keeps the Xen entry ${plan.staging ? `${plan.staging.oneShotIndex} but the default stays entry ${plan.staging.knownGoodIndex} "${plan.staging.knownGoodTitle}"` : ''}; read the console log (xl dmesg needs Xen), fix the options, run again — or dom0up rollback ${ctx.target}`);
      }
      return finish('verify-failed', staged ? `the host booted but does not match what was asked; the permanent default is still entry ${plan.staging!.knownGoodIndex} "${plan.staging!.knownGoodTitle}", so the next reboot returns to it` : 'the host booted but does not match what was asked');
    }
    // ---- commit: the Xen entry becomes the permanent default
    if (staged && grub && grub.after !== null && plan.staging!.intermediate !== grub.after) {
      await step('commit', 'making the Xen entry the permanent default', async () => {
        const w = await writeStep(grub, 'grub.conf commit', grub.after as string, sha256(plan.staging!.intermediate, encodingOf(grub)));
        const back = await readRemoteFile(t, grub.path, 'grub.conf read-back');
        if (!back || sha256Hex(back) !== sha256(grub.after as string, encodingOf(grub))) throw new RemoteError(t.target, 'grub.conf read-back', `${grub.path} does not hold what was written`);
        return w;
      }, () => `default=${plan.staging!.oneShotIndex}${plan.staging!.rescueIndex !== null ? '; rescue copy removed' : ''}`);
    }
    await journal(t, { run: ctx.runId, phase: 'done' });
    return finish('verified', 'verified: the host runs Xen with the requested Dom0');
  } finally {
    if (locked) {
      await releaseLock(t, ctx.runId);
      locked = false;
    }
  }
}
