import type { HostFacts } from '../facts/index.js';
import { createHash } from 'node:crypto';
import type { FileStep, Plan, PlanStep } from '../plan/plan.js';
import type { HostReport } from '../apply/provision.js';
import type { VerifyReport } from '../verify/verify-host.js';
import { grubView, parseGrubConf } from '../grub/index.js';
import { colorDiff } from './render-grub.js';
import type { Palette } from './io.js';
import { visible } from './escape.js';

/** Host text on one line, escaped (see escape.ts). */
const v = (s: string | null | undefined): string => visible(String(s ?? ''));

export function factsJson(f: HostFacts) {
  const grub = f.grub.text !== null ? grubView(parseGrubConf(f.grub.text, { latin1: f.grub.encoding === 'latin1' })) : null;
  return {
    os: f.os,
    kernel: f.kernel,
    hypervisor: f.hypervisor,
    grub: { realPath: f.grub.realPath, links: f.grub.links, etcTarget: f.grub.etcTarget, stat: f.grub.stat, encoding: f.grub.encoding, view: grub },
    boot: f.boot,
    packages: f.packages.installed,
    memory: { totalMiB: f.resources.memTotalMiB },
    cpus: { count: f.resources.cpus, hvm: f.resources.hvm },
    repos: f.files.repos.map((r) => ({ path: r.path, text: r.text })),
    sysconfig: { xenKernel: f.files.xenKernelSysconfig, kernel: f.files.kernelSysconfig, xlConf: f.files.xlConf },
    xenHelper: f.files.xenHelper,
    lock: f.state.lock,
    xl: f.xl ? { list: f.xl.xlList.text, info: f.xl.xlInfo.text } : null,
  };
}

export function renderFacts(target: string, f: HostFacts, p: Palette): string {
  const L: string[] = [];
  const g = f.grub.text !== null ? parseGrubConf(f.grub.text, { latin1: f.grub.encoding === 'latin1' }) : null;
  L.push(p.bold(v(target)));
  L.push(`  os          ${f.os.text !== null ? v(f.os.text) : '(no /etc/redhat-release)'}  ${v(f.kernel.arch)}  ${f.hypervisor.firmware}`);
  L.push(`  kernel      ${v(f.kernel.release)}${f.hypervisor.dom0 ? p.green('  (Xen dom0)') : ''}   boot_id ${v(f.kernel.bootId)}`);
  L.push(`  memory      ${f.resources.memTotalMiB ?? '?'} MiB${f.hypervisor.dom0 ? ' (as dom0 sees it)' : ''}   CPUs ${f.resources.cpus}${f.resources.hvm ? ` (${f.resources.hvm})` : ' (no vmx/svm: PV only)'}`);
  L.push(`  grub.conf   ${f.grub.realPath !== null ? v(f.grub.realPath) : p.red('not found')}${f.grub.links.length ? `  via ${f.grub.links.map(v).join(', ')}` : ''}${f.grub.stat ? `  mode ${f.grub.stat.mode.toString(8)}` : ''}`);
  if (g) {
    const boots = g.bootIndex(f.boot.stage2Saved !== null ? f.boot.stage2Saved & 0xff : undefined);
    for (const e of g.entries) L.push(`   ${e.index === boots ? p.green('*') : ' '} ${e.index}  ${v(e.title.trimEnd())}  ${p.dim(`[${e.kind}${e.version ? ' ' + v(e.version) : ''}]`)}${e.kind === 'xen' ? p.dim(`  ${v(e.kernel?.args ?? '')}`) : ''}`);
    const errs = g.findings.filter((x) => x.severity !== 'info');
    if (errs.length) L.push(`    ${errs.length} finding(s): dom0up grub lint on the file for details`);
  }
  L.push(`  /boot       ${f.boot.separate ? 'own partition' : 'part of /'}, ${f.boot.freeKiB !== null ? Math.floor(f.boot.freeKiB / 1024) + ' MiB free' : 'free space unknown'}; kernels ${f.boot.kernels.map(v).join(', ') || 'none'}${f.boot.xenLink ? `; xen.gz -> ${v(f.boot.xenLink)}` : ''}`);
  const pk = Object.entries(f.packages.installed).map(([n, vs]) => `${v(n)}-${vs.map(v).join(',')}`);
  L.push(`  packages    ${pk.join('  ') || 'none of the Xen packages'}`);
  L.push(`  repos       ${f.files.repos.map((r) => v(r.path.replace('/etc/yum.repos.d/', ''))).join(', ') || 'none'}`);
  L.push(`  sysconfig   xen-kernel: ${f.files.xenKernelSysconfig === null ? 'absent' : 'present'}, kernel: ${f.files.kernelSysconfig === null ? 'absent' : 'present'}, xen4centos helper: ${f.files.xenHelper ? 'yes' : 'no'}`);
  if (f.state.lock) L.push(`  ${p.yellow('locked')}     by run ${v(f.state.lock.runId)} (${v(f.state.lock.command)}) from ${v(f.state.lock.controller)}, ${f.state.lockAgeS ?? '?'} s ago`);
  return L.join('\n') + '\n';
}

