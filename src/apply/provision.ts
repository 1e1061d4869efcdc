/**
 * The remote job for one host: facts → plan → (confirm) → walk the plan's steps in order.
 *
 * Steps that only touch files (and the one-shot boot) are batched into one script per phase,
 * so a fresh apply is a handful of round trips: facts; lock + journal + plan check + the files
 * written before yum; yum + the facts after it; the files after yum + the one-shot boot + the
 * reboot; the lock again + verification; the commit + the end of the run. The first change of
 * a run is preceded by its journal (the host's pre-run state), so every way back is known.
 * Nothing here prints: progress goes to `events`.
 */
import { createHash } from 'node:crypto';
import { HOST_FACTS, xlFacts, gatherWith, VERIFY_FACTS, type HostFacts } from '../facts/index.js';
import { makePlan, type PlanContext } from '../plan/make-plan.js';
import type { CommandStep, FileStep, OneShotStep, Plan, PlanMode, PlanStep, ProvisionRequest, VerifyStep } from '../plan/plan.js';
import { inPhase, RemoteError, UserError } from '../errors.js';
import { trackPhases } from './phases.js';
import type { ExecResult, Transport } from '../transport/index.js';
import { verifyHost, type VerifyReport } from '../verify/verify-host.js';
import { interruptExitCode, interruptName, processInterruptSignal, runStarted } from './interrupt.js';
import { judgeOneShot, oneShotError, oneShotScript } from './one-shot.js';
import { rebootAndWait, rebootCommand } from './reboot.js';
import { beginRunScript, detachedYumScript, HOST_EXIT, journalScript, parseYumRc, rebootLeaseScript, scriptOutput, waitForXlScript, writeFilesScript, yumLockHandOffScript, type FileWrite, type LockOwner } from './host-scripts.js';
import { buildRunMeta, CLEAN_OUTCOMES, previousRun } from './run-journal.js';
import { LockRefusedError, newNonce, RunSession } from './run-session.js';
import { hostFactsOf, readHostFacts, readHostFactsReady, verifyFactsOf, verifyWithRetry, xlStarting } from './waits.js';
import { comparePrediction } from '../plan/prediction.js';
import { DOM0UP_VERSION } from '../version.js';

export { readHostFacts, readHostFactsReady, verifyWithRetry, xlStarting } from './waits.js';

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
  /** What the package install did differs from the prediction the operator saw: go on? (default: yes, noted). */
  confirmDeviation?: (plan: Plan, deviations: string[]) => Promise<boolean>;
  events?: ProvisionEvents;
  /** The plan as made (initial) and as completed from the facts after yum (tests, UIs). */
  onPlan?: (plan: Plan, when: 'initial' | 'after-install') => void;
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
  /** Facts already read on this transport (a fleet's planning pass): not read again. */
  facts?: HostFacts;
  /** Inputs of the planner beyond the facts (the kernel version the repository will install). */
  planContext?: PlanContext;
  /** Computes planContext from the facts when it is not given (the command layer reads the repository's metadata). */
  planContextFor?: (f: HostFacts) => Promise<PlanContext>;
  /**
   * A reviewed plan to apply exactly (dom0up apply PLAN.json): the host's facts must still give
   * this plan, byte for byte; `check` throws (naming what changed) when they do not.
   */
  savedPlan?: { plan: Plan; source: string; check: (live: Plan, facts: HostFacts) => void };
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
}

export type Outcome = 'verified' | 'unchanged' | 'cancelled' | 'reboot-pending' | 'skipped' | 'xen-boot-failed' | 'verify-failed' | 'failed';

export interface HostReport {
  target: string;
  runId: string;
  outcome: Outcome;
  ok: boolean;
  plan: Plan | null;
  /** The plan made again from the facts read after `yum install xen` (the packages edit grub.conf). */
  planAfterInstall: Plan | null;
  /** Where the install differed from the plan's prediction (beyond the kernel version). */
  deviations: string[];
  steps: StepReport[];
  reboot: { oldBootId: string; newBootId: string; totalMs: number; detectMs: number; attempts: number } | null;
  verify: VerifyReport | null;
  /** The run's journal on the host (its pre-run state is what `dom0up rollback` restores), when the run changed something. */
  journal: string | null;
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

/** The options the operator asked for (or the defaults a new entry got): what `xl dmesg` must not complain about. */
export function requestedNames(plan: Plan): string[] {
  return [...plan.desired.changes.set.map((x) => x.name), ...plan.desired.changes.remove];
}

export async function provisionHost(ctx: ProvisionContext): Promise<HostReport> {
  const endRun = runStarted();
  const phases = trackPhases(ctx);
  try {
    return await new Provision(phases.ctx).run();
  } catch (e) {
    // every error names the host and the phase it stopped in (src/errors.ts inPhase)
    throw inPhase(e, ctx.target, phases.current());
  } finally {
    endRun();
  }
}

const bytesOf = (s: FileStep, text: string) => Buffer.from(text, s.encoding);

class Provision {
  private readonly ev: ProvisionEvents;
  private readonly signal: AbortSignal | undefined;
  private readonly started = Date.now();
  private t: Transport;
  private readonly used: Transport[];
  private readonly report: HostReport;
  private facts!: HostFacts;
  private plan!: Plan;
  /** A previous run that stopped half-way (its id), concluded by a run that finds nothing to change. */
  private unclosedRun: string | null = null;
  private session: RunSession | null = null;
  /** What the run has done to the host so far (for the messages of a failure or an interruption). */
  private readonly done = { begun: false, written: [] as FileStep[], yumStarted: false, yumDone: false, oneShot: false, rebootSent: false, verified: false, committed: false };
  private phaseNow = 'facts';
  private planContext: PlanContext = {};
  /** The lock of a run that is gone was taken over (reported with the lock step). */
  private tookOver: string | null = null;
  /** Command steps this run ran (each at most once). */
  private readonly ranCommands = new Set<string>();

