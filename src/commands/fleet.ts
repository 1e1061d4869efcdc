/**
 * facts / plan / apply / tune / verify on several hosts (names, -i INVENTORY, --limit). One
 * host given by name keeps the single-host output of remote.ts; everything else runs here.
 * Exit code of fleet runs: 0 when every host is verified or unchanged, else the number of
 * hosts that are not (refused, unreachable, failed, skipped), at most 100.
 */
import { UserError } from '../errors.js';
import { planContextFor } from '../remote/plan-context.js';
import type { HostFacts } from '../facts/index.js';
import type { SavedHost } from '../plan/saved-plan.js';
import { openHost, type SshCliOptions } from '../remote/connect.js';
import type { PlanMode, ProvisionRequest } from '../plan/plan.js';
import { readHostFacts } from '../apply/provision.js';
import { countOf, Slots } from '../fleet/pool.js';
import { planFleet, rolloutFleet, type HostResult, type RolloutOptions } from '../fleet/rollout.js';
import { resolveTargets, splitIdentities, type Target } from '../fleet/targets.js';
import { Board } from '../ui/board.js';
import type { Ui } from '../ui/io.js';
import { factsJson, renderChecks, renderFacts, renderPlan, reportJson } from '../ui/render-remote.js';
import { renderFleetSummary } from '../ui/render-fleet.js';
import { applyCli, askYesNo, controllerName, factsCli, newRunId, planCli, verifyCli, verifyRunning, withAsk } from './remote.js';
import { EXIT } from '../exit-codes.js';
import { interruptExitCode, interruptName, processInterruptSignal } from '../apply/interrupt.js';
import { userFacing } from '../errors.js';
import { visible } from '../ui/escape.js';

export type FleetCommand = 'facts' | 'plan' | 'apply' | 'tune' | 'verify';

export interface FleetCliOptions {
  command: FleetCommand;
  hosts: string[];
  /** -i values (key files or inventories) and --inventory values. */
  identityOrInventory: string[];
  inventories: string[];
  limit?: string;
  forks: number;
  serial: string;
  maxFail: string;
  ssh: SshCliOptions;
  req: ProvisionRequest;
  json: boolean;
  yes: boolean;
  noReboot: boolean;
  breakLock: boolean;
  detailedExitcode: boolean;
  rebootTimeoutS?: number;
}

export { DEFAULT_FORKS } from '../fleet/pool.js';
export const DEFAULT_SERIAL = '25%';
export const DEFAULT_MAX_FAIL = '0';

function notOk(results: HostResult[]): number {
  return Math.min(100, results.filter((r) => !(r.outcome === 'verified' || r.outcome === 'unchanged' || (r.outcome === 'pending' && r.ok) || r.outcome === 'reboot-pending')).length);
}

export async function fleetCli(ui: Ui, o: FleetCliOptions): Promise<number> {
  const split = splitIdentities(o.identityOrInventory);
  const ssh: SshCliOptions = withAsk(ui, { ...o.ssh, identity: [...(o.ssh.identity ?? []), ...split.identities] });
  const inventories = [...split.inventories, ...o.inventories];
  // one host by name, no inventory: the single-host commands and their output
  if (inventories.length === 0 && o.hosts.length === 1 && !o.limit) {
    const common = { host: o.hosts[0] as string, ssh, json: o.json };
    switch (o.command) {
      case 'facts':
        return factsCli(ui, common);
      case 'plan':
        return planCli(ui, { ...common, req: o.req, mode: 'apply', detailedExitcode: o.detailedExitcode });
      case 'verify':
        return verifyCli(ui, { ...common, req: o.req });
      default:
        return applyCli(ui, { ...common, req: o.req, mode: o.command, yes: o.yes, noReboot: o.noReboot, breakLock: o.breakLock, ...(o.rebootTimeoutS !== undefined ? { rebootTimeoutS: o.rebootTimeoutS } : {}) });
    }
  }
  const targets = await resolveTargets({ hosts: o.hosts, inventories, ...(o.limit !== undefined ? { limit: o.limit } : {}), ssh, req: o.req });
  reportConnectionNotes(ui, targets);
  const { serial, maxFail } = batchCounts(o, targets.length);
  const open = (t: Target) => openHost(t.destination, t.ssh);
  const planContextOf = (f: HostFacts, t: Target) => planContextFor(f, t.req, ui.streams.env, o.command === 'tune' ? 'tune' : 'apply');
  switch (o.command) {
    case 'facts':
      return fleetFacts(ui, targets, o, open);
    case 'verify':
      return fleetVerify(ui, targets, o, open);
    case 'plan': {
      const board = new Board(ui, targets.map((t) => t.name), { json: o.json, title: 'plan', quietPlain: true });
      let results: HostResult[];
      try {
        ({ results } = await planFleet(targets, { forks: o.forks, mode: 'apply', open, close: true, planContextFor: planContextOf, ...planHooks(board) }));
      } finally {
        board.stop();
      }
      if (o.json) ui.json({ hosts: results.map((r) => ({ host: r.display, name: r.target.name, outcome: r.outcome, message: r.message, plan: r.plan, ...notesJson(r.target) })) });
      else {
        for (const r of results) ui.print(r.plan ? renderPlan(r.plan, ui.out) : `${ui.out.bold(visible(r.display))}: ${ui.out.red(r.outcome)} — ${visible(r.message)}\n`);
        ui.print(renderFleetSummary(results, ui.out));
      }
      const bad = results.filter((r) => !r.ok).length;
      if (bad) return Math.min(100, bad);
      return o.detailedExitcode && results.some((r) => r.outcome === 'pending') ? EXIT.changes : EXIT.ok;
    }
    default:
      return rolloutCli(ui, targets, { ...o, mode: o.command as PlanMode, serial, maxFail, open, planContextFor: planContextOf });
  }
}