const MARK: Record<PlanStep['action'], string> = { create: '+', update: '~', skip: '=', 'after-install': '…', run: '▶' };

/** Armored keys, binary-looking or very long content: shown as a summary unless --full-diff. */
export function summarizeContent(s: FileStep): string | null {
  const text = s.after ?? s.predicted?.after ?? null;
  if (text === null) return null;
  const armored = /-----BEGIN PGP/.test(text);
  const long = text.split('\n').length > 400;
  if (!armored && !long) return null;
  const sha = s.afterSha256 ?? createHash('sha256').update(Buffer.from(text, s.encoding)).digest('hex');
  const bytes = Buffer.byteLength(text, s.encoding);
  const what = s.before === null ? 'new' : 'changed';
  return `${what}: ${bytes} bytes, sha256 ${sha.slice(0, 16)}…${armored ? ' (an armored key; --full-diff shows it)' : ' (--full-diff shows the diff)'}`;
}

function stepLine(s: PlanStep): string {
  switch (s.kind) {
    case 'file':
      return s.via ? `${s.via} -> ${s.path}` : s.path;
    case 'command':
      return s.command;
    case 'one-shot':
      return s.index !== null ? `boot entry ${s.index} once (grub --batch savedefault --default=${s.index} --once)` : 'boot the Xen entry once (grub --batch savedefault --once)';
    case 'reboot':
      return s.once ? 'reboot (the Xen entry boots once; the default changes after verification)' : 'reboot';
    case 'verify':
      return s.when === 'before-changes' ? 'verify the running Dom0' : 'verify what booted (uname -r, /proc/xen, xl)';
  }
}