  constructor(private readonly ctx: ProvisionContext) {
    this.ev = ctx.events ?? silentEvents;
    this.signal = ctx.signal ?? processInterruptSignal();
    this.t = ctx.transport;
    this.used = [this.t];
    this.report = { target: ctx.target, runId: ctx.runId, outcome: 'failed', ok: false, plan: null, planAfterInstall: null, deviations: [], steps: [], reboot: null, verify: null, journal: null, message: '', durationMs: 0, roundTrips: 0, transport: this.t };
  }

  private finish(outcome: Outcome, message: string): HostReport {
    const r = this.report;
    r.roundTrips = this.used.reduce((n, x) => n + x.roundTrips, 0);
    r.outcome = outcome;
    r.ok = outcome === 'verified' || outcome === 'unchanged';
    r.message = message;
    r.durationMs = Date.now() - this.started;
    r.transport = this.t;
    return r;
  }

  private checkAbort(phase: string): void {
    if (this.signal?.aborted) throw this.interrupted(phase, `before ${phase}`);
  }

  private interrupted(phase: string, what: string): RemoteError {
    const name = interruptName(this.signal);
    return new RemoteError(this.ctx.target, phase, `interrupted (${name}) ${what}: ${this.stateNote()}`, this.done.begun ? 'run dom0up again: it continues from what the host has now' : undefined, interruptExitCode(name));
  }

  /** What the host looks like if the run stops now, and the way back. */
  private stateNote(): string {
    if (!this.done.begun) return 'nothing was changed';
    const kg = this.plan.boot.nextEntry;
    const way = kg ? `GRUB still boots entry ${kg.index} "${kg.title}" (${kg.kind === 'xen' ? `Xen, ${kg.version}` : kg.version ?? kg.kind}) as before the run` : 'the default entry is unchanged';
    const back = `dom0up rollback ${this.ctx.target} --run ${this.ctx.runId} restores every file as it was before this run`;
    if (this.done.committed) return `the Xen entry is the permanent default now; ${back}`;
    if (this.done.verified) return `the host runs the verified Xen Dom0, but ${way.replace('GRUB still boots', 'GRUB boots')} at the next reboot until the commit; run again to commit; ${back}`;
    if (this.done.rebootSent) {
      return this.plan.staging ? `the host was rebooting into the Xen entry once; ${way} at the reboot after that; run again to verify and commit; ${back}` : `the host was rebooting into the new default; run again to verify; ${back}`;
    }
    const changed = this.done.written.map((s) => s.via ?? s.path);
    const what = [...(changed.length ? [`written: ${[...new Set(changed)].join(', ')}`] : []), ...(this.done.yumStarted ? [this.done.yumDone ? 'Xen is installed' : 'yum install xen was running (it finishes on the host by itself)'] : []), ...(this.done.oneShot ? ['the Xen entry boots once at the next reboot'] : [])];
    return `${what.length ? what.join('; ') : 'nothing was written yet'}; ${this.done.oneShot ? `after that one boot ${way.replace('GRUB still boots', 'GRUB boots')}` : way}; ${back}`;
  }

  private async step<T>(id: string, text: string, fn: () => Promise<T>, detail: (v: T) => string): Promise<T> {
    this.checkAbort(id);
    this.phaseNow = id;
    this.ev.phase(id, text);
    const s = Date.now();
    try {
      const v = await fn();
      const d = detail(v);
      this.report.steps.push({ id, status: 'done', detail: d, durationMs: Date.now() - s });
      this.ev.done(id, 'ok', d);
      this.session?.record(id, 'done', d);
      return v;
    } catch (e0) {
      const e = this.signal?.aborted && (e0 as Error).name === 'AbortError' ? this.interrupted(id, `during ${id}`) : e0;
      this.report.steps.push({ id, status: 'failed', detail: (e as Error).message, durationMs: Date.now() - s });
      this.ev.done(id, 'fail', (e as Error).message);
      this.session?.record(id, 'failed', (e as Error).message);
      throw e;
    }
  }

  private skip(id: string, why: string): void {
    this.report.steps.push({ id, status: 'skipped', detail: why, durationMs: 0 });
    this.ev.done(id, 'skip', why);
    this.session?.record(id, 'skipped', why);
  }

