/**
 * A fleet run: every host's facts and plan in parallel (so refusals show before anything
 * changes), one confirmation, then each host's apply in parallel up to `forks`, with reboots
 * passing a RebootGate in batches (`serial`) under a failure budget (`maxFail`). Each host's
 * run is independent and keeps no state on the controller, so orchestrators can shard a fleet.
 */
import type { Plan, PlanMode } from '../plan/plan.js';
import { makePlan, type PlanContext } from '../plan/make-plan.js';
import { provisionHost, readHostFacts, silentEvents, type HostReport, type ProvisionEvents } from '../apply/provision.js';
import type { OpenHost } from '../remote/connect.js';
import type { Transport } from '../transport/index.js';
import { UserError, userFacing } from '../errors.js';
import { RebootGate, Slots } from './pool.js';
import { processInterruptSignal } from '../apply/interrupt.js';
import type { Target } from './targets.js';
import type { HostFacts } from '../facts/index.js';
import { checkSavedHost, compareWithSaved, planInputs, type SavedHost } from '../plan/saved-plan.js';

export interface HostResult {
  target: Target;
  /** Display name of the connection (user@host:port). */
  display: string;
  outcome: HostReport['outcome'] | 'pending' | 'refused' | 'unreachable' | 'error';
  ok: boolean;
  plan: Plan | null;
  report: HostReport | null;
  /** One line: why it failed / what happened. */
  message: string;
  durationMs: number;
  logPath: string | null;
}

/** Progress of the planning round (facts + plan of every host). */
export interface PlanHooks {
  onPlanStart?: (t: Target) => void;
  onPlanDone?: (r: HostResult) => void;
}

export interface RolloutOptions extends PlanHooks {
  /** A host's apply is over (verified, failed, skipped …). */
  onHostDone?: (r: HostResult) => void;
  mode: PlanMode;
  forks: number;
  /** Reboot batch size (hosts). */
  serial: number;
  /** Failures allowed before no further host is rebooted. */
  maxFail: number;
  breakLock: boolean;
  rebootTimeoutS?: number;
  runId: (t: Target) => string;
  controller: string;
  open: (t: Target) => Promise<OpenHost>;
  /** Reviewed plans to apply exactly (dom0up apply PLAN.json), by target; `savedSource` names the file. */
  saved?: Map<Target, SavedHost>;
  savedSource?: string;
  /** What the planner needs beyond the facts (the repository's kernel version for a predicted grub.conf). */
  planContextFor?: (f: HostFacts, t: Target) => Promise<PlanContext>;
  events: (t: Target, display: string, runId: string) => Promise<ProvisionEvents & { logPath: string; stop(): void }>;
  /** Shown all plans; true = go on. */
  confirm: (plans: HostResult[]) => Promise<boolean>;
}

function failure(target: Target, display: string, err: unknown, started: number, phase: 'unreachable' | 'failed'): HostResult {
  const uf = userFacing(err);
  return {
    target,
    display,
    outcome: uf ? phase : 'error',
    ok: false,
    plan: null,
    report: null,
    message: uf ? uf.message + (uf.hint ? ` (${uf.hint})` : '') : `internal error: ${(err as Error)?.stack ?? String(err)}`,
    durationMs: Date.now() - started,
    logPath: null,
  };
}

/**
 * facts + plan for every host, in parallel; connections stay open for the apply, unless
 * `close` (plan only): then each host's connection is closed as soon as its plan is made, so a
 * large fleet never holds more than `forks` connections (and sshd sessions) at once.
 */
export async function planFleet(targets: Target[], o: Pick<RolloutOptions, 'forks' | 'mode' | 'open' | 'planContextFor' | 'saved'> & PlanHooks & { close?: boolean }): Promise<{ results: HostResult[]; conns: Map<Target, OpenHost>; facts: Map<Target, HostFacts>; contexts: Map<Target, PlanContext> }> {
  const slots = new Slots(o.forks);
  const conns = new Map<Target, OpenHost>();
  const planned = new Map<Target, HostFacts>();
  const contexts = new Map<Target, PlanContext>();
  const results = await Promise.all(
    targets.map(async (t) => {
      if (t.refusal !== undefined) {
        // its inventory asks for something dom0up does not do: not even connected to
        return { target: t, display: t.name, outcome: 'refused' as const, ok: false, plan: null, report: null, message: `connection settings: ${t.refusal}`, durationMs: 0, logPath: null };
      }
      await slots.acquire();
      o.onPlanStart?.(t);
      const started = Date.now();
      try {
        let conn: OpenHost;
        try {
          conn = await o.open(t);
        } catch (e) {
          return failure(t, t.destination, e, started, 'unreachable');
        }
        if (!o.close) conns.set(t, conn);
        try {
          const facts = await readHostFacts(conn.transport);
          const saved = o.saved?.get(t);
          const pc = saved ? saved.planContext : o.planContextFor ? await o.planContextFor(facts, t) : {};
          const plan = saved ? saved.plan : makePlan(facts, t.req, o.mode, conn.transport.target, pc);
          planned.set(t, facts);
          contexts.set(t, pc);
          if (saved) {
            const why = checkSavedHost(saved, facts, conn.transport.hostKeySha256 ?? null, o.mode);
            if (why.length) return { target: t, display: conn.transport.target, outcome: 'refused' as const, ok: false, plan, report: null, message: `the host changed since the plan was reviewed, nothing was changed: ${why.join('; ')}`, durationMs: Date.now() - started, logPath: null };
          }
          const refused = plan.refusals.length > 0;
          return {
            target: t,
            display: conn.transport.target,
            outcome: refused ? ('refused' as const) : plan.changed ? ('pending' as const) : ('unchanged' as const),
            ok: !refused,
            plan,
            report: null,
            message: refused ? `preflight: ${plan.refusals.map((r) => r.message).join('; ')}` : plan.changed ? 'changes pending' : 'nothing to change',
            durationMs: Date.now() - started,
            logPath: null,
          };
        } catch (e) {
          return failure(t, conn.transport.target, e, started, 'failed');
        } finally {
          if (o.close) await conn.transport.close().catch(() => undefined);
        }
      } finally {
        slots.release();
      }
    }).map((p) => p.then((r) => (o.onPlanDone?.(r), r))),
  );
  return { results, conns, facts: planned, contexts };
}

