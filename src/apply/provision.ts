/**
 * The remote job for one host: facts → plan → (confirm) → lock → repo/key → yum → facts
 * again → grub.conf and sysconfig → one-shot boot → reboot → verify → commit the default.
 * Each step is skipped with its reason when already true, so a re-run converges. Every
 * remote error names the host and the phase. Nothing here prints: progress goes to `events`.
 */
import { gatherFacts, HOST_FACTS, VERIFY_FACTS, xlFacts, type HostFacts } from '../facts/index.js';
import { makePlan, pickKnownGood, sha256 } from '../plan/make-plan.js';
import type { FileStep, Plan, PlanMode, ProvisionRequest } from '../plan/plan.js';
import { addedLintErrors, parseGrubConf, setDefaultEntry } from '../grub/index.js';
import { inPhase, RemoteError, UserError } from '../errors.js';
import { trackPhases } from './phases.js';
import { sh, type Transport } from '../transport/index.js';
import { verifyHost, type VerifyExpectation, type VerifyReport } from '../verify/verify-host.js';
import { acquireLock, journal, previousRun, releaseLock, runEnded } from './lock.js';
import { interruptExitCode, interruptName, processInterruptSignal, runStarted } from './interrupt.js';
import { LOCK_PATH } from '../facts/index.js';
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
  /** Cheap TCP check that sshd accepts again (see remote/connect.ts). */
  probe?: () => Promise<boolean>;
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
  /**
   * Ctrl-C / SIGTERM (default: the process's, see src/apply/interrupt.ts). The run stops between
   * steps — a running `yum` and file writes finish first, the waits for the reboot and for xl stop
   * at once — releases the lock and throws a RemoteError naming the phase (exit 130 / 143).
   */
  signal?: AbortSignal;
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

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** xl fails on a Dom0 whose xencommons has not started yet (right after a boot). */
export function xlStarting(f: HostFacts): boolean {
  return f.hypervisor.dom0 && f.xl !== null && f.xl.xlInfo.rc !== 0 && /xenstore|xl context|xc_interface_open/i.test(f.xl.xlInfo.text);
}

/**
 * Reads the host facts; on a Dom0 that has just booted, waits until xl answers (xencommons starts
 * after sshd), so the plan sees the Xen command line it runs with instead of planning a reboot.
 */
export async function readHostFactsReady(t: Transport, phase: string, waitMs: number, onProgress?: (s: string) => void, signal?: AbortSignal): Promise<HostFacts> {
  const until = Date.now() + waitMs;
  let delay = 500;
  for (;;) {
    const f = await readHostFacts(t, phase);
    if (!xlStarting(f) || Date.now() >= until || signal?.aborted) return f;
    onProgress?.('xl is not ready yet (xencommons starts after sshd); reading again');
    await sleep(Math.min(delay, Math.max(0, until - Date.now())), signal);
    delay = Math.min(delay * 2, 3000);
  }
}

/** The options the operator asked for (or the defaults a new entry got): what `xl dmesg` must not complain about. */
export function requestedNames(plan: Plan): string[] {
  return [...plan.desired.changes.set.map((x) => x.name), ...plan.desired.changes.remove];
}

export async function verifyWithRetry(t: Transport, want: VerifyExpectation, waitMs: number, onProgress?: (s: string) => void, signal?: AbortSignal): Promise<VerifyReport> {
  const until = Date.now() + waitMs;
  let delay = 500;
  for (;;) {
    const vf = await gatherFacts(t, VERIFY_FACTS, 'verify');
    const rep = verifyHost(vf, want);
    if (rep.ok || rep.notXen || !rep.xlNotReady || Date.now() >= until || signal?.aborted) return rep;
    onProgress?.('xl is not ready yet (xencommons starts after sshd); retrying');
    await sleep(Math.min(delay, Math.max(0, until - Date.now())), signal);
    delay = Math.min(delay * 2, 3000);
  }
}

/** Every file step that writes, with the hash its file must still have (what the plan was made from). */
function plannedWrites(plan: Plan): FileStep[] {
  return plan.steps.filter((s): s is FileStep => s.kind === 'file' && (s.action === 'create' || s.action === 'update'));
}

/**
 * Under the lock, before the first write: the files the plan diffs against must still be as they
 * were read. A file edited in between (by hand, by a package, by another tool) refuses the whole
 * run before anything is written; the compare-and-swap of each write catches later races.
 */