/** --serial and --max-fail (a number of hosts or a percentage) for a fleet of `n` hosts. */
function batchCounts(o: { serial: string; maxFail: string }, n: number): { serial: number; maxFail: number } {
  try {
    return { serial: countOf(o.serial, n, 1), maxFail: countOf(o.maxFail, n, 0) };
  } catch (e) {
    throw new UserError(`--serial/--max-fail: ${(e as Error).message}`, 'give a number of hosts or a percentage, e.g. --serial 5 or --serial 20%');
  }
}

/** The rollout's own options (fleet/rollout.ts), as the command line gives them. */
export interface RolloutCliOptions extends Pick<RolloutOptions, 'mode' | 'forks' | 'serial' | 'maxFail' | 'breakLock' | 'rebootTimeoutS'> {
  json: boolean;
  yes: boolean;
  open: (t: Target) => ReturnType<typeof openHost>;
  planContextFor?: (f: HostFacts, t: Target) => Promise<import('../plan/make-plan.js').PlanContext>;
  /** apply PLAN.json: the reviewed plan of each target, and the file's name. */
  saved?: Map<Target, SavedHost>;
  savedSource?: string;
}

/** apply / tune over targets: plans, one confirmation, installs in parallel, reboots in batches, a summary. */
export async function rolloutCli(ui: Ui, targets: Target[], o: RolloutCliOptions): Promise<number> {
  const hostNames = targets.map((t) => t.name);
  const planBoard = new Board(ui, hostNames, { json: o.json, title: 'plan', quietPlain: true });
  // the apply's board starts once the plans are confirmed
  let applyBoard: Board | null = null;
  const board = (): Board => (applyBoard ??= new Board(ui, hostNames, { json: o.json, title: o.mode }));
  const names = new Map<string, string>();
  let results: HostResult[];
  try {
    results = await rolloutFleet(targets, {
      mode: o.mode,
      forks: o.forks,
      serial: o.serial,
      maxFail: o.maxFail,
      breakLock: o.breakLock,
      ...(o.rebootTimeoutS !== undefined ? { rebootTimeoutS: o.rebootTimeoutS } : {}),
      runId: () => newRunId(),
      controller: controllerName(),
      open: o.open,
      ...(o.planContextFor ? { planContextFor: o.planContextFor } : {}),
      ...(o.saved ? { saved: o.saved, savedSource: o.savedSource ?? 'a saved plan' } : {}),
      ...planHooks(planBoard),
      onHostDone: (r) => board().finish(r.target.name, r.ok, r.message, stateOf(r)),
      events: (t, display, runId) => {
        names.set(display, t.name);
        return board().events(t.name, runId);
      },
      confirm: async (plans) => {
        planBoard.stop();
        const pending = plans.filter((p) => p.outcome === 'pending');
        if (!o.json) {
          for (const p of plans) if (p.plan && p.plan.changed) ui.note(renderPlan(p.plan, ui.err, { diffs: plans.length <= 3 }));
          for (const p of plans) if (p.outcome === 'refused' || p.outcome === 'unreachable') ui.note(`${p.display}: ${p.outcome}: ${p.message}`);
          ui.note(`${pending.length} host(s) to change, ${plans.filter((p) => p.outcome === 'unchanged').length} unchanged, ${plans.filter((p) => !p.ok).length} refused or unreachable; reboots in batches of ${o.serial}, stop after ${o.maxFail + 1} failure(s)`);
        }
        const go = o.yes || (ui.interactive ? await askYesNo(ui, `Apply to ${pending.length} host(s)? [y/N] `) : null);
        if (go === null) throw new UserError(`${pending.length} host(s) would change and there is no terminal to ask`, 'review `dom0up plan`, then run again with --yes');
        if (go) for (const p of plans) if (p.outcome !== 'pending') board().finish(p.target.name, p.ok, p.message, stateOf(p));
        return go;
      },
    });
  } finally {
    planBoard.stop();
    (applyBoard as Board | null)?.stop();
  }
  if (o.json) {
    ui.json({
      hosts: results.map((r) => ({ host: r.display, name: r.target.name, outcome: r.outcome, ok: r.ok, message: r.message, durationMs: r.durationMs, log: r.logPath, ...notesJson(r.target), ...(r.report ? { report: reportJson(r.report) } : { plan: r.plan }) })),
      summary: summarize(results),
    });
  } else ui.print(renderFleetSummary(results, ui.out));
  const sig = processInterruptSignal();
  if (sig?.aborted) return interruptExitCode(interruptName(sig));
  return notOk(results);
}