export function renderPlan(plan: Plan, p: Palette, opts: { diffs?: boolean; fullDiff?: boolean } = {}): string {
  const L: string[] = [];
  L.push(p.bold(`Plan for ${v(plan.target)} (${plan.mode})`));
  for (const r of plan.refusals) L.push(`  ${p.red('refused')}: ${v(r.message)}${r.hint ? p.dim(`  (${v(r.hint)})`) : ''}`);
  for (const s of plan.steps) {
    const verb = s.action === 'skip' ? p.dim('skip  ') : s.action === 'after-install' ? p.cyan('later ') : s.action === 'run' ? p.yellow('run   ') : s.action === 'create' ? p.green('create') : p.yellow('update');
    L.push(`  ${MARK[s.action]} ${verb} ${v(stepLine(s))}${p.dim(`  — ${v(s.reason)}`)}`);
    if (opts.diffs === false || s.kind !== 'file') continue;
    if (s.mkdirs.length) L.push(`      ${p.dim(`creates ${s.mkdirs.map(v).join(', ')} (0755, root) first`)}`);
    const summary = opts.fullDiff ? null : summarizeContent(s);
    if (summary && (s.diff || s.predicted)) L.push(`      ${v(summary)}`);
    else if (s.diff) L.push(indent(colorDiff(s.diff.trimEnd(), p), '      '));
    else if (s.predicted) {
      const where = s.predicted.kernelVersionSource === 'placeholder' ? `${v(s.predicted.kernelVersion)} stands for the kernel the repository will install (its metadata was not read)` : `kernel ${v(s.predicted.kernelVersion)} from the repository's metadata`;
      L.push(`      ${p.cyan('predicted')} ${p.dim(`(${where}; checked against the real file after yum)`)}`);
      L.push(indent(colorDiff(s.predicted.diff.trimEnd(), p), '      '));
    }
  }
  if (plan.staging) {
    const st = plan.staging;
    L.push(`  ${p.dim(`boot once into entry ${st.oneShotIndex}; the default stays on entry ${st.knownGoodIndex} "${v(st.knownGoodTitle)}"${st.rescueIndex !== null ? ' (a rescue copy of the running entry)' : ''} until verification passes`)}`);
  }
  L.push(`  Xen: kernel ${plan.desired.kernel !== null ? v(plan.desired.kernel) : '(the one yum installs)'}, hypervisor "${v(plan.desired.hypervisorArgs)}"${plan.desired.usesDefaults ? p.dim(' (defaults: no Dom0 option given)') : ''}`);
  for (const w of plan.warnings) L.push(`  ${p.yellow('warning')}: ${v(w.message)}`);
  L.push(plan.refusals.length ? `  ${p.red('apply would refuse')} (${plan.refusals.length} reason${plan.refusals.length > 1 ? 's' : ''})` : plan.changed ? '  changes pending' : `  ${p.green('nothing to change')}`);
  return L.join('\n') + '\n';
}

function indent(s: string, pre: string): string {
  return s.split('\n').map((l) => pre + l).join('\n');
}

export function renderChecks(rep: VerifyReport, p: Palette): string {
  const rows = rep.checks.map((c) => [c.ok ? p.green('ok') : p.red('FAIL'), v(c.label), v(c.expected), v(c.actual) + (c.detail ? ` (${v(c.detail)})` : '')]);
  const head = ['', 'check', 'expected', 'actual'];
  const plainLen = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => plainLen(r[i] as string)))));
  const fmt = (r: string[]) => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(Math.max(0, (widths[i] as number) - plainLen(c))))).join('  ');
  return [fmt(head), ...rows.map(fmt)].join('\n') + '\n';
}

export function renderReport(r: HostReport, p: Palette): string {
  const L: string[] = [];
  const head = r.ok ? p.green(r.outcome) : p.red(r.outcome);
  L.push(`${p.bold(v(r.target))}: ${head} — ${v(r.message)}`);
  if (r.reboot) L.push(`  reboot: boot_id ${v(r.reboot.oldBootId)} → ${v(r.reboot.newBootId)} in ${(r.reboot.totalMs / 1000).toFixed(1)} s`);
  if (r.verify) L.push(renderChecks(r.verify, p).trimEnd());
  for (const d of r.deviations) L.push(`  ${p.yellow('differs from the plan')}: ${v(d)}`);
  if (r.journal) L.push(p.dim(`  journal: ${v(r.journal)} (dom0up rollback ${v(r.target)} --run ${v(r.runId)} restores the files as they were before this run)`));
  L.push(p.dim(`  ${(r.durationMs / 1000).toFixed(1)} s, ${r.roundTrips} SSH commands, run ${v(r.runId)}`));
  return L.join('\n') + '\n';
}

export function reportJson(r: HostReport) {
  const { transport, ...rest } = r;
  void transport;
  return rest;
}