async function checkPlanFresh(t: Transport, plan: Plan, encodingOf: (s: FileStep) => BufferEncoding): Promise<void> {
  const steps = plannedWrites(plan);
  if (!steps.length) return;
  const r = await t.exec(
    steps.map((s) => sh`if [ -e ${s.path} ]; then h=$(sha256sum < ${s.path} | cut -d' ' -f1); else h=absent; fi; printf '%s\n' "$h"`).join('\n'),
    { sudo: true, timeoutMs: 30_000 },
  );
  if (r.lost) throw new RemoteError(t.target, 'plan check', 'the connection was lost while checking the files against the plan; nothing was written', 'run again');
  if (r.code !== 0) throw new RemoteError(t.target, 'plan check', `checking the files against the plan failed (exit ${r.code ?? '?'}); nothing was written`, undefined, 1, r.stderr.toString('utf8').trim() || undefined);
  const got = r.stdout.toString('utf8').trim().split('\n');
  const changed = steps.filter((s, i) => {
    const want = s.before === null ? 'absent' : (s.beforeSha256 ?? sha256(s.before, encodingOf(s)));
    return got[i] !== want;
  });
  if (changed.length) {
    throw new RemoteError(t.target, 'plan check', `${changed.map((s) => s.path).join(', ')} changed since it was read (by hand or by a package) — after the plan was made and confirmed; nothing was written`, 'run again to see the new plan');
  }
}

export async function provisionHost(ctx: ProvisionContext): Promise<HostReport> {
  const endRun = runStarted();
  const phases = trackPhases(ctx);
  try {
    return await provisionSteps(phases.ctx);
  } catch (e) {
    // every error names the host and the phase it stopped in (src/errors.ts inPhase)
    throw inPhase(e, ctx.target, phases.current());
  } finally {
    endRun();
    runEnded(ctx.runId);
  }
}

