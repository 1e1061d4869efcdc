/**
 * Saved plans (`dom0up plan … --out PLAN.json`, `dom0up apply PLAN.json`) and saved facts
 * (`dom0up facts … --save DIR`, `dom0up plan --facts DIR`). Pure: the formats, their checks, and
 * how a live plan is compared with a reviewed one. A reviewed plan is applied only when the host's
 * facts still give exactly that plan (the same steps, the same bytes); anything else is refused,
 * naming the files and facts that changed.
 */
import { createHash } from 'node:crypto';
import type { HostFacts } from '../facts/index.js';
import type { FileStep, Plan, PlanMode, ProvisionRequest } from './plan.js';
import { makePlan, type PlanContext } from './make-plan.js';

export const PLAN_FORMAT = 'dom0up-plan';
export const PLAN_FORMAT_VERSION = 1;
export const FACTS_FORMAT = 'dom0up-facts';
export const FACTS_FORMAT_VERSION = 1;

/** What the plan read from the host, as hashes: files by sha256, facts by their values. */
export interface PlanInputs {
  files: Record<string, string | null>;
  facts: Record<string, string>;
}

export interface SavedHost {
  /** Inventory name or the host as given. */
  name: string;
  /** What dom0up connects to (user@host[:port] or an ssh_config alias). */
  destination: string;
  /** The host key seen when the facts were read ("SHA256:…"): apply refuses another machine. */
  hostKey: string | null;
  request: ProvisionRequest;
  planContext: PlanContext;
  inputs: PlanInputs;
  plan: Plan;
}

export interface SavedPlanFile {
  format: typeof PLAN_FORMAT;
  version: number;
  dom0up: string;
  createdAt: string;
  mode: PlanMode;
  /** Where the facts came from: live hosts, or a directory of saved facts. */
  source: 'hosts' | 'saved-facts';
  hosts: SavedHost[];
}