/** dom0up apply PLAN.json: every host of the reviewed plan, exactly as reviewed. */
export async function applySavedCli(ui: Ui, o: { file: string; ssh: SshCliOptions; identityOrInventory: string[]; forks: number; serial: string; maxFail: string; json: boolean; yes: boolean; breakLock: boolean; rebootTimeoutS?: number }): Promise<number> {
  const { readPlanFile } = await import('./review.js');
  const file = await readPlanFile(o.file);
  const split = splitIdentities(o.identityOrInventory);
  if (split.inventories.length) throw new UserError('apply PLAN.json takes its hosts from the plan; -i is for key files here', 'give the key with -i KEYFILE, or leave the inventory out');
  const ssh: SshCliOptions = withAsk(ui, { ...o.ssh, identity: [...(o.ssh.identity ?? []), ...split.identities] });
  if (!file.hosts.length) throw new UserError(`${o.file}: the plan has no hosts`, 'make it again with dom0up plan HOSTS --out PLAN.json');
  const saved = new Map<Target, SavedHost>();
  const targets = file.hosts.map((h) => {
    const t: Target = { name: h.name, destination: h.destination, ssh, req: h.request, notes: [] };
    saved.set(t, h);
    return t;
  });
  const { serial, maxFail } = batchCounts(o, targets.length);
  return rolloutCli(ui, targets, { mode: file.mode, forks: o.forks, serial, maxFail, breakLock: o.breakLock, ...(o.rebootTimeoutS !== undefined ? { rebootTimeoutS: o.rebootTimeoutS } : {}), json: o.json, yes: o.yes, open: (t) => openHost(t.destination, t.ssh), saved, savedSource: o.file });
}

/**
 * Connection settings of the inventory that dom0up ignores: said once per setting, with the hosts
 * it concerns (a group variable would otherwise repeat for every host of the group). Refusals are
 * the hosts' results.
 */
export function reportConnectionNotes(ui: Ui, targets: Target[]): void {
  const byNote = new Map<string, string[]>();
  for (const t of targets) for (const n of t.notes) byNote.set(n, [...(byNote.get(n) ?? []), t.name]);
  for (const [note, hosts] of byNote) {
    const shown = hosts.length === targets.length && targets.length > 1 ? `all ${hosts.length} hosts` : hosts.length > 5 ? `${hosts.slice(0, 5).join(', ')} and ${hosts.length - 5} more` : hosts.join(', ');
    ui.note(`${ui.err.yellow('note:')} ${note} (${shown})`);
  }
}

/** The board's state for a finished host. */
function stateOf(r: HostResult): 'ok' | 'fail' | 'skip' {
  if (r.outcome === 'skipped' || r.outcome === 'cancelled') return 'skip';
  return r.ok ? 'ok' : 'fail';
}

/** The planning round on a board. */
function planHooks(board: Board) {
  return {
    onPlanStart: (t: Target) => board.begin(t.name, 'plan'),
    onPlanDone: (r: HostResult) => board.finish(r.target.name, r.ok, r.message, r.ok ? 'ok' : 'fail'),
  };
}