async function provisionSteps(ctx: ProvisionContext): Promise<HostReport> {
  const ev = ctx.events ?? silentEvents;
  const signal = ctx.signal ?? processInterruptSignal();
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
  // where the run is, for interruptions, failures and the journal
  let phaseNow = 'facts';
  let locked = false;
  const progress = { grubWritten: false, oneShot: false, rebootSent: false, staged: true, installed: false };
  /** What the host looks like when the run stops now. */
  const stateNote = (): string => {
    if (!locked) return 'nothing was changed';
    const back = report.backups.length ? `; the previous versions are kept beside the files (dom0up rollback ${ctx.target} restores them)` : '';
    if (progress.rebootSent) {
      return progress.staged
        ? `the host was rebooting into the Xen entry once; its permanent default is unchanged; run again to verify and make Xen the default${back}`
        : `the host was rebooting into the Xen entry, which is the default now; run again to verify${back}`;
    }
    if (progress.oneShot) return `grub.conf has the Xen entry and the host boots it once at its next reboot (the permanent default is unchanged); run again to reboot, verify and commit${back}`;
    if (progress.grubWritten) return `grub.conf has the Xen entry, the permanent default is unchanged; run again to continue${back}`;
    if (progress.installed) return `Xen is installed; grub.conf's default stays on the kernel the host runs; run again to continue${back}`;
    return `grub.conf was not changed; run again to continue${back}`;
  };
  const interrupted = (phase: string, what: string): RemoteError => {
    const name = interruptName(signal);
    return new RemoteError(ctx.target, phase, `interrupted (${name}) ${what}: ${stateNote()}`, locked ? 'run dom0up again: it continues from what the host has now' : undefined, interruptExitCode(name));
  };
  /** After the install: the default back on the running kernel's entry if the packages moved it (returns what was done). */
  const keepRunningDefault = async (): Promise<string | null> => {
    const g = facts.grub;
    if (g.text === null || g.realPath === null) return null;
    const enc: BufferEncoding = g.encoding ?? 'utf8';
    const current = parseGrubConf(g.text, { latin1: enc === 'latin1' });
    if (current.findings.some((x) => x.severity === 'error')) return null;
    const kg = pickKnownGood(current, facts).entry;
    if (!kg || kg.index === null || current.bootIndex() === kg.index) return null;
    const back = setDefaultEntry(current, kg.index);
    const w = await writeRemoteFile(t, { path: g.realPath, content: Buffer.from(back.text, enc), expect: sha256(g.text, enc), mode: g.stat?.mode ?? 0o600, stamp: runStamp }, 'grub.conf (default kept on the running kernel)');
    if (w.backupPath) report.backups.push(w.backupPath);
    facts = await readHostFacts(t, 'facts after yum');
    return `the packages made ${current.bootEntry?.title.trimEnd() ?? 'another entry'} the default; it stays on entry ${kg.index} "${kg.title.trimEnd()}" until the Xen entry is verified`;
  };
  const checkAbort = (phase: string) => {
    if (signal?.aborted) throw interrupted(phase, `before ${phase}`);
  };
  const step = async <T>(id: string, text: string, fn: () => Promise<T>, detail: (v: T) => string): Promise<T> => {
    checkAbort(id);
    phaseNow = id;
    ev.phase(id, text);
    const s = Date.now();
    try {
      const v = await fn();
      const d = detail(v);
      report.steps.push({ id, status: 'done', detail: d, durationMs: Date.now() - s });
      ev.done(id, 'ok', d);
      return v;
    } catch (e0) {
      const e = signal?.aborted && (e0 as Error).name === 'AbortError' ? interrupted(id, `during ${id}`) : e0;
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
  let facts = await step('facts', 'reading the host', () => readHostFactsReady(t, 'facts', ctx.xlReadyMs ?? 60_000, ev.progress, signal), (f) => `${f.os.text ?? '?'}, ${f.kernel.release}${f.hypervisor.dom0 ? ' (Xen dom0)' : ''}, ${f.resources.memTotalMiB ?? '?'} MiB, ${f.resources.cpus} CPUs`);
  // a run that stopped half-way (interrupted, connection lost, killed): say where; the plan below
  // starts from what the host has now, so this run continues from there
  const prev = previousRun(facts.state.journal);
  if (prev && !prev.finished && facts.state.lock?.runId !== prev.runId) {
    const d = `run ${prev.runId} stopped at ${prev.phase}${prev.error ? ` (${prev.error})` : ''}; continuing from what the host has now`;
    report.steps.push({ id: 'resume', status: 'done', detail: d, durationMs: 0 });
    ev.done('resume', 'ok', d);
  }
  let plan = makePlan(facts, ctx.req, ctx.mode, ctx.target);
  report.plan = plan;
  if (plan.refusals.length) throw new PreflightError(ctx.target, plan);
  if (!plan.changed) {
    let rep: VerifyReport | null = null;
    if (facts.hypervisor.dom0) {
      rep = await step('verify', 'checking the running Dom0', () => verifyWithRetry(t, { kernel: plan.desired.kernel, hypervisorArgs: plan.desired.hypervisorArgs, requested: requestedNames(plan) }, ctx.xlReadyMs ?? 60_000, ev.progress, signal), (r) => (r.ok ? 'all checks pass' : 'some checks fail'));
      report.verify = rep;
      checkAbort('verify');
    }
    return finish(rep && !rep.ok ? 'verify-failed' : 'unchanged', rep && !rep.ok ? 'nothing to change, but the running Dom0 does not match: see the checks' : 'nothing to change: the host already runs what was asked');
  }
  checkAbort('confirm');
  const confirmed = await new Promise<boolean>((resolve, reject) => {
    const onAbort = () => reject(interrupted('confirm', 'while asking for confirmation'));
    signal?.addEventListener('abort', onAbort, { once: true });
    ctx.confirm(plan).then(resolve, reject).finally(() => signal?.removeEventListener('abort', onAbort));
  });
  if (!confirmed) return finish('cancelled', 'cancelled: nothing was changed');

  await step('lock', 'taking the host lock', () => acquireLock(t, { runId: ctx.runId, controller: ctx.controller, pid: process.pid, startedAt: now().toISOString(), command: ctx.command }, { breakLock: ctx.breakLock ?? false }), (g) => `lock ${ctx.runId}${g.tookOver ? `; took over the lock of ${g.tookOver}` : ''}`);
  locked = true;
  let failure: Error | null = null;
  try {
    await journal(t, { run: ctx.runId, phase: 'start', command: ctx.command });
    // the files must still be what the plan was made from (confirmed diffs), before anything is written
    await step('plan-check', 'checking the files against the plan', () => checkPlanFresh(t, plan, encodingOf), () => 'the files are as planned');
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
        // an interruption lets yum finish (killing it mid-transaction could break the rpm database)
        const onAbort = () => ev.progress(`interrupted: stopping once yum finishes (${interruptName(signal)} again quits at once; yum keeps running on the host)`);
        signal?.addEventListener('abort', onAbort, { once: true });
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
        }).finally(() => signal?.removeEventListener('abort', onAbort));
        const out = (tail || r.stdout.toString('utf8') + r.stderr.toString('utf8')).trim();
        const last = out.split('\n').slice(-15).join('\n');
        if (r.lost) throw new RemoteError(t.target, 'yum', 'the connection was lost during yum install xen; the transaction may have completed', 'run again: dom0up reads the installed packages and continues', 1, last);
        if (r.timedOut) throw new RemoteError(t.target, 'yum', 'yum install xen took longer than 45 minutes', undefined, 1, last);
        if (r.code !== 0) throw new RemoteError(t.target, 'yum', `yum install xen failed (exit ${r.code}); grub.conf was not changed`, 'see the output above; check the repositories (dom0up facts HOST)', 1, last);
        return r;
      }, () => 'installed');
      // the packages edited grub.conf: new-kernel-pkg (UPDATEDEFAULT=yes) made the kernel it just
      // installed the default, and it never booted here. Put the default back on the running kernel at
      // once — also when the run is being interrupted — so a run that stops now leaves the host booting
      // what it runs. Then read everything again and plan the rest exactly.
      progress.installed = true;
      phaseNow = 'facts after yum';
      ev.phase('facts', 'reading the host again after the install');
      facts = await readHostFacts(t, 'facts after yum');
      ev.done('facts', 'ok', `kernels: ${facts.boot.kernels.join(', ')}`);
      const kept = await keepRunningDefault();
      if (kept) {
        report.steps.push({ id: 'keep-default', status: 'done', detail: kept, durationMs: 0 });
        ev.done('keep-default', 'ok', kept);
      }
      checkAbort('plan after yum');
      phaseNow = 'plan after yum';
      plan = makePlan(facts, ctx.req, ctx.mode, ctx.target);
      report.planAfterInstall = plan;
      if (plan.refusals.length) throw new PreflightError(ctx.target, plan);
      if (plan.steps.some((s) => s.action === 'after-install')) {
        throw new RemoteError(t.target, 'after yum', 'Xen still looks uninstalled after yum install xen (no xen-hypervisor package or /boot/xen.gz)', 'check the yum output in the log');
      }
    }
    // ---- no reboot follows (e.g. the run that stopped after the one-shot boot): the running Dom0
    // is checked before the permanent default changes, exactly as after a reboot
    const rebootPlanned = plan.steps.find((s) => s.kind === 'reboot');
    if ((!rebootPlanned || rebootPlanned.action === 'skip') && facts.hypervisor.dom0) {
      const vrep = await step('verify', 'checking the running Dom0 before changing the default', () => verifyWithRetry(t, { kernel: plan.desired.kernel, hypervisorArgs: plan.desired.hypervisorArgs, requested: requestedNames(plan) }, ctx.xlReadyMs ?? 60_000, ev.progress, signal), (r) => (r.ok ? 'all checks pass' : `${r.checks.filter((c) => !c.ok).length} check(s) fail`));
      report.verify = vrep;
      checkAbort('verify');
      if (!vrep.ok) {
        await journal(t, { run: ctx.runId, phase: 'end', outcome: 'verify-failed' });
        return finish('verify-failed', 'the running Dom0 does not match what was asked, so grub.conf and the Xen settings were not changed: see the checks');
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
    progress.staged = staged;
    if (willReboot && ctx.beforeReboot && !(await ctx.beforeReboot())) {
      skip('reboot', 'the rollout\'s failure budget is spent');
      return finish('skipped', "prepared (packages, repo and sysconfig) but not rebooted: the rollout's failure budget was spent; grub.conf's default stays on the kernel the host runs");
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
          if (addedLintErrors(grub.before, check) > 0) throw new Error('internal: the written grub.conf has lint errors');
          return w;
        }, (w) => `written${w.backupPath ? `; previous version kept as ${w.backupPath}` : ''}`);
        progress.grubWritten = true;
      }
      if (staged) {
        await step('one-shot', `booting entry ${plan.staging!.oneShotIndex} once (grub --batch savedefault --once)`, () => setOneShot(t, plan.staging!.oneShotIndex), (r) => `stage2 saved word 0x${r.word.toString(16)}`);
        progress.oneShot = true;
      }
    }
    // ---- reboot
    if (!reboot || reboot.action === 'skip') {
      skip('reboot', reboot?.reason ?? 'no reboot needed');
      await journal(t, { run: ctx.runId, phase: 'done' });
      return finish('verified', report.verify ? 'verified: the running Dom0 matches; files updated, no reboot needed' : 'files updated; no reboot needed');
    }
    if (ctx.noReboot) {
      skip('reboot', '--no-reboot: the operator reboots');
      await journal(t, { run: ctx.runId, phase: 'end', outcome: 'reboot-pending' });
      return finish('reboot-pending', `changes written; reboot the host, then run: dom0up verify ${ctx.target}${ctx.req.dom0Mem ? ` --dom0-mem ${ctx.req.dom0Mem}` : ''}`);
    }
    const oldBootId = facts.kernel.bootId;
    const oldRelease = facts.kernel.release;
    await journal(t, { run: ctx.runId, phase: 'reboot', bootId: oldBootId });
    const deadline = Date.now() + (ctx.rebootDeadlineMs ?? 15 * 60_000);
    const advice = rebootAdvice(ctx.target, plan, grub ?? null, staged);
    const rb = await step('reboot', 'rebooting', () => rebootAndWait({ transport: t, reconnect: ctx.reconnect, ...(ctx.probe ? { probe: ctx.probe } : {}), bootId: oldBootId, deadline, onProgress: ev.progress, advice, onCommandSent: () => (progress.rebootSent = true), ...(signal ? { signal } : {}) }), (r) => `back after ${(r.totalMs / 1000).toFixed(1)} s with boot_id ${r.newBootId}`);
    t = rb.transport;
    used.push(t);
    report.reboot = { oldBootId, newBootId: rb.newBootId, totalMs: rb.totalMs, detectMs: rb.detectMs, attempts: rb.attempts };
    // ---- verify
    const rep = await step('verify', 'verifying the Dom0', () => verifyWithRetry(t, { kernel: plan.desired.kernel, hypervisorArgs: plan.desired.hypervisorArgs, requested: requestedNames(plan) }, Math.min(ctx.xlReadyMs ?? 120_000, Math.max(5000, deadline - Date.now())), ev.progress, signal), (r) => (r.ok ? 'all checks pass' : `${r.checks.filter((c) => !c.ok).length} check(s) fail`));
    report.verify = rep;
    await journal(t, { run: ctx.runId, phase: 'verified', ok: rep.ok, bootId: rb.newBootId, kernel: rep.kernel });
    checkAbort('commit');
    if (!rep.ok) {
      await journal(t, { run: ctx.runId, phase: 'end', outcome: rep.notXen && rep.kernel === oldRelease ? 'xen-boot-failed' : 'verify-failed' });
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
  } catch (e) {
    failure = e as Error;
    throw e;
  } finally {
    if (locked) {
      locked = false;
      await unlock(failure);
    }
    // the caller closes the transport it gave; one this run opened (after the reboot) is only
    // reachable through the report, which a thrown error does not carry
    if (failure && t !== ctx.transport) await t.close().catch(() => undefined);
  }

  /**
   * Records a failure in the journal and releases the lock — over a new connection when this one
   * is gone (dropped, the host rebooted). When the host does not answer, the lock stays: the next
   * run from this machine takes it over (its process is gone), from elsewhere --break-lock.
   */
  async function unlock(err: Error | null): Promise<void> {
    const entry = err ? { run: ctx.runId, phase: 'failed', at: err instanceof RemoteError ? err.phase : phaseNow, error: err.message.slice(0, 300), ...(report.backups.length ? { backups: report.backups } : {}) } : null;
    if (entry) await journal(t, entry);
    let res = await releaseLock(t, ctx.runId);
    if (res === 'failed') {
      let conn: Transport | null = null;
      let timer: NodeJS.Timeout | undefined;
      try {
        const pending = ctx.reconnect();
        conn = await Promise.race([pending, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), 20_000)))]).catch((e: unknown) => {
          // a connection that completes after the timeout is closed at once
          void pending.then((late) => late.close().catch(() => undefined), () => undefined);
          throw e;
        });
        used.push(conn);
        if (entry) await journal(conn, entry);
        res = await releaseLock(conn, ctx.runId);
      } catch {
        /* the host does not answer */
      } finally {
        clearTimeout(timer);
        await conn?.close().catch(() => undefined);
      }
    }
    if (res === 'failed') {
      ev.phase('unlock', 'releasing the host lock');
      ev.done('unlock', 'fail', `could not release ${LOCK_PATH} (the host does not answer); the next dom0up run from this machine takes it over, from elsewhere use --break-lock once this run is gone`);
    }
  }
}

/** What to do when the host does not come back from the reboot. */
function rebootAdvice(target: string, plan: Plan, grub: FileStep | null, staged: boolean): string {
  const st = plan.staging;
  if (staged && st) {
    return `use the console: the Xen entry ${st.oneShotIndex} was booted once, so a reset boots entry ${st.knownGoodIndex} "${st.knownGoodTitle}" (the permanent default) again; once the host answers, run dom0up again, or dom0up rollback ${target} to restore the files from before this run`;
  }
  let old = '';
  if (grub?.before) {
    const e = parseGrubConf(grub.before).bootEntry;
    if (e) old = ` "${e.title.trimEnd()}"`;
  }
  return `use the console: GRUB now boots the Xen entry by default (fallback= only helps when GRUB cannot load it): choose the previous entry${old} in the GRUB menu, then dom0up rollback ${target} restores the files from before this run`;
}
