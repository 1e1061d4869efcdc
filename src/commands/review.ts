/**
 * Reviewed plans: `plan … --out PLAN.json` (from live hosts or `--facts DIR`), `show PLAN.json`,
 * `apply PLAN.json` (exactly that plan, refused on a host whose files or facts changed), and
 * `facts … --save DIR`. Plans and facts are JSON files (docs/review.md).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError, userFacing } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { Ui } from '../ui/io.js';
import { openHost, type SshCliOptions } from '../remote/connect.js';
import { readHostFacts } from '../apply/waits.js';
import { makePlan } from '../plan/make-plan.js';
import type { PlanMode, ProvisionRequest } from '../plan/plan.js';
import { planContextFor } from '../remote/plan-context.js';
import { resolveTargets, splitIdentities, type Target } from '../fleet/targets.js';
import { Slots } from '../fleet/pool.js';
import { buildPlanFile, factsFileName, parsePlanFile, parseSavedFacts, planInputs, serializeFacts, type SavedHost, type SavedPlanFile } from '../plan/saved-plan.js';
import { DOM0UP_VERSION } from '../version.js';
import { renderPlan } from '../ui/render-remote.js';
import { renderPlansMarkdown, type MarkdownHost } from '../ui/render-markdown.js';
import type { HostFacts } from '../facts/index.js';

export type PlanFormat = 'text' | 'markdown' | 'json';

export interface ReviewPlanOptions {
  hosts: string[];
  identityOrInventory: string[];
  inventories: string[];
  limit?: string;
  forks: number;
  ssh: SshCliOptions;
  req: ProvisionRequest;
  mode: PlanMode;
  out?: string;
  factsDir?: string;
  format: PlanFormat;
  fullDiff: boolean;
  detailedExitcode: boolean;
}

interface Planned {
  name: string;
  destination: string;
  saved: SavedHost | null;
  error: string | null;
}

/** Writes a local file atomically (temp file beside it, then rename); never through a symlink. */
async function writeLocal(file: string, text: string): Promise<void> {
  const st = await fs.lstat(file).catch(() => null);
  if (st?.isSymbolicLink()) throw new UserError(`${file} is a symbolic link; dom0up does not write through it`, 'give a plain file name');
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.dom0up-${process.pid}-${Date.now()}`);
  await fs.writeFile(tmp, text, { flag: 'wx', mode: 0o644 });
  await fs.rename(tmp, file);
}

async function loadSavedFactsDir(dir: string, names: string[]): Promise<{ name: string; destination: string; hostKey: string | null; facts: HostFacts }[]> {
  let entries: string[];
  try {
    entries = (await fs.readdir(dir)).filter((e) => e.endsWith('.facts.json')).sort();
  } catch {
    throw new UserError(`--facts ${dir}: cannot read the directory`, 'give the directory written by dom0up facts HOSTS --save DIR');
  }
  const all = [];
  for (const e of entries) {
    const s = parseSavedFacts(await fs.readFile(path.join(dir, e), 'utf8'), path.join(dir, e));
    all.push({ name: s.name, destination: s.destination, hostKey: s.hostKey, facts: s.facts });
  }
  const chosen = names.length ? all.filter((h) => names.includes(h.name) || names.includes(h.destination)) : all;
  if (!chosen.length) throw new UserError(`--facts ${dir}: no saved facts${names.length ? ` for ${names.join(', ')}` : ''}`, 'save them with dom0up facts HOSTS --save DIR');
  return chosen;
}

async function targetsOf(o: Pick<ReviewPlanOptions, 'hosts' | 'identityOrInventory' | 'inventories' | 'limit' | 'ssh' | 'req'>): Promise<Target[]> {
  const split = splitIdentities(o.identityOrInventory);
  return resolveTargets({ hosts: o.hosts, inventories: [...split.inventories, ...o.inventories], ...(o.limit !== undefined ? { limit: o.limit } : {}), ssh: { ...o.ssh, identity: [...(o.ssh.identity ?? []), ...split.identities] }, req: o.req });
}

/** Runs `fn` for each target over its own connection, at most `forks` at once. */
async function eachLive<T>(targets: Target[], forks: number, fn: (t: Target, facts: HostFacts, display: string, hostKey: string | null) => Promise<T>): Promise<{ t: Target; value: T | null; error: string | null }[]> {
  const slots = new Slots(forks);
  return Promise.all(targets.map(async (t) => {
    if (t.refusal !== undefined) return { t, value: null, error: `connection settings: ${t.refusal}` };
    await slots.acquire();
    try {
      const { transport } = await openHost(t.destination, t.ssh);
      try {
        const f = await readHostFacts(transport);
        return { t, value: await fn(t, f, transport.target, transport.hostKeySha256 ?? null), error: null };
      } finally {
        await transport.close();
      }
    } catch (e) {
      const uf = userFacing(e);
      if (!uf) throw e;
      return { t, value: null, error: uf.message };
    } finally {
      slots.release();
    }
  }));
}

function planned(name: string, destination: string, hostKey: string | null, f: HostFacts, req: ProvisionRequest, mode: PlanMode, pc: Awaited<ReturnType<typeof planContextFor>>): Planned {
  const plan = makePlan(f, req, mode, destination, pc);
  return { name, destination, saved: { name, destination, hostKey, request: req, planContext: pc, inputs: planInputs(f), plan }, error: null };
}

export function renderPlanned(ui: Ui, hosts: MarkdownHost[], format: PlanFormat, fullDiff: boolean, json: unknown): void {
  if (format === 'json') ui.json(json);
  else if (format === 'markdown') ui.print(renderPlansMarkdown(hosts, { fullDiff }));
  else for (const h of hosts) ui.print(h.plan ? renderPlan(h.plan, ui.out, { fullDiff }) : `${ui.out.bold(h.name)}: ${ui.out.red('no plan')} — ${h.error}\n`);
}

/** dom0up plan with --out, --facts or --format. */
export async function reviewPlanCli(ui: Ui, o: ReviewPlanOptions): Promise<number> {
  let list: Planned[];
  if (o.factsDir) {
    const saved = await loadSavedFactsDir(o.factsDir, o.hosts);
    list = await Promise.all(saved.map(async (s) => planned(s.name, s.destination, s.hostKey, s.facts, o.req, o.mode, await planContextFor(s.facts, o.req, ui.streams.env, o.mode))));
  } else {
    const targets = await targetsOf(o);
    const rows = await eachLive(targets, o.forks, async (t, f, display, hostKey) => planned(t.name, t.destination, hostKey, f, t.req, o.mode, await planContextFor(f, t.req, ui.streams.env, o.mode)));
    list = rows.map((r) => r.value ?? { name: r.t.name, destination: r.t.destination, saved: null, error: r.error });
  }
  const file: SavedPlanFile = buildPlanFile({ version: DOM0UP_VERSION, now: new Date(), mode: o.mode, source: o.factsDir ? 'saved-facts' : 'hosts', hosts: list.flatMap((p) => (p.saved ? [p.saved] : [])) });
  if (o.out) {
    await writeLocal(o.out, JSON.stringify(file, null, 1) + '\n');
    ui.note(`wrote ${o.out}: ${file.hosts.length} host(s)${list.some((p) => !p.saved) ? `, ${list.filter((p) => !p.saved).length} without a plan` : ''}; review it with dom0up show ${o.out} --format markdown, apply it with dom0up apply ${o.out}`);
  }
  const hosts: MarkdownHost[] = list.map((p) => ({ name: p.name, destination: p.destination, plan: p.saved?.plan ?? null, ...(p.error ? { error: p.error } : {}) }));
  if (!o.out || o.format !== 'text') renderPlanned(ui, hosts, o.format, o.fullDiff, o.format === 'json' ? file : null);
  const bad = list.filter((p) => !p.saved || p.saved.plan.refusals.length).length;
  if (bad) return Math.min(100, bad);
  return o.detailedExitcode && list.some((p) => p.saved?.plan.changed) ? EXIT.changes : EXIT.ok;
}

/** dom0up show PLAN.json */
export async function showCli(ui: Ui, o: { file: string; format: PlanFormat; fullDiff: boolean }): Promise<number> {
  const p = await readPlanFile(o.file);
  renderPlanned(ui, p.hosts.map((h) => ({ name: h.name, destination: h.destination, plan: h.plan })), o.format, o.fullDiff, p);
  return EXIT.ok;
}

export async function readPlanFile(file: string): Promise<SavedPlanFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new UserError(`${file}: cannot read the plan`, 'give the file written by dom0up plan --out');
  }
  return parsePlanFile(text, DOM0UP_VERSION, file);
}

/** Is this positional a saved plan (an existing file in the plan format)? */
export async function isPlanFile(arg: string): Promise<boolean> {
  if (!arg.endsWith('.json')) return false;
  try {
    const fd = await fs.open(arg, 'r');
    try {
      const { bytesRead, buffer } = await fd.read(Buffer.alloc(256), 0, 256, 0);
      return buffer.subarray(0, bytesRead).toString('utf8').includes('"dom0up-plan"');
    } finally {
      await fd.close();
    }
  } catch {
    return false;
  }
}

/** dom0up facts … --save DIR */
export async function factsSaveCli(ui: Ui, o: { hosts: string[]; identityOrInventory: string[]; inventories: string[]; limit?: string; forks: number; ssh: SshCliOptions; dir: string }): Promise<number> {
  await fs.mkdir(o.dir, { recursive: true, mode: 0o755 });
  const targets = await targetsOf({ ...o, req: {} });
  const rows = await eachLive(targets, o.forks, async (t, f, display, hostKey) => {
    const file = path.join(o.dir, factsFileName(t.name));
    await writeLocal(file, serializeFacts({ dom0up: DOM0UP_VERSION, savedAt: new Date().toISOString(), name: t.name, destination: t.destination, hostKey, facts: f }) + '\n');
    return file;
  });
  for (const r of rows) ui.note(r.value ? `${r.t.name}: ${r.value}` : `${r.t.name}: ${ui.err.red('not saved')} — ${r.error}`);
  return Math.min(100, rows.filter((r) => !r.value).length);
}