/** `notes` for a host's JSON entry, when it has any. */
function notesJson(t: Target): { connectionNotes?: string[] } {
  return t.notes.length ? { connectionNotes: t.notes } : {};
}

function summarize(results: HostResult[]) {
  const count = (f: (r: HostResult) => boolean) => results.filter(f).length;
  return {
    hosts: results.length,
    verified: count((r) => r.outcome === 'verified'),
    unchanged: count((r) => r.outcome === 'unchanged'),
    failed: count((r) => ['failed', 'error', 'xen-boot-failed', 'verify-failed'].includes(r.outcome)),
    refused: count((r) => r.outcome === 'refused'),
    unreachable: count((r) => r.outcome === 'unreachable'),
    skipped: count((r) => r.outcome === 'skipped'),
  };
}

/** Runs `fn` on every target (at most `forks` at once) over its own connection; a user-facing failure becomes the row's error. */
async function eachHost<T>(ui: Ui, title: string, json: boolean, targets: Target[], forks: number, open: (t: Target) => ReturnType<typeof openHost>, fn: (transport: Awaited<ReturnType<typeof openHost>>['transport'], t: Target) => Promise<T>, ok: (v: T) => boolean = () => true): Promise<{ t: Target; display: string; value: T | null; error: string | null }[]> {
  const slots = new Slots(forks);
  const board = new Board(ui, targets.map((t) => t.name), { json, title, quietPlain: true });
  try {
    return await Promise.all(targets.map((t) => eachOne(t).then((r) => {
      board.finish(t.name, r.error === null && r.value !== null && ok(r.value), r.error ?? '');
      return r;
    })));
  } finally {
    board.stop();
  }
  async function eachOne(t: Target): Promise<{ t: Target; display: string; value: T | null; error: string | null }> {
    if (t.refusal !== undefined) return { t, display: t.name, value: null, error: `connection settings: ${t.refusal}` };
    await slots.acquire();
    board.begin(t.name, title);
    try {
      const { transport } = await open(t);
      try {
        return { t, display: transport.target, value: await fn(transport, t), error: null };
      } finally {
        await transport.close();
      }
    } catch (e) {
      const uf = userFacing(e);
      if (!uf) throw e;
      return { t, display: t.destination, value: null, error: uf.message };
    } finally {
      slots.release();
    }
  }
}

async function fleetFacts(ui: Ui, targets: Target[], o: FleetCliOptions, open: (t: Target) => ReturnType<typeof openHost>): Promise<number> {
  const rows = (await eachHost(ui, 'facts', o.json, targets, o.forks, open, (transport) => readHostFacts(transport))).map((r) => ({ ...r, facts: r.value }));
  if (o.json) ui.json({ hosts: rows.map((r) => ({ host: r.display, name: r.t.name, ...notesJson(r.t), ...(r.facts ? { facts: factsJson(r.facts) } : { error: r.error }) })) });
  else for (const r of rows) ui.print(r.facts ? renderFacts(r.display, r.facts, ui.out) : `${ui.out.bold(visible(r.display))}: ${ui.out.red(r.t.refusal !== undefined ? 'refused' : 'unreachable')} — ${visible(r.error ?? '')}\n`);
  return Math.min(100, rows.filter((r) => r.error).length);
}

async function fleetVerify(ui: Ui, targets: Target[], o: FleetCliOptions, open: (t: Target) => ReturnType<typeof openHost>): Promise<number> {
  const rows = (await eachHost(ui, 'verify', o.json, targets, o.forks, open, async (transport, t) => {
    const f = await readHostFacts(transport, 'verify', { waitForXlS: 30 });
    return (await verifyRunning(transport, f, t.req)).rep;
  }, (rep) => rep.ok)).map((r) => ({ ...r, rep: r.value }));
  if (o.json) ui.json({ hosts: rows.map((r) => ({ host: r.display, name: r.t.name, ...notesJson(r.t), ...(r.rep ? { ok: r.rep.ok, checks: r.rep.checks, notXen: r.rep.notXen } : { ok: false, error: r.error }) })) });
  else {
    for (const r of rows) {
      ui.print(`${ui.out.bold(visible(r.display))}: ${r.rep ? (r.rep.ok ? ui.out.green('verified') : ui.out.red('does not match')) : ui.out.red(`${r.t.refusal !== undefined ? 'refused' : 'unreachable'} — ${visible(r.error ?? '')}`)}\n`);
      if (r.rep && !r.rep.ok) ui.print(renderChecks(r.rep, ui.out));
    }
  }
  return Math.min(100, rows.filter((r) => !r.rep?.ok).length);
}