  async run(): Promise<HostReport> {
    const ctx = this.ctx;
    this.facts = ctx.facts ?? await this.step('facts', 'reading the host', () => readHostFactsReady(this.t, 'facts', ctx.xlReadyMs ?? 60_000, this.ev.progress, this.signal), (f) => `${f.os.text ?? '?'}, ${f.kernel.release}${f.hypervisor.dom0 ? ' (Xen dom0)' : ''}, ${f.resources.memTotalMiB ?? '?'} MiB, ${f.resources.cpus} CPUs`);
    // a run that stopped half-way (interrupted, connection lost, killed): say where; the plan below
    // starts from what the host has now, so this run continues from there
    const prev = previousRun(this.facts.state.runs, this.facts.state.lastRunSteps);
    if (prev && (!prev.finished || !CLEAN_OUTCOMES.has(prev.outcome ?? ''))) {
      this.unclosedRun = prev.runId;
      const d = `run ${prev.runId} stopped at ${prev.phase}${prev.outcome && prev.outcome !== 'failed' ? ` (${prev.outcome})` : ''}${prev.error ? ` (${prev.error.slice(0, 200)})` : ''}; continuing from what the host has now`;
      this.report.steps.push({ id: 'resume', status: 'done', detail: d, durationMs: 0 });
      this.ev.done('resume', 'ok', d);
    }
    this.planContext = ctx.planContext ?? (ctx.planContextFor ? await ctx.planContextFor(this.facts) : {});
    const live = makePlan(this.facts, ctx.req, ctx.mode, ctx.target, this.planContext);
    if (ctx.savedPlan) ctx.savedPlan.check(live, this.facts);
    this.plan = ctx.savedPlan ? ctx.savedPlan.plan : live;
    this.report.plan = this.plan;
    ctx.onPlan?.(this.plan, 'initial');
    if (this.plan.refusals.length) throw new PreflightError(ctx.target, this.plan);
    if (!this.plan.changed) return this.unchanged();
    this.checkAbort('confirm');
    const confirmed = await new Promise<boolean>((resolve, reject) => {
      const onAbort = () => reject(this.interrupted('confirm', 'while asking for confirmation'));
      this.signal?.addEventListener('abort', onAbort, { once: true });
      ctx.confirm(this.plan).then(resolve, reject).finally(() => this.signal?.removeEventListener('abort', onAbort));
    });
    if (!confirmed) return this.finish('cancelled', 'cancelled: nothing was changed');

    this.session = this.newSession();
    let failure: Error | null = null;
    try {
      return await this.walk();
    } catch (e) {
      failure = e as Error;
      throw this.annotate(failure);
    } finally {
      if (failure && this.session.locked) await this.unlockAfterFailure(failure);
      // the caller closes the transport it gave; one this run opened (after the reboot) is only
      // reachable through the report, which a thrown error does not carry
      if (failure && this.t !== ctx.transport) await this.t.close().catch(() => undefined);
    }
  }

  private newSession(): RunSession {
    const ctx = this.ctx;
    const owner: LockOwner = { runId: ctx.runId, controller: ctx.controller, pid: process.pid, startedAt: (ctx.now ?? (() => new Date()))().toISOString(), command: ctx.command };
    return new RunSession(this.t, ctx.runId, owner);
  }

  /** Nothing to change: check the running Dom0 (from the facts already read when xl answered). */
  private async unchanged(): Promise<HostReport> {
    const v = this.plan.steps.find((s): s is VerifyStep => s.kind === 'verify' && s.action === 'run');
    const rep = v ? await this.step('verify', 'checking the running Dom0', () => this.verifyNow(v), (r) => (r.ok ? 'all checks pass' : `${r.checks.filter((c) => !c.ok).length} check(s) fail`)) : null;
    if (rep) this.report.verify = rep;
    const outcome: Outcome = !rep || rep.ok ? 'unchanged' : 'verify-failed';
    if (this.unclosedRun && outcome === 'unchanged') await this.closeUnfinished(outcome);
    return outcome === 'unchanged' ? this.finish('unchanged', 'nothing to change: the host already runs what was asked') : this.finish('verify-failed', 'nothing to change, but the running Dom0 does not match: see the checks');
  }

  /**
   * A previous run stopped half-way and the host has since reached what was asked (a power cut
   * after the commit, say): record a run that concludes it, so the journal's last word is this
   * outcome and the next run does not report the old one again; the stale lock goes with it. One
   * script (lock, journal, end, release). A run that holds the lock now is left alone.
   */
  private async closeUnfinished(outcome: Outcome): Promise<void> {
    this.session = this.newSession();
    const s = Date.now();
    this.ev.phase('journal', `concluding run ${this.unclosedRun}`);
    try {
      await this.flush('journal', { end: outcome });
    } catch (e) {
      if (!(e instanceof LockRefusedError)) throw e;
      this.skip('journal', `another run holds the lock: run ${this.unclosedRun} is left as it is`);
      return;
    }
    const d = `run ${this.unclosedRun} concluded by this run (${outcome})`;
    this.report.steps.push({ id: 'journal', status: 'done', detail: d, durationMs: Date.now() - s });
    this.ev.done('journal', 'ok', d);
  }

  /** Verification of the running host from the facts already read; xl not ready yet: read again. */
  private async verifyNow(v: VerifyStep): Promise<VerifyReport> {
    const vf = verifyFactsOf(this.facts);
    const want = { kernel: v.expect.kernel, hypervisorArgs: v.expect.hypervisorArgs, requested: v.expect.requested };
    if (vf) {
      const rep = verifyHost(vf, want);
      if (rep.ok || rep.notXen || !rep.xlNotReady) return rep;
    }
    return verifyWithRetry(this.t, want, this.ctx.xlReadyMs ?? 60_000, this.ev.progress, this.signal);
  }

  // ---------------------------------------------------------------- the walk

  /** File writes and the one-shot boot waiting to go out with the next script. */
  private batch: (FileStep | OneShotStep)[] = [];