/** A digest of what a plan would do, to notice that a host changed between the shown plan and the apply. */
export function planDigest(p: Plan): string {
  return JSON.stringify(p.steps.map((s) => [s.id, s.action, s.kind === 'file' ? s.after : null]));
}

export async function rolloutFleet(targets: Target[], o: RolloutOptions): Promise<HostResult[]> {
  const { results: planned, conns, facts: factsOf, contexts } = await planFleet(targets, o);
  const toClose: Transport[] = [];
  const closeAll = async () => {
    await Promise.all([...[...conns.values()].map((c) => c.transport), ...toClose].map((t) => t.close().catch(() => undefined)));
  };
  try {
    const toApply = planned.filter((r) => r.ok && r.plan && r.plan.changed);
    if (toApply.length && !(await o.confirm(planned))) {
      return planned.map((r) => (r.outcome === 'pending' ? { ...r, outcome: 'cancelled' as const, ok: false, message: 'cancelled: nothing was changed' } : r));
    }
    const gate = new RebootGate(o.serial, o.maxFail);
    // failures found while planning count against the budget
    for (const r of planned) if (!r.ok) gate.fail();
    const slots = new Slots(o.forks);
    const final = await Promise.all(
      planned.map(async (r): Promise<HostResult> => {
        if (!r.ok || !r.plan || !r.plan.changed) return r;
        const conn = conns.get(r.target)!;
        await slots.acquire();
        let holding = true;
        const started = Date.now();
        if (gate.spent || processInterruptSignal()?.aborted) {
          slots.release();
          const why = gate.spent ? 'the failure budget was spent' : 'the run was interrupted';
          return { ...r, outcome: 'skipped', ok: false, message: `skipped: ${why} before this host started; nothing was changed`, durationMs: 0 };
        }
        const runId = o.runId(r.target);
        const events = await o.events(r.target, r.display, runId).catch(() => ({ ...silentEvents, logPath: '', stop() {} }));
        let admitted = false;
        try {
          const shown = planDigest(r.plan);
          const report = await provisionHost({
            target: r.display,
            transport: conn.transport,
            reconnect: conn.reconnect,
            ...(conn.probe ? { probe: conn.probe } : {}),
            req: r.target.req,
            mode: o.mode,
            facts: factsOf.get(r.target)!,
            planContext: contexts.get(r.target) ?? {},
            ...(o.saved?.get(r.target) ? { savedPlan: savedPlanCheck(o.saved.get(r.target)!, o.mode, o.savedSource ?? 'a saved plan') } : {}),
            confirm: async (plan) => {
              if (planDigest(plan) !== shown) throw new UserError(`${r.display}: the host changed since its plan was shown; nothing was changed`, 'run again to see the new plan');
              return true;
            },
            events,
            breakLock: o.breakLock,
            ...(o.rebootTimeoutS !== undefined ? { rebootDeadlineMs: o.rebootTimeoutS * 1000 } : {}),
            runId,
            controller: o.controller,
            command: `dom0up ${o.mode} (fleet)`,
            beforeReboot: async () => {
              slots.release();
              holding = false;
              // reboot and verification are waits, not controller work: they do not hold a fork slot
              const ok = await gate.enter();
              if (ok) admitted = true;
              return ok;
            },
          });
          if (report.transport !== conn.transport) toClose.push(report.transport);
          const ok = report.ok;
          if (admitted) gate.done(ok);
          else if (!ok && report.outcome !== 'skipped') gate.fail();
          return { ...r, outcome: report.outcome, ok, report, message: report.message, durationMs: Date.now() - started, logPath: events.logPath };
        } catch (e) {
          if (admitted) gate.done(false);
          else gate.fail();
          return { ...failure(r.target, r.display, e, started, 'failed'), plan: r.plan, logPath: events.logPath };
        } finally {
          events.stop();
          if (holding) slots.release();
        }
      }).map((p, i) => (planned[i]!.ok && planned[i]!.plan?.changed ? p.then((r) => (o.onHostDone?.(r), r)) : p)),
    );
    return final;
  } finally {
    await closeAll();
  }
}

/** provisionHost's check of a reviewed plan against the facts it read. */
function savedPlanCheck(saved: SavedHost, mode: PlanMode, source: string) {
  return {
    plan: saved.plan,
    source,
    check: (live: Plan, facts: HostFacts) => {
      const why = compareWithSaved(saved, live, planInputs(facts));
      if (why.length) throw new UserError(`${saved.destination}: the host changed since the plan was reviewed, nothing was changed: ${why.join('; ')}`, 'make and review a new plan (dom0up plan HOST --out PLAN.json)');
      void mode;
    },
  };
}