export class SavedPlanError extends Error {
  override readonly name = 'UserError';
  constructor(message: string, readonly hint?: string, readonly exitCode = 1) {
    super(message);
  }
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The hashes of what a plan depends on (file contents and the facts makePlan reads). */
export function planInputs(f: HostFacts): PlanInputs {
  const files: Record<string, string | null> = {};
  if (f.grub.realPath) files[f.grub.realPath] = f.grub.bytes ? sha(f.grub.bytes) : null;
  for (const m of Object.values(f.files.managed)) files[m.realPath] = m.sha256;
  const facts: Record<string, string> = {
    os: f.os.text ?? '',
    kernel: `${f.kernel.release} ${f.kernel.arch}`,
    'boot id': f.kernel.bootId,
    hypervisor: `${f.hypervisor.dom0 ? 'dom0' : f.hypervisor.capabilities === null ? 'none' : 'domU'} ${f.hypervisor.firmware}`,
    'xen command line': f.xl ? sha(f.xl.xlInfo.text.match(/^xen_commandline\s*:\s?(.*)$/m)?.[1] ?? '') : '',
    packages: sha(JSON.stringify(Object.entries(f.packages.installed).sort())),
    '/boot files': sha(JSON.stringify([...f.boot.files].sort())),
    '/boot': `${f.boot.separate ? 'separate' : 'part of /'}`,
    'stage2 word': String(f.boot.stage2Saved ?? 'none'),
    'grub.conf path': f.grub.realPath ?? '',
    'memory and CPUs': `${f.resources.memTotalMiB ?? '?'} MiB ${f.resources.cpus}`,
    'fstab root': f.fstab.rootDevice ?? '',
    'xen4centos helper': String(f.files.xenHelper),
    directories: sha(JSON.stringify([...f.files.dirs].sort())),
  };
  return { files, facts };
}

/** What the steps do, as data to compare: every file step's bytes and every action. */
function stepKey(p: Plan): string[] {
  return p.steps.map((s) => {
    if (s.kind === 'file') return JSON.stringify([s.id, s.action, s.path, s.beforeSha256, s.afterSha256, s.predicted ? sha(s.predicted.after) : null, s.mkdirs]);
    if (s.kind === 'command') return JSON.stringify([s.id, s.action, s.command]);
    if (s.kind === 'one-shot') return JSON.stringify([s.id, s.action, s.index]);
    if (s.kind === 'reboot') return JSON.stringify([s.id, s.action, s.once]);
    return JSON.stringify([s.id, s.action, s.when, s.expect]);
  });
}

/**
 * Why a live plan is not the reviewed one (empty: it is): the files and facts that changed, and
 * the steps that would differ.
 */
export function compareWithSaved(saved: SavedHost, live: Plan, liveInputs: PlanInputs): string[] {
  const out: string[] = [];
  for (const [path, h] of Object.entries(saved.inputs.files)) {
    const now = liveInputs.files[path];
    if (now === undefined && h !== null) out.push(`${path} is gone`);
    else if (now !== undefined && now !== h) out.push(`${path} changed (sha256 ${h?.slice(0, 12) ?? 'absent'}… → ${now?.slice(0, 12) ?? 'absent'}…)`);
  }
  for (const path of Object.keys(liveInputs.files)) if (!(path in saved.inputs.files) && liveInputs.files[path] !== null) out.push(`${path} is new`);
  for (const [k, v] of Object.entries(saved.inputs.facts)) {
    if (k === 'boot id') continue; // a reboot alone does not change the plan; the steps decide
    if (liveInputs.facts[k] !== v) out.push(`${k}: ${short(v)} → ${short(liveInputs.facts[k] ?? '')}`);
  }
  const a = stepKey(saved.plan);
  const b = stepKey(live);
  if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
    const i = a.findIndex((x, j) => x !== b[j]);
    const sa = saved.plan.steps[i];
    const sb = live.steps[i];
    const same = sa && sb && sa.id === sb.id && sa.action === sb.action;
    out.push(same ? `step ${i + 1} (${sa.id} ${sa.action}) would write other bytes than reviewed` : `the plan differs at step ${i + 1}: reviewed ${sa ? `${sa.id} ${sa.action}` : '(none)'}, now ${sb ? `${sb.id} ${sb.action}` : '(none)'}`);
  }
  if (live.refusals.length) out.push(`the host is refused now: ${live.refusals[0]!.message}`);
  return out;
}

function short(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

// ---------------------------------------------------------------- the file formats

export function buildPlanFile(o: { version: string; now: Date; mode: PlanMode; source: SavedPlanFile['source']; hosts: SavedHost[] }): SavedPlanFile {
  return { format: PLAN_FORMAT, version: PLAN_FORMAT_VERSION, dom0up: o.version, createdAt: o.now.toISOString(), mode: o.mode, source: o.source, hosts: o.hosts };
}

/** major.minor must match: a plan's steps are what that version of dom0up would do. */
export function compatibleVersion(planVersion: string, mine: string): boolean {
  const mm = (v: string) => v.split('.').slice(0, 2).join('.');
  return mm(planVersion) === mm(mine);
}

/** Reads a plan file (refuses other formats, other format versions and other dom0up versions). */
export function parsePlanFile(text: string, mine: string, label = 'the plan'): SavedPlanFile {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new SavedPlanError(`${label} is not JSON: ${(e as Error).message}`, 'give a file written by dom0up plan --out');
  }
  const p = j as Partial<SavedPlanFile>;
  if (!p || typeof p !== 'object' || p.format !== PLAN_FORMAT) throw new SavedPlanError(`${label} is not a dom0up plan (no "format": "${PLAN_FORMAT}")`, 'give a file written by dom0up plan --out');
  if (p.version !== PLAN_FORMAT_VERSION) throw new SavedPlanError(`${label} has format version ${String(p.version)}; this dom0up reads version ${PLAN_FORMAT_VERSION}`, 'make the plan again with this dom0up');
  if (typeof p.dom0up !== 'string' || !compatibleVersion(p.dom0up, mine)) throw new SavedPlanError(`${label} was made by dom0up ${String(p.dom0up)}; this is dom0up ${mine}: its steps may differ`, 'make the plan again with this dom0up');
  if (p.mode !== 'apply' && p.mode !== 'tune') throw new SavedPlanError(`${label} has no valid mode`, 'make the plan again');
  if (!Array.isArray(p.hosts) || p.hosts.some((h) => !h || typeof h.name !== 'string' || typeof h.destination !== 'string' || !h.plan || !Array.isArray(h.plan.steps))) throw new SavedPlanError(`${label} has no valid host list`, 'make the plan again');
  for (const h of p.hosts) {
    // the bytes a step writes must be the bytes its hash names (a hand-edited plan is refused)
    for (const s of h.plan.steps) {
      if (s.kind !== 'file' || s.after === null) continue;
      const fs = s as FileStep;
      if (fs.afterSha256 !== sha(Buffer.from(fs.after as string, fs.encoding))) throw new SavedPlanError(`${label}: host ${h.name}, step ${fs.id}: the content does not match its sha256 (the file was edited)`, 'make the plan again; review it unchanged');
    }
  }
  return p as SavedPlanFile;
}