  private async walk(): Promise<HostReport> {
    let steps: PlanStep[] = this.plan.steps;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      this.checkAbort(s.id);
      if (s.action === 'skip') {
        this.skip(s.id, s.reason);
        continue;
      }
      switch (s.kind) {
        case 'file':
        case 'one-shot':
          this.batch.push(s);
          break;
        case 'verify': {
          if (s.when === 'before-changes') {
            const rep = await this.step('verify', 'checking the running Dom0 before its settings change', () => this.verifyNow(s), (r) => (r.ok ? 'all checks pass' : `${r.checks.filter((c) => !c.ok).length} check(s) fail`));
            this.report.verify = rep;
            if (!rep.ok) {
              if (this.done.begun || this.batch.some((b) => b.kind === 'file' && ['repo', 'gpg-key', 'kernel-sysconfig'].includes(b.id))) await this.flush('pre-verify');
              await this.session!.end('verify-failed', 'the running Dom0 does not match').catch(() => undefined);
              return this.finish('verify-failed', 'the running Dom0 does not match what was asked, so its Xen settings and grub.conf were not changed: see the checks');
            }
          } else {
            const rep = await this.verifyAfterReboot(s);
            this.report.verify = rep;
            if (!rep.ok) return this.verifyFailed(rep);
            this.done.verified = true;
          }
          break;
        }
        case 'command': {
          await this.flush(`before ${s.id}`);
          if (this.ranCommands.has(s.id)) throw new RemoteError(this.t.target, s.id, `${s.command} ran and the host still needs it (${s.reason})`, 'read the run journal\'s log on the host and finish it by hand');
          this.ranCommands.add(s.id);
          const after = await this.command(s);
          steps = [...steps.slice(0, i + 1), ...after];
          break;
        }
        case 'reboot': {
          if (this.ctx.beforeReboot && !(await this.ctx.beforeReboot())) {
            this.skip('reboot', "the rollout's failure budget is spent");
            await this.flush('prepared', { onlyFiles: (b) => !['grub', 'one-shot'].includes(b.id) });
            await this.session!.end('skipped', 'failure budget spent');
            return this.finish('skipped', "prepared (packages, repo and sysconfig) but not rebooted: the rollout's failure budget was spent; grub.conf's default stays on the kernel the host runs");
          }
          await this.reboot();
          break;
        }
      }
    }
    // the last writes (the commit), the end record and the lock in one script
    const outcome = this.plan.steps.some((s) => s.kind === 'reboot' && s.action === 'skip' && this.ctx.req.noReboot && this.plan.needsReboot) ? 'reboot-pending' : 'verified';
    await this.flush('end', { end: outcome });
    this.report.journal = `/var/lib/dom0up/runs/${this.ctx.runId}`;
    if (outcome === 'reboot-pending') {
      return this.finish('reboot-pending', `changes written; reboot the host, then run: dom0up verify ${this.ctx.target}${this.ctx.req.dom0Mem ? ` --dom0-mem ${this.ctx.req.dom0Mem}` : ''}`);
    }
    return this.finish('verified', this.report.reboot ? 'the host runs Xen with the requested Dom0' : this.report.verify ? 'the running Dom0 matches; files updated, no reboot needed' : 'files updated; no reboot needed');
  }

