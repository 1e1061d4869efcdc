/**
 * The run journal on the host (/var/lib/dom0up/runs/RUN/): what the host was before a run's
 * first change, and each step as it happened. Pure: the types, how meta.json is built from the
 * facts and the plan, and how the step records read back.
 */
import { createHash } from 'node:crypto';
import type { HostFacts } from '../facts/index.js';
import type { BootState, FileStep, Plan } from '../plan/plan.js';

export const JOURNAL_VERSION = 1;

/** A file as it was before the run. */
export interface PreRunFile {
  /** The real file (every symlink resolved). */
  path: string;
  /** The name that leads to it, when that is a symlink. */
  via?: string;
  existed: boolean;
  sha256: string | null;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  context: string | null;
  /** The copy in the run's directory (files/N), when it existed. */
  copy: string | null;
}

export interface RunMeta {
  version: number;
  run: string;
  command: string;
  controller: string;
  dom0up: string;
  startedAt: string;
  /** The host before the run: what GRUB boots next and what runs. */
  boot: BootState;
  bootId: string;
  stage2Word: number | null;
  /** The grub.conf GRUB reads (real path), one of `files`. */
  grubConf: string | null;
  files: PreRunFile[];
  /** sha256 of the plan.json recorded beside (a saved plan's id when one was applied). */
  planSha256: string;
  /** The saved plan file this run applied, if any. */
  savedPlan?: string;
}

/** Every file a run may change: its file steps' paths (each once, in plan order). */
export function trackedPaths(plan: Plan, f: HostFacts): { path: string; via?: string; sha256: string | null; mode: number | null; uid: number | null; gid: number | null; context: string | null }[] {
  const seen = new Map<string, ReturnType<typeof trackedPaths>[number]>();
  for (const s of plan.steps) {
    if (s.kind !== 'file' || seen.has(s.path)) continue;
    seen.set(s.path, describe(s, f));
  }
  return [...seen.values()];
}

function describe(s: FileStep, f: HostFacts): ReturnType<typeof trackedPaths>[number] {
  if (f.grub.realPath === s.path) {
    return { path: s.path, sha256: f.grub.bytes ? createHash('sha256').update(f.grub.bytes).digest('hex') : null, mode: f.grub.stat?.mode ?? null, uid: f.grub.stat?.uid ?? null, gid: f.grub.stat?.gid ?? null, context: f.grub.stat?.context ?? null };
  }
  const m = Object.values(f.files.managed).find((x) => x.realPath === s.path) ?? null;
  if (!m) return { path: s.path, sha256: null, mode: null, uid: null, gid: null, context: null };
  return { path: s.path, ...(m.isLink ? { via: m.path } : {}), sha256: m.sha256, mode: m.mode, uid: m.uid, gid: m.gid, context: m.context };
}

export function buildRunMeta(o: { runId: string; command: string; controller: string; version: string; now: Date; plan: Plan; facts: HostFacts; planJson: string; savedPlan?: string }): RunMeta {
  const files = trackedPaths(o.plan, o.facts).map((t, i) => ({
    path: t.path,
    ...(t.via ? { via: t.via } : {}),
    existed: t.sha256 !== null,
    sha256: t.sha256,
    mode: t.mode,
    uid: t.uid,
    gid: t.gid,
    context: t.context,
    copy: t.sha256 !== null ? `files/${i}` : null,
  }));
  return {
    version: JOURNAL_VERSION,
    run: o.runId,
    command: o.command,
    controller: o.controller,
    dom0up: o.version,
    startedAt: o.now.toISOString(),
    boot: o.plan.boot,
    bootId: o.facts.kernel.bootId,
    stage2Word: o.facts.boot.stage2Saved,
    grubConf: o.facts.grub.realPath,
    files,
    planSha256: createHash('sha256').update(o.planJson).digest('hex'),
    ...(o.savedPlan ? { savedPlan: o.savedPlan } : {}),
  };
}

/** One line of a run's `steps` file. */
export interface StepRecord {
  t: string;
  step: string;
  status: 'begin' | 'done' | 'skipped' | 'failed' | 'end';
  detail?: string;
  /** For `end`: the run's outcome. */
  outcome?: string;
}

export function parseStepRecords(text: string | null): StepRecord[] {
  if (!text) return [];
  const out: StepRecord[] = [];
  for (const l of text.split('\n')) {
    if (!l.trim()) continue;
    try {
      const j = JSON.parse(l) as Partial<StepRecord>;
      if (typeof j.step === 'string' && typeof j.status === 'string') out.push(j as StepRecord);
    } catch {
      /* a torn line (power cut): skip */
    }
  }
  return out;
}

export interface PreviousRun {
  runId: string;
  /** The last step it recorded. */
  phase: string;
  finished: boolean;
  outcome?: string;
  error?: string;
}

/** The latest run the host knows, and whether it ended. */
export function previousRun(runs: readonly string[], lastRunSteps: string | null): PreviousRun | null {
  const runId = runs[runs.length - 1];
  if (!runId) return null;
  const recs = parseStepRecords(lastRunSteps);
  const work = recs.filter((r) => r.status !== 'end');
  const last = work[work.length - 1];
  const end = recs.find((r) => r.status === 'end');
  const failed = [...recs].reverse().find((r) => r.status === 'failed');
  return {
    runId,
    phase: last ? last.step : 'begin',
    finished: end !== undefined,
    ...(end?.outcome ? { outcome: end.outcome } : {}),
    ...(failed?.detail ? { error: failed.detail } : end?.outcome === 'failed' && end.detail ? { error: end.detail } : {}),
  };
}

/** Outcomes after which the next run has nothing to pick up. */
export const CLEAN_OUTCOMES = new Set(['verified', 'unchanged', 'rolled-back', 'reboot-pending', 'skipped', 'cancelled']);