/** Saved facts of one host: HostFacts as JSON, every Buffer as {"$base64": …}. */
export interface SavedFacts {
  format: typeof FACTS_FORMAT;
  version: number;
  dom0up: string;
  savedAt: string;
  name: string;
  destination: string;
  hostKey: string | null;
  facts: HostFacts;
}

export function serializeFacts(s: Omit<SavedFacts, 'format' | 'version'>): string {
  return JSON.stringify({ format: FACTS_FORMAT, version: FACTS_FORMAT_VERSION, ...s }, (_k, v: unknown) => {
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) return { $base64: Buffer.from((v as { data: number[] }).data).toString('base64') };
    return v;
  }, 1);
}

export function parseSavedFacts(text: string, label: string): SavedFacts {
  let j: Partial<SavedFacts>;
  try {
    j = JSON.parse(text, (_k, v: unknown) => (v && typeof v === 'object' && typeof (v as { $base64?: unknown }).$base64 === 'string' ? Buffer.from((v as { $base64: string }).$base64, 'base64') : v)) as Partial<SavedFacts>;
  } catch (e) {
    throw new SavedPlanError(`${label} is not JSON: ${(e as Error).message}`, 'save the facts again with dom0up facts HOST --save DIR');
  }
  if (j.format !== FACTS_FORMAT || j.version !== FACTS_FORMAT_VERSION) throw new SavedPlanError(`${label} is not dom0up facts (format ${FACTS_FORMAT} version ${FACTS_FORMAT_VERSION})`, 'save the facts again with dom0up facts HOST --save DIR');
  if (typeof j.dom0up !== 'string' || typeof j.name !== 'string' || typeof j.destination !== 'string' || !j.facts || typeof j.facts !== 'object') throw new SavedPlanError(`${label} is incomplete`, 'save the facts again');
  const f = j.facts as HostFacts;
  if (!f.kernel || !f.grub || !f.files || !f.boot || !f.state || !f.fstab) throw new SavedPlanError(`${label} lacks facts this dom0up needs (saved by dom0up ${j.dom0up})`, 'save the facts again with this dom0up');
  return j as SavedFacts;
}

/** A file name for a host's saved facts (no path separators, no dot files). */
export function factsFileName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9._@-]+/g, '_').replace(/^\.+/, '_')}.facts.json`;
}

/** The live check for a host of a saved plan: the same machine, and facts that give the same plan. */
export function checkSavedHost(saved: SavedHost, f: HostFacts, hostKey: string | null, mode: PlanMode): string[] {
  const why: string[] = [];
  if (saved.hostKey && hostKey && saved.hostKey !== hostKey) why.push(`the host key is ${hostKey}, the plan was made for ${saved.hostKey} (another machine)`);
  const live = makePlan(f, saved.request, mode, saved.destination, saved.planContext);
  why.push(...compareWithSaved(saved, live, planInputs(f)));
  return why;
}