  /**
   * Sends what waits in the batch as one script: the lock and the run's journal first (the first
   * time), then the file writes (all checked before any is written), the one-shot boot, and then
   * `tail` (the reboot, or the end of the run).
   */
  private async flush(phase: string, o: { end?: string; tail?: string; onlyFiles?: (s: FileStep | OneShotStep) => boolean } = {}): Promise<ExecResult & { out: string }> {
    const session = this.session!;
    const take = o.onlyFiles ? this.batch.filter(o.onlyFiles) : this.batch;
    this.batch = o.onlyFiles ? this.batch.filter((b) => !take.includes(b)) : [];
    const writes = take.filter((b): b is FileStep => b.kind === 'file');
    const oneShot = take.find((b): b is OneShotStep => b.kind === 'one-shot') ?? null;
    if (!writes.length && !oneShot && !o.tail && !o.end && this.done.begun) return { code: 0, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), lost: false, timedOut: false, durationMs: 0, out: '' };
    const payload: Buffer[] = [];
    const body: string[] = [];
    const first = !this.done.begun;
    if (first) {
      const planJson = JSON.stringify(this.plan, null, 1);
      const meta = buildRunMeta({ runId: this.ctx.runId, command: this.ctx.command, controller: this.ctx.controller, version: DOM0UP_VERSION, now: new Date(), plan: this.plan, facts: this.facts, planJson, ...(this.ctx.savedPlan ? { savedPlan: this.ctx.savedPlan.source } : {}) });
      const metaBuf = Buffer.from(JSON.stringify(meta, null, 1));
      const planBuf = Buffer.from(planJson);
      payload.push(metaBuf, planBuf);
      body.push(beginRunScript({ runId: this.ctx.runId, files: meta.files.map((f) => ({ path: f.path, expect: f.sha256 ?? 'absent' })), stage2Word: this.facts.boot.stage2Saved, metaBytes: metaBuf.length, planBytes: planBuf.length }));
      body.push(journalScript(this.ctx.runId, [{ t: new Date().toISOString(), step: 'begin', status: 'begin', detail: this.ctx.command }]));
    }
    const fw: FileWrite[] = writes.map((s, n) => {
      const content = bytesOf(s, s.after as string);
      payload.push(content);
      return { n, path: s.path, expect: s.beforeSha256 ?? 'absent', sha256: createHash('sha256').update(content).digest('hex'), length: content.length, mode: s.mode, mkdirs: s.mkdirs };
    });
    if (fw.length) {
      body.push(writeFilesScript(fw));
      body.push(journalScript(this.ctx.runId, writes.map((s) => ({ t: new Date().toISOString(), step: s.id, status: 'done', detail: `${s.action === 'create' ? 'created' : 'updated'} ${s.path}` }))));
    }
    if (oneShot && oneShot.index !== null) {
      body.push(oneShotScript(oneShot.index));
      body.push(`case "$oneshot_word" in ''|*[!0-9]*) exit 80 ;; esac; if [ $(( (oneshot_word >> 8) & 255 )) != ${oneShot.index} ] || [ $(( oneshot_word & 65536 )) = 0 ]; then exit 80; fi`);
      body.push(journalScript(this.ctx.runId, [{ t: new Date().toISOString(), step: 'one-shot', status: 'done', detail: `entry ${oneShot.index} boots once` }]));
    }
    if (o.tail) body.push(o.tail);
    if (o.end) {
      body.push(journalScript(this.ctx.runId, [{ t: new Date().toISOString(), step: 'end', status: 'end', outcome: o.end }]));
      body.push(`if [ "$(sed -n 's/^run=//p' /var/lib/dom0up/lock 2>/dev/null | head -n 1)" = '${this.ctx.runId}' ]; then rm -f /var/lib/dom0up/lock; fi`);
    }
    const label = [first ? 'the run journal' : '', ...writes.map((w) => w.via ?? w.path), oneShot ? 'the one-shot boot' : '', o.tail ? 'the reboot' : ''].filter(Boolean).join(', ') || phase;
    const exec = () => session.run(phase, body.join('\n'), { stdin: Buffer.concat(payload), timeoutMs: 120_000, ...(first ? { acquire: { breakLock: this.ctx.breakLock ?? false }, recordsAfter: true } : {}) });
    const run = async () => {
      const r = await exec();
      this.afterScript(phase, r, writes, oneShot, first, o.tail !== undefined);
      return r;
    };
    const detail = () => `${first ? `lock ${this.ctx.runId}${this.tookOver ? ` (${this.tookOver})` : ''}; journal /var/lib/dom0up/runs/${this.ctx.runId}` : ''}${first && (writes.length || oneShot) ? '; ' : ''}${writes.map((w) => `${w.action === 'create' ? 'created' : 'updated'} ${w.via ?? w.path}`).join(', ')}${oneShot ? `${writes.length ? '; ' : ''}entry ${oneShot.index} boots once` : ''}`;
    if (o.tail) {
      // the batch that ends in the reboot reports within the reboot step; the lock, when this is the first script, on its own line
      const r = await run();
      if (first && this.done.begun) {
        this.report.steps.push({ id: 'lock', status: 'done', detail: detail(), durationMs: 0 });
        this.ev.done('lock', 'ok', detail());
      }
      return r;
    }
    if (!writes.length && !oneShot && !first) return run();
    const text = first && !writes.length ? 'taking the lock, recording the host as it is' : `writing ${label}`;
    return this.step(first ? 'lock' : writes[0]?.id ?? (oneShot ? 'one-shot' : phase), text, run, detail);
  }

  /** Reads a batch script's result: what was written, what failed and why. */
  private afterScript(phase: string, r: ExecResult & { out: string }, writes: FileStep[], oneShot: OneShotStep | null, first: boolean, allowLost = false): void {
    const session = this.session!;
    const { kv, all } = scriptOutput(r.out);
    if (first && kv.has('run_begun')) this.done.begun = true;
    if (first && kv.has('tookover_age')) {
      const held = /^run=(.*)$/m.exec(/tookover_begin\n([\s\S]*?)\ntookover_end/.exec(r.out)?.[1] ?? '')?.[1] ?? 'another run';
      this.tookOver = `took over the lock of ${held} (${kv.get('tookover_reason') ?? `not renewed for ${kv.get('tookover_age')} s`})`;
    }
    for (const n of all.get('wrote') ?? []) {
      const s = writes[Number(n)];
      if (s) this.done.written.push(s);
    }
    if (oneShot && r.code === 0) this.done.oneShot = true;
    const target = this.t.target;
    const err = r.stderr.toString('utf8').trim();
    if (r.lost) {
      if (allowLost) return; // the reboot: the marker and the new boot_id tell what happened
      const at = writes.some((w) => w.id === 'grub' || w.id === 'grub-commit') ? 'grub.conf write' : writes.length ? `${writes[0]!.id} write` : phase;
      throw new RemoteError(target, at, `the connection was lost while ${writes.length ? `writing ${writes.map((w) => w.via ?? w.path).join(', ')} (each file is either the old or the new version)` : 'talking to the host'}`, 'run again: dom0up reads the host and continues from what it has');
    }
    session.checkCommon(phase, r, writes.length ? 'the writes' : phase);
    if (r.code === HOST_EXIT.changed) {
      const changed = (all.get('changed') ?? []).map((c) => c.split(' ')[0]);
      throw new RemoteError(target, first ? 'plan check' : phase, `${changed.join(', ') || 'a file'} changed since it was read (by hand or by a package) — after the plan was made${first ? ' and confirmed' : ''}; nothing was written${first ? '' : ' by this step'}`, 'run again to see the new plan');
    }
    if (r.code === HOST_EXIT.link) {
      throw new RemoteError(target, phase, `${(all.get('link') ?? []).join(', ')} became a symbolic link after the host was read; nothing was written`, 'check who planted the link, then run again');
    }
    if (r.code === 80 && oneShot) throw oneShotError(target, oneShot.index ?? -1, judgeOneShot(r.out, oneShot.index ?? -1));
    if (r.code === 3 && oneShot && /no \/sbin\/grub/.test(err)) throw new RemoteError(target, 'one-shot boot', '/sbin/grub is missing, so the Xen entry cannot be booted once', 'install the grub package, or use --no-once (default switch with fallback)');
    if (r.code !== 0) {
      const failedAt = writes.find((w) => !this.done.written.includes(w));
      if (failedAt) phase = `${failedAt.id === 'grub' || failedAt.id === 'grub-commit' ? 'grub.conf' : failedAt.id} write`;
      const dir = failedAt ? failedAt.path.slice(0, failedAt.path.lastIndexOf('/')) || '/' : '';
      if (/No space left on device|Disk quota exceeded/i.test(err)) {
        throw new RemoteError(target, phase, `ENOSPC: no space left on the file system of ${dir} while writing ${failedAt?.path ?? 'a file'}; that file is untouched`, `free space in ${dir} (df -h ${dir}; package-cleanup --oldkernels for /boot) and run again`, 1, err || undefined);
      }
      if (r.code === HOST_EXIT.readBack) throw new RemoteError(target, `${phase} read-back`, `${failedAt?.path ?? 'a file'} does not hold what was written`, 'another process is editing it; run again', 1, err || undefined);
      const before = r.code !== null && r.code >= 66 && r.code <= 71;
      throw new RemoteError(target, phase, `${failedAt ? `writing ${failedAt.path}` : phase} failed (exit ${r.code ?? '?'})${failedAt && before ? '; that file is untouched' : ''}`, undefined, 1, err.slice(-1500) || undefined);
    }
  }

  // ---------------------------------------------------------------- yum

  private async command(cs: CommandStep): Promise<PlanStep[]> {
    const command = cs.command;
    const isYum = cs.id === 'yum-install';
    const what = isYum ? 'yum install xen' : 'finishing the kernel install';
    const stepId = isYum ? 'yum' : cs.id;
    const session = this.session!;
    if (!this.done.begun) await this.flush('begin');
    const nonce = newNonce();
    const marker = `\n@@${nonce} `;
    if (isYum) this.done.yumStarted = true;
    const facts2 = await this.step(stepId, command, async () => {
      let seen = '';
      let done = false;
      const onAbort = () => this.ev.progress(`interrupted: stopping once yum finishes (${interruptName(this.signal)} again quits at once; yum keeps running on the host)`);
      this.signal?.addEventListener('abort', onAbort, { once: true });
      const prefix = [session.prefix(), detachedYumScript(this.ctx.runId, command, nonce)].join('\n');
      const g = await gatherWith(this.t, { ...HOST_FACTS, ...xlFacts }, {
        phase: 'yum',
        timeoutMs: 45 * 60_000,
        prefix,
        nonce,
        onStdout: (c: Buffer) => {
          if (done) return;
          let s = c.toString('utf8');
          const at = (seen + s).indexOf(marker);
          if (at >= 0) {
            s = s.slice(0, Math.max(0, at - seen.length));
            done = true;
          }
          seen = (seen + s).slice(-200);
          this.ev.log(s);
          const last = s.trim().split('\n').pop();
          if (last) this.ev.progress(last.slice(0, 100));
        },
      }).finally(() => this.signal?.removeEventListener('abort', onAbort));
      const r = g.exec;
      const out = g.preamble;
      const tail = out.trim().split('\n').slice(-15).join('\n');
      const goesOn = 'it goes on on the host by itself (detached), and the packages never change the default (UPDATEDEFAULT=no)';
      if (r.lost) throw new RemoteError(this.t.target, stepId, `the connection was lost during ${what}; ${goesOn}`, 'run again once it has ended (the host lock stays with the install until then, and a run before that is refused, naming it): dom0up reads the installed packages and continues', 1, tail || undefined);
      session.checkCommon(stepId, { ...r, out: r.stdout.toString('utf8') }, what);
      if (r.timedOut) throw new RemoteError(this.t.target, stepId, `${what} took longer than 45 minutes; ${goesOn}`, 'run again once it has ended (the host lock stays with the install until then)', 1, tail);
      const rc = parseYumRc(r.stdout.toString('latin1'), nonce);
      if (rc === null) throw new RemoteError(this.t.target, stepId, `${what} did not report its exit status (script exit ${r.code ?? '?'})`, 'see the log; run again', 1, tail || r.stderr.toString('utf8').trim().slice(-1500) || undefined);
      if (rc !== 0) {
        throw new RemoteError(this.t.target, stepId, `${what} failed (exit ${rc}); the default boot entry was not changed (UPDATEDEFAULT=no)`, isYum ? 'see the output above; check the repositories (dom0up facts HOST)' : 'see the output above', 1, tail);
      }
      if (isYum) this.done.yumDone = true;
      if (!g.results) throw new RemoteError(this.t.target, `facts after ${stepId}`, `the host did not answer the facts after ${what}`, 'run again');
      return hostFactsOf(g.results);
    }, () => (isYum ? 'installed' : 'done'));
    this.facts = facts2;
    // the rest of the plan, made again by the same planner from what the packages did
    this.phaseNow = 'plan after yum';
    const p2 = makePlan(facts2, this.ctx.req, this.ctx.mode, this.ctx.target, this.planContext);
    if (isYum) this.report.planAfterInstall = p2;
    this.ctx.onPlan?.(p2, 'after-install');
    if (p2.refusals.length) throw new PreflightError(this.ctx.target, p2);
    if (p2.steps.some((s) => s.action === 'after-install')) {
      throw new RemoteError(this.t.target, 'after yum', 'Xen still looks uninstalled after yum install xen (no xen-hypervisor package or /boot/xen.gz)', 'check the yum output in the log');
    }
    const deviations = isYum ? comparePrediction(this.plan, p2) : [];
    if (isYum) this.report.deviations = deviations;
    if (deviations.length) {
      this.ev.progress(`the install differs from the plan: ${deviations.join('; ')}`);
      if (this.ctx.savedPlan) throw new RemoteError(this.t.target, 'after yum', `the packages changed grub.conf differently than the reviewed plan predicted: ${deviations.join('; ')}; nothing more was changed (the default boot entry is as before the run)`, 'make and review a new plan (dom0up plan HOST --out PLAN.json)');
      if (this.ctx.confirmDeviation && !(await this.ctx.confirmDeviation(p2, deviations))) {
        await session.end('cancelled', 'the install differed from the plan');
        throw new UserError(`${this.ctx.target}: stopped after yum: the install differed from the plan (${deviations.join('; ')}); Xen is installed, grub.conf's default is as before the run`, `review dom0up plan ${this.ctx.target}, then run again`);
      }
    }
    // the plan's steps from here on: the new plan's steps after its (now skipped) yum, and any earlier file step that is not done
    const yumAt = p2.steps.findIndex((s) => s.kind === 'command' && s.id === 'yum-install');
    const rest = p2.steps.filter((s, i) => i > yumAt || (s.action !== 'skip' && s.kind === 'file'));
    const doneUpTo = this.plan.steps.findIndex((s) => s === cs);
    this.plan = { ...this.plan, steps: [...this.plan.steps.slice(0, doneUpTo + 1), ...rest], staging: p2.staging, desired: p2.desired };
    return rest;
  }

  // ---------------------------------------------------------------- reboot and verification

  private async reboot(): Promise<void> {
    const ctx = this.ctx;
    const oldBootId = this.facts.kernel.bootId;
    const deadline = Date.now() + (ctx.rebootDeadlineMs ?? 15 * 60_000);
    const advice = this.rebootAdvice();
    const leaseS = Math.ceil((deadline - Date.now()) / 1000) + 60;
    const rb = await this.step('reboot', this.plan.staging ? `rebooting into entry ${this.plan.staging.oneShotIndex} once` : 'rebooting', () => rebootAndWait({
      transport: this.t,
      reconnect: ctx.reconnect,
      ...(ctx.probe ? { probe: ctx.probe } : {}),
      bootId: oldBootId,
      deadline,
      onProgress: this.ev.progress,
      advice,
      onCommandSent: () => undefined,
      send: async (token) => {
        const tail = [rebootLeaseScript(this.session!.owner, leaseS), journalScript(ctx.runId, [{ t: new Date().toISOString(), step: 'reboot', status: 'begin', detail: `boot_id ${oldBootId}` }]), rebootCommand(token)].join('\n');
        const r = await this.flush('reboot', { tail });
        if (!r.lost) this.done.rebootSent = true;
        return r;
      },
      onSendFailed: () => new Error('internal: reboot script failure not thrown'),
      onMarkerMissing: () => new RemoteError(this.t.target, 'reboot', 'the connection dropped before the script that writes grub.conf, sets the one-shot boot and reboots had completed; the host did not reboot', 'run again: dom0up reads what the host has and continues'),
      ...(this.signal ? { signal: this.signal } : {}),
    }), (r) => `back after ${(r.totalMs / 1000).toFixed(1)} s with boot_id ${r.newBootId}`);
    this.t = rb.transport;
    this.used.push(this.t);
    this.session!.t = this.t;
    this.report.reboot = { oldBootId, newBootId: rb.newBootId, totalMs: rb.totalMs, detectMs: rb.detectMs, attempts: rb.attempts };
  }

  /** After the reboot: the lock taken again (it is still this run's) and verification, in one script. */
  private async verifyAfterReboot(v: VerifyStep): Promise<VerifyReport> {
    const want = { kernel: this.plan.desired.kernel ?? v.expect.kernel, hypervisorArgs: this.plan.desired.hypervisorArgs, requested: requestedNames(this.plan) };
    return this.step('verify', 'verifying the Dom0', async () => {
      const waitS = Math.round((this.ctx.xlReadyMs ?? 120_000) / 1000);
      const prefix = this.session!.prefix({ acquire: { breakLock: false } });
      const g = await gatherWith(this.t, VERIFY_FACTS, { phase: 'verify', timeoutMs: 60_000 + waitS * 1000, prefix: `${prefix}\n${waitForXlScript(waitS)}` });
      this.session!.checkCommon('verify', { ...g.exec, out: g.exec.stdout.toString('utf8') }, 'verification');
      if (!g.results) throw new RemoteError(this.t.target, 'verify', `the host did not answer the verification (exit ${g.exec.code ?? '?'})`, 'run dom0up verify HOST', 1, g.exec.stderr.toString('utf8').trim().slice(-1500) || undefined);
      const rep = verifyHost(g.results, want);
      if (rep.ok || rep.notXen || !rep.xlNotReady) return rep;
      return verifyWithRetry(this.t, want, this.ctx.xlReadyMs ?? 120_000, this.ev.progress, this.signal);
    }, (r) => (r.ok ? 'all checks pass' : `${r.checks.filter((c) => !c.ok).length} check(s) fail`));
  }

  private async verifyFailed(rep: VerifyReport): Promise<HostReport> {
    const oldRelease = this.plan.boot.running.kernel;
    const st = this.plan.staging;
    const xenBootFailed = rep.notXen && rep.kernel === oldRelease;
    await this.session!.end(xenBootFailed ? 'xen-boot-failed' : 'verify-failed', rep.checks.filter((c) => !c.ok).map((c) => c.label).join(', '));
    this.report.journal = `/var/lib/dom0up/runs/${this.ctx.runId}`;
    const back = `dom0up rollback ${this.ctx.target} --run ${this.ctx.runId} restores every file as it was before this run`;
    if (xenBootFailed) {
      return this.finish('xen-boot-failed', `the Xen boot failed: the host came back on ${oldRelease} without Xen (Xen or Dom0 did not start and the machine rebooted into the previous default).${st ? ` grub.conf keeps the Xen entry ${st.oneShotIndex} but the default stays entry ${st.knownGoodIndex} "${st.knownGoodTitle}"` : ''}; read the console log (xl dmesg needs Xen), fix the options, run again — or ${back}`);
    }
    return this.finish('verify-failed', st ? `the host booted but does not match what was asked; the permanent default is still entry ${st.knownGoodIndex} "${st.knownGoodTitle}", so the next reboot returns to it; ${back}` : `the host booted but does not match what was asked; ${back}`);
  }

  /** What to do when the host does not come back from the reboot. */
  private rebootAdvice(): string {
    const st = this.plan.staging;
    const target = this.ctx.target;
    if (st) {
      return `use the console: the Xen entry ${st.oneShotIndex} was booted once, so a reset boots entry ${st.knownGoodIndex} "${st.knownGoodTitle}" (the permanent default) again; once the host answers, run dom0up again, or dom0up rollback ${target} --run ${this.ctx.runId} to restore the files from before this run`;
    }
    const old = this.plan.boot.nextEntry;
    return `use the console: GRUB now boots the Xen entry by default (fallback= only helps when GRUB cannot load it): choose the previous entry${old ? ` "${old.title}"` : ''} in the GRUB menu, then dom0up rollback ${target} --run ${this.ctx.runId} restores the files from before this run`;
  }

  // ---------------------------------------------------------------- failures

  private annotate(e: Error): Error {
    if (!(e instanceof RemoteError) || !this.done.begun || e.exitCode === 130 || e.exitCode === 143) return e;
    if (/GRUB still boots|restores every file/.test(e.message)) return e;
    return new RemoteError(e.host, e.phase, `${e.message.slice(e.host.length + e.phase.length + 4)} — ${this.stateNote()}`, e.hint, e.exitCode, e.detail);
  }

  /**
   * Records the failure in the journal and releases the lock — over a new connection when this
   * one is gone (dropped, the host rebooted). When the host does not answer, the lock's lease
   * runs out by itself (no renewal) and the next run takes it.
   */
  private async unlockAfterFailure(err: Error): Promise<void> {
    const session = this.session!;
    const detail = `${err instanceof RemoteError ? err.phase : this.phaseNow}: ${err.message}`.slice(0, 400);
    // a detached yum that may still run keeps the lock until it ends (no other run may start meanwhile)
    const yumRunning = this.done.yumStarted && !this.done.yumDone;
    const release = yumRunning ? yumLockHandOffScript(this.ctx.runId) : undefined;
    const said = (out: string): void => {
      if (!/^lock_kept_for_yum=1$/m.test(out)) return;
      this.ev.phase('unlock', 'leaving the host lock to yum');
      this.ev.done('unlock', 'ok', 'yum install xen still runs on the host (detached): the host lock stays with it and is released when it ends');
    };
    if (await session.end('failed', detail, '', release, said)) return;
    let conn: Transport | null = null;
    let timer: NodeJS.Timeout | undefined;
    try {
      const pending = this.ctx.reconnect();
      conn = await Promise.race([pending, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), 20_000)))]).catch((e: unknown) => {
        void pending.then((late) => late.close().catch(() => undefined), () => undefined);
        throw e;
      });
      this.used.push(conn);
      session.t = conn;
      if (await session.end('failed', detail, '', release, said)) return;
    } catch {
      /* the host does not answer */
    } finally {
      clearTimeout(timer);
      await conn?.close().catch(() => undefined);
    }
    this.ev.phase('unlock', 'releasing the host lock');
    this.ev.done('unlock', 'fail', `could not release the host lock (the host does not answer); it expires by itself once this run stops renewing it`);
  }
}
