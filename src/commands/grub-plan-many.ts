/**
 * dom0up grub plan FILE FILE… [--format markdown]: the review of several grub.conf files at once
 * (a repository that keeps them, a pre-commit hook). Each file's diff is labelled with its own
 * path, so the concatenated diff applies with `git apply`; --detailed-exitcode is over all files
 * (1 when any file cannot be planned, else 2 when any would change). A file that cannot be planned
 * is reported and the others still are.
 */
import { userFacing } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { Ui } from '../ui/io.js';
import { colorDiff } from '../ui/render-grub.js';
import { grubPlan, type GrubPlanResult, type GrubRewriteOptions } from './grub.js';

export interface GrubPlanManyOptions extends Omit<GrubRewriteOptions, 'file' | 'label'> {
  files: string[];
  format: 'text' | 'markdown' | 'json';
  detailedExitcode: boolean;
}

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}diff\n${text.endsWith('\n') ? text : text + '\n'}${f}`;
}

const cell = (s: string) => s.replace(/[|\r\n]/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function grubPlanManyCli(ui: Ui, o: GrubPlanManyOptions): Promise<number> {
  const results: { file: string; plan: GrubPlanResult | null; error: string | null }[] = [];
  for (const file of o.files) {
    try {
      results.push({ file, plan: await grubPlan({ ...o, file, label: file.replace(/^\/+/, '') }), error: null });
    } catch (e) {
      const uf = userFacing(e);
      if (!uf) throw e;
      results.push({ file, plan: null, error: uf.message + (uf.hint ? ` (${uf.hint})` : '') });
    }
  }
  if (o.format === 'json') {
    ui.json({ files: results.map((r) => (r.plan ? { file: r.file, changed: r.plan.rewrite.changed, action: r.plan.rewrite.action, kernel: r.plan.rewrite.kernelVersion, hypervisorArgs: r.plan.rewrite.hypervisorArgs, boots: { before: r.plan.rewrite.previousBootIndex, after: r.plan.rewrite.after.bootIndex() }, diff: r.plan.diff } : { file: r.file, error: r.error })) });
  } else if (o.format === 'markdown') {
    const L = ['### dom0up grub plan', '', '| file | result | Xen entry |', '|---|---|---|'];
    for (const r of results) {
      if (!r.plan) L.push(`| \`${cell(r.file)}\` | refused: ${cell(r.error ?? '')} | |`);
      else L.push(`| \`${cell(r.file)}\` | ${r.plan.rewrite.changed ? r.plan.rewrite.action : 'nothing to change'} | ${cell(r.plan.rewrite.kernelVersion)}: \`${cell(r.plan.rewrite.hypervisorArgs)}\` |`);
    }
    L.push('');
    for (const r of results) if (r.plan?.diff) L.push(`<details><summary>${cell(r.file)}</summary>`, '', fence(r.plan.diff), '', '</details>', '');
    ui.print(L.join('\n') + '\n');
  } else {
    for (const r of results) {
      if (!r.plan) ui.note(`${r.file}: ${ui.err.red('refused')}: ${r.error}`);
      else {
        ui.note(`${r.file}: ${r.plan.rewrite.changed ? `${r.plan.rewrite.action} (dom0 kernel ${r.plan.rewrite.kernelVersion}; GRUB boots ${r.plan.rewrite.after.bootIndex()})` : 'nothing to change'}`);
        if (r.plan.diff) ui.print(Buffer.from(colorDiff(r.plan.diff, ui.out), r.plan.input.encoding));
      }
    }
  }
  if (results.some((r) => !r.plan)) return EXIT.error;
  return o.detailedExitcode && results.some((r) => r.plan!.rewrite.changed) ? EXIT.changes : EXIT.ok;
}
