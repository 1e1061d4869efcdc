/** Glue for the `grub` commands: run the command, hand the result to the UI, pick the exit code. */
import type { Ui } from '../ui/io.js';
import { colorDiff, renderFindings, renderGrubView } from '../ui/render-grub.js';
import { grubApply, grubPlan, grubShow, type GrubApplyOptions, type GrubPlanResult, type GrubRewriteOptions } from './grub.js';
import { EXIT } from '../exit-codes.js';
import { visible } from '../ui/escape.js';

const stdinOf = (ui: Ui) => (ui.streams.stdin ? { stdin: ui.streams.stdin } : {});
const label = (file: string) => (file === '-' ? '<stdin>' : file);

export async function grubShowCli(ui: Ui, o: { file: string; json: boolean }): Promise<number> {
  const { view } = await grubShow({ ...o, ...stdinOf(ui) });
  if (o.json) ui.json(view);
  else {
    ui.print(renderGrubView(label(o.file), view, ui.out));
    if (view.findings.length) ui.print('\n' + renderFindings(label(o.file), view.findings, ui.out));
  }
  return EXIT.ok;
}

export async function grubLintCli(ui: Ui, o: { file: string; json: boolean }): Promise<number> {
  const { view } = await grubShow({ ...o, ...stdinOf(ui) });
  if (o.json) ui.json({ file: o.file, findings: view.findings });
  else ui.print(renderFindings(label(o.file), view.findings, ui.out));
  return view.findings.some((f) => f.severity === 'error') ? EXIT.error : EXIT.ok;
}

function planJson(file: string, p: GrubPlanResult) {
  const e = p.rewrite.after.entries[p.rewrite.entryIndex]!;
  return {
    file,
    changed: p.rewrite.changed,
    action: p.rewrite.action,
    kernel: p.rewrite.kernelVersion,
    entry: { index: e.index, title: e.title, line: e.line, hypervisor: e.kernel, modules: e.modules.map((m) => ({ path: m.path, args: m.args })) },
    hypervisorArgs: p.rewrite.hypervisorArgs,
    usesDefaults: p.hypervisor.usesDefaults,
    boots: { before: p.rewrite.previousBootIndex, after: p.rewrite.after.bootIndex() },
    diff: p.diff,
    warnings: p.hypervisor.warnings,
    keptProblems: p.keptProblems,
    notes: p.rewrite.notes,
    findings: p.rewrite.after.findings,
  };
}

function summarize(ui: Ui, file: string, p: GrubPlanResult): void {
  const r = p.rewrite;
  const e = r.after.entries[r.entryIndex]!;
  for (const w of p.hypervisor.warnings) ui.note(`${ui.err.yellow('warning')}: ${w.message}`);
  for (const n of r.notes) ui.note(`note: ${visible(n)}`);
  for (const k of p.keptProblems) ui.note(`${ui.err.yellow('warning')}: the hypervisor line already had: ${visible(k)}`);
  if (p.hypervisor.usesDefaults && r.action !== 'updated' && r.action !== 'unchanged') {
    ui.note(`note: no Dom0 options given: using dom0_mem=1024M,max:1024M dom0_max_vcpus=2 dom0_vcpus_pin`);
  }
  const title = visible(e.title.trimEnd());
  const what = {
    converted: `converts entry ${e.index} "${title}" into a Xen entry`,
    added: `adds Xen entry ${e.index} "${title}" and keeps the plain one`,
    updated: `updates the hypervisor line of Xen entry ${e.index} "${title}"`,
    unchanged: `Xen entry ${e.index} "${title}" already matches: nothing to change`,
  }[r.action];
  ui.note(`${visible(label(file))}: ${what} (dom0 kernel ${visible(r.kernelVersion)}; GRUB boots ${r.after.bootIndex()})`);
}

export async function grubPlanCli(ui: Ui, o: GrubRewriteOptions & { json: boolean; detailedExitcode: boolean }): Promise<number> {
  const p = await grubPlan({ ...o, ...stdinOf(ui) });
  if (o.json) ui.json(planJson(o.file, p));
  else {
    summarize(ui, o.file, p);
    // on a terminal the diff is escaped like all host text; into a pipe or a file it is the exact
    // bytes (in the file's own encoding), so git apply / patch take it
    if (p.diff) ui.print(ui.stdoutIsTerminal ? colorDiff(p.diff, ui.out) : Buffer.from(colorDiff(p.diff, ui.out, { escape: false }), p.input.encoding));
  }
  return o.detailedExitcode && p.rewrite.changed ? EXIT.changes : EXIT.ok;
}

export async function grubApplyCli(ui: Ui, o: GrubApplyOptions & { json: boolean }): Promise<number> {
  const r = await grubApply({ ...o, ...stdinOf(ui) });
  if (r.stdout) {
    if (!o.json) summarize(ui, o.file, r);
    // the file itself: exact bytes into a pipe or a file, escaped on a terminal
    ui.print(ui.stdoutIsTerminal ? r.rewrite.after.text : r.stdout);
    return EXIT.ok;
  }
  if (o.json) {
    ui.json({ ...planJson(o.file, r), written: r.written, backup: r.write?.backupPath ?? null, pruned: r.write?.pruned ?? [], warnings: [...r.hypervisor.warnings, ...(r.write?.warnings ?? [])] });
    return EXIT.ok;
  }
  summarize(ui, o.file, r);
  for (const w of r.write?.warnings ?? []) ui.note(`${ui.err.yellow('warning')}: ${w}`);
  if (r.written === null) ui.note('nothing written');
  else {
    ui.note(`wrote ${r.written}${r.write?.backupPath ? ` (previous version kept as ${r.write.backupPath})` : ''}`);
    for (const f of r.write?.pruned ?? []) ui.note(`removed old backup ${f}`);
  }
  return EXIT.ok;
}
