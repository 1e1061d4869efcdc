/**
 * Plans as Markdown for a pull-request comment: a summary table of hosts and what changes, then
 * one collapsible section per host with its steps and diffs. Host text (titles, file contents)
 * only appears inside fenced code blocks, whose fence is made longer than any backtick run in it.
 */
import type { Plan, PlanStep } from '../plan/plan.js';
import { summarizeContent } from './render-remote.js';

export interface MarkdownHost {
  name: string;
  destination?: string;
  plan: Plan | null;
  /** Why there is no plan (unreachable, refused before planning). */
  error?: string;
}

function fence(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}${lang}\n${text.endsWith('\n') ? text : text + '\n'}${f}`;
}

/** Cell text: no pipes, no newlines, no HTML. */
function cell(s: string): string {
  return s.replace(/[|\r\n]/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;').trim();
}

function stepWhat(s: PlanStep): string {
  switch (s.kind) {
    case 'file':
      return s.via ? `${s.via} → ${s.path}` : s.path;
    case 'command':
      return s.command;
    case 'one-shot':
      return s.index !== null ? `boot entry ${s.index} once` : 'boot the Xen entry once';
    case 'reboot':
      return 'reboot';
    case 'verify':
      return s.when === 'before-changes' ? 'verify the running Dom0' : 'verify what booted';
  }
}

const SHORT: Record<string, string> = { repo: 'repo', 'gpg-key': 'key', 'kernel-sysconfig': 'sysconfig/kernel', 'xen-kernel-sysconfig': 'sysconfig/xen-kernel', 'xl-conf': 'xl.conf', grub: 'grub.conf', 'grub-commit': 'grub.conf', 'yum-install': 'yum install xen', 'one-shot': 'one-shot boot', reboot: 'reboot' };

function changesOf(p: Plan): string {
  if (p.refusals.length) return `refused: ${p.refusals[0]!.message}`;
  if (!p.changed) return 'nothing to change';
  return [...new Set(p.steps.filter((s) => s.kind !== 'verify' && s.action !== 'skip').map((s) => SHORT[s.id] ?? s.id))].join(', ');
}

/** The heading of a file's diff: the commit of grub.conf is the second write of the same file. */
function fileHeading(s: PlanStep & { kind: 'file' }): string {
  const name = `\`${s.via ?? s.path}\``;
  if (s.id === 'grub-commit') return `${name}, after verification (the commit)`;
  if (s.id === 'grub' && /until the Xen entry is verified|default stays on/.test(s.reason)) return `${name}, before the reboot (the default stays on the entry the host runs)`;
  return name;
}

export function renderPlansMarkdown(hosts: MarkdownHost[], o: { title?: string; fullDiff?: boolean } = {}): string {
  const L: string[] = [];
  L.push(`### ${o.title ?? 'dom0up plan'}`, '');
  L.push('| host | Xen | changes |', '|---|---|---|');
  for (const h of hosts) {
    const xen = h.plan ? `${h.plan.desired.kernel ?? 'kernel from the repository'}: \`${cell(h.plan.desired.hypervisorArgs)}\`` : '';
    L.push(`| ${cell(h.name)} | ${xen} | ${cell(h.plan ? changesOf(h.plan) : `no plan: ${h.error ?? '?'}`)} |`);
  }
  const pending = hosts.filter((h) => h.plan?.changed && !h.plan.refusals.length).length;
  const refused = hosts.filter((h) => !h.plan || h.plan.refusals.length).length;
  L.push('', `${hosts.length} host(s): ${pending} with changes, ${hosts.length - pending - refused} unchanged, ${refused} refused or without a plan.`, '');
  for (const h of hosts) {
    if (!h.plan) continue;
    const p = h.plan;
    L.push(`<details><summary>${cell(h.name)}: ${cell(changesOf(p))}</summary>`, '');
    for (const r of p.refusals) L.push(`- **refused**: ${cell(r.message)}${r.hint ? ` (${cell(r.hint)})` : ''}`);
    for (const s of p.steps) {
      if (s.action === 'skip') continue;
      L.push(`- **${s.action}** \`${cell(stepWhat(s)).replace(/`/g, "'")}\` — ${cell(s.reason)}`);
    }
    for (const s of p.steps) {
      if (s.kind !== 'file' || s.action === 'skip') continue;
      const summary = o.fullDiff ? null : summarizeContent(s);
      const name = fileHeading(s);
      if (summary) L.push('', `${name}: ${summary}`);
      else if (s.diff) L.push('', `${name}:`, '', fence(s.diff, 'diff'));
      else if (s.predicted) {
        L.push('', `${name}, predicted (${s.predicted.kernelVersionSource === 'placeholder' ? `${s.predicted.kernelVersion} stands for the kernel the repository will install` : `kernel ${s.predicted.kernelVersion} from the repository's metadata`}; compared with the real file after yum):`, '', fence(s.predicted.diff, 'diff'));
      }
    }
    if (p.warnings.length) L.push('');
    for (const w of p.warnings) L.push(`- warning: ${cell(w.message)}`);
    L.push('', '</details>', '');
  }
  return L.join('\n');
}
