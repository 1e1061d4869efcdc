/**
 * makePlan: a pure function from a host's facts and the request to the Plan — preflight
 * refusals and warnings, one step per file, package and reboot, each with its reason, and
 * for grub.conf the exact final content plus how it is staged around a one-shot reboot.
 * A host that already matches gets a plan where every step is skipped.
 */
import { createHash } from 'node:crypto';
import {
  canBeDom0,
  dirnameWithSlash,
  insertEntryCopy,
  setFallbackEntries,
  parseGrubConf,
  removeEntry,
  setDefaultEntry,
  toXenEntry,
  type GrubConf,
  type GrubEntry,
  type XenEntryOptions,
  type XenEntryResult,
} from '../grub/index.js';
import {
  parseSizeToKiB,
  tokenizeXenArgs,
  lintXenArgs,
  parseXlInfo,
  xenArgsSatisfy,
  type XenChanges,
} from '../xen/index.js';
import {
  auditRepos,
  renderGpgKey,
  renderRepoFile,
  setKernelUpdateDefault,
  setXlConfAutoballoon,
  updateXenKernelSysconfig,
  KERNEL_SYSCONFIG_PATH,
  XEN_KERNEL_SYSCONFIG_PATH,
  XL_CONF_PATH,
} from '../repo/index.js';
import { predictKernelPackageInstall } from '../grub/grubby-model.js';
import { textSha256, type HostFacts, type ManagedFile } from '../facts/index.js';
import { shellCommand } from '../transport/quote.js';
import { makeHypervisorArgs } from './hypervisor-args.js';
import { unifiedDiff } from './unified-diff.js';
import { bootDrift } from './boot-drift.js';
import type { BootState, Desired, FileStep, FileStepId, GrubStaging, Plan, PlanMode, PlanStep, PlanWarning, Prediction, ProvisionRequest, Refusal, VerifyExpectationData } from './plan.js';

export const MIN_BOOT_FREE_FOR_INSTALL_KIB = 64 * 1024;
export const MIN_BOOT_FREE_FOR_WRITE_KIB = 1024;
export const RESCUE_SUFFIX = ' (dom0up: previous)';

export function sha256(text: string, encoding: BufferEncoding = 'utf8'): string {
  return createHash('sha256').update(Buffer.from(text, encoding)).digest('hex');
}

/**
 * Host memory and CPUs: from `xl info` under Xen — /proc/meminfo and /proc/cpuinfo show only
 * Dom0's share there, so without `xl` (xencommons not started yet) the size is unknown — else /proc.
 */
export function hostSize(f: HostFacts): { totalMiB: number | null; nrCpus: number | null } {
  if (f.hypervisor.dom0) {
    if (f.xl && f.xl.xlInfo.rc === 0) {
      try {
        const info = parseXlInfo(f.xl.xlInfo.text);
        return { totalMiB: info.totalMemoryMiB, nrCpus: info.nrCpus };
      } catch {
        /* unknown */
      }
    }
    return { totalMiB: null, nrCpus: null };
  }
  return { totalMiB: f.resources.memTotalMiB, nrCpus: f.resources.cpus || null };
}

/** The Xen command line the host runs with now (null when not under Xen or unknown). */
export function runningXenCmdline(f: HostFacts): string | null {
  if (!f.hypervisor.dom0 || !f.xl || f.xl.xlInfo.rc !== 0) return null;
  try {
    return parseXlInfo(f.xl.xlInfo.text).xenCommandline ?? null;
  } catch {
    return null;
  }
}

export function xenInstalled(f: HostFacts): boolean {
  return (f.packages.installed['xen-hypervisor']?.length ?? 0) > 0 && f.boot.files.includes('xen.gz');
}

function preflight(f: HostFacts, req: ProvisionRequest, mode: PlanMode, installing: boolean, args: string | null): { refusals: Refusal[]; warnings: PlanWarning[] } {
  const refusals: Refusal[] = [];
  const warnings: PlanWarning[] = [];
  const os = f.os;
  if (os.distro !== 'centos' || os.major !== 6) {
    refusals.push({ code: 'not-centos6', message: `not CentOS 6.x: ${os.text ?? 'no /etc/redhat-release'}`, hint: 'dom0up converts CentOS 6 hosts (xen4centos packages, GRUB Legacy)' });
  } else if (os.minor !== null && os.minor !== 10) {
    warnings.push({ code: 'not-6.10', message: `${os.text}: the Xen 4.10 repo is built for 6.10; update the host first (yum update) if dependencies fail` });
  }
  if (f.kernel.arch !== 'x86_64') refusals.push({ code: 'not-x86_64', message: `the host is ${f.kernel.arch || 'of unknown architecture'}, not x86_64`, hint: 'Xen 4.10 for CentOS 6 exists for x86_64 only' });
  if (f.hypervisor.firmware === 'uefi') refusals.push({ code: 'uefi', message: 'the host boots with UEFI (/sys/firmware/efi exists)', hint: 'xen4centos on CentOS 6 builds no xen.efi; only BIOS boot with GRUB Legacy is supported' });
  if (f.grub.realPath === null || f.grub.text === null) {
    refusals.push({ code: 'no-grub-conf', message: 'no GRUB Legacy config: neither /boot/grub/grub.conf nor /etc/grub.conf exists', hint: 'dom0up edits GRUB Legacy (0.97) configs only' });
  }
  if (mode === 'tune' && !f.hypervisor.dom0) {
    refusals.push({ code: 'not-xen', message: `the host does not run Xen (running ${f.kernel.release}, no /proc/xen/capabilities with control_d)`, hint: 'use dom0up apply HOST to install Xen and boot it' });
  }
  if (f.hypervisor.capabilities !== null && !f.hypervisor.dom0) {
    refusals.push({ code: 'xen-domu', message: 'the host is a Xen guest (domU), not a control domain', hint: 'run dom0up on the physical host' });
  }
  const free = f.boot.freeKiB;
  if (free !== null) {
    const need = installing ? MIN_BOOT_FREE_FOR_INSTALL_KIB : MIN_BOOT_FREE_FOR_WRITE_KIB;
    if (free < need) {
      refusals.push({ code: 'boot-space', message: `/boot has ${Math.floor(free / 1024)} MiB free; ${installing ? 'installing Xen and its kernel' : 'writing grub.conf'} needs ${need / 1024} MiB`, hint: 'remove old kernels (package-cleanup --oldkernels) and run again' });
    }
  }
  const { totalMiB, nrCpus } = hostSize(f);
  if (args !== null) {
    const lint = lintXenArgs(args, { force: req.force ?? false, host: { ...(totalMiB ? { totalMiB } : {}), ...(nrCpus ? { nrCpus } : {}), remote: true } });
    for (const w of lint.warnings) warnings.push({ code: `xen-${w.code}`, message: w.message });
    // the options asked for were validated; anything left came with the host's entry and is kept as it is
    for (const e of lint.errors) warnings.push({ code: 'xen-kept-option', message: `the Xen entry keeps an option Xen will complain about: ${e.message}` });
    if (totalMiB && nrCpus) {
      const asked = /(?:^|\s)dom0_mem=(\S+)/.exec(args)?.[1];
      // the plain amount asked for (Xen would clamp it to what exists; the operator asked for more)
      const amount = asked?.split(',').find((i) => i !== '' && !i.startsWith('min:') && !i.startsWith('max:') && !i.startsWith('-'));
      const amountMiB = amount ? sizeMiB(amount) : null;
      if (asked && amountMiB !== null && amountMiB > totalMiB) {
        refusals.push({ code: 'dom0-mem-too-big', message: `dom0_mem=${asked} is more than the host's memory (${totalMiB} MiB)`, hint: 'choose a smaller --dom0-mem' });
      }
      const vcpus = /(?:^|\s)dom0_max_vcpus=(\d+)(?:-|\s|$)/.exec(args)?.[1];
      if (vcpus && Number(vcpus) > nrCpus) {
        refusals.push({ code: 'too-many-vcpus', message: `dom0_max_vcpus=${vcpus} is more than the host's ${nrCpus} CPU${nrCpus === 1 ? '' : 's'}`, hint: `choose --dom0-vcpus ${Math.max(1, Math.min(2, nrCpus))} or fewer than ${nrCpus + 1}` });
      }
    }
  }
  if (f.resources.hvm === null && !f.hypervisor.dom0) {
    warnings.push({ code: 'pv-only', message: 'the CPU shows no vmx/svm flags: Xen will run paravirtualised guests only (no HVM)' });
  }
  if (f.grub.stat && f.grub.stat.links > 1) warnings.push({ code: 'grub-hard-links', message: `${f.grub.realPath} has ${f.grub.stat.links} hard links; after the atomic rename the other names keep the old content` });
  if (f.grub.etcTarget && f.grub.realPath && f.grub.etcTarget !== f.grub.realPath) {
    warnings.push({ code: 'etc-grub-conf-elsewhere', message: `/etc/grub.conf leads to ${f.grub.etcTarget}, but GRUB reads ${f.grub.realPath}: dom0up edits the file GRUB reads; new-kernel-pkg edits the other one` });
  }
  if (f.files.xenHelper) warnings.push({ code: 'xen-helper', message: 'the xen4centos helper (grub-bootxen.sh) is installed: packages rewrite the Xen entry from /etc/sysconfig/xen-kernel, which dom0up keeps in step' });
  return { refusals, warnings };
}

export function pickKnownGood(original: GrubConf, f: HostFacts): { entry: GrubEntry | null; note: string | null } {
  const boots = original.bootIndex(f.boot.stage2Saved !== null ? f.boot.stage2Saved & 0xff : undefined);
  const release = f.kernel.release;
  const running = f.hypervisor.dom0
    ? original.entries.filter((e) => e.kind === 'xen' && e.version === release)
    : original.entries.filter((e) => e.kind === 'linux' && e.version === release);
  const cmdline = runningXenCmdline(f);
  const exact = cmdline ? running.filter((e) => (e.kernel?.args ?? '') === cmdline.trim()) : running;
  const candidates = exact.length ? exact : running;
  const chosen = candidates.find((e) => e.index === boots) ?? candidates[0] ?? null;
  if (chosen) return { entry: chosen, note: null };
  const fallback = boots !== null ? (original.entries[boots] ?? null) : (original.entries[0] ?? null);
  return { entry: fallback, note: `the running kernel ${release}${f.hypervisor.dom0 ? ' (Xen)' : ''} has no entry in grub.conf; the way back is entry ${fallback?.index ?? '?'} "${fallback?.title.trimEnd() ?? '?'}", which GRUB boots now` };
}

/** Where the known-good entry of the base file is in the rewritten file, and whether the rewrite changed it. */
function mapKnownGood(r: XenEntryResult, knownGood: number): { index: number; changed: boolean } {
  if (r.action === 'added') return { index: knownGood >= r.entryIndex ? knownGood + 1 : knownGood, changed: false };
  const changed = knownGood === r.entryIndex && r.action !== 'unchanged';
  return { index: knownGood, changed };
}

export function isRescueEntry(e: GrubEntry): boolean {
  return e.title.trimEnd().endsWith(RESCUE_SUFFIX);
}

/** The file without rescue copies a previous (interrupted) run may have left. */
export function withoutRescueEntries(conf: GrubConf): GrubConf {
  let base = conf;
  for (let i = base.entries.findIndex(isRescueEntry); i >= 0; i = base.entries.findIndex(isRescueEntry)) base = removeEntry(base, i);
  return base;
}

/**
 * The file written before the one-shot reboot: the final file with the default on the
 * known-good entry — plus a rescue copy of it (as found in `source`, the file on the host)
 * when the rewrite changes that entry or it only exists as a rescue copy.
 */
export function computeStaging(source: GrubConf, r: XenEntryResult, knownGood: GrubEntry): GrubStaging {
  const target = r.entryIndex;
  const baseIndex = isRescueEntry(knownGood) ? null : source.entries.filter((e, i) => i < (knownGood.index as number) && !isRescueEntry(e)).length;
  const kg = baseIndex === null ? { index: target, changed: true } : mapKnownGood(r, baseIndex);
  let staged = r.after;
  let knownGoodIndex = kg.index;
  let rescueIndex: number | null = null;
  if (kg.changed || knownGoodIndex === target) {
    const title = isRescueEntry(knownGood) ? knownGood.title.trimEnd() : knownGood.title.trimEnd() + RESCUE_SUFFIX;
    const copy = insertEntryCopy(staged, target, source, knownGood.index as number, title);
    staged = copy.conf;
    knownGoodIndex = copy.index;
    rescueIndex = copy.index;
  }
  const intermediate = setDefaultEntry(staged, knownGoodIndex);
  return {
    final: r.after.text,
    intermediate: intermediate.text,
    oneShotIndex: target,
    knownGoodIndex,
    knownGoodTitle: intermediate.entries[knownGoodIndex]!.title.trimEnd(),
    rescueIndex,
  };
}

function sizeMiB(s: string): number | null {
  try {
    const r = parseSizeToKiB(s);
    return r.rest === '' ? Number(r.kib) / 1024 : null;
  } catch {
    return null;
  }
}

/** Kernels that can be a Dom0, installed (rpm) and in /boot, whose initramfs was never built. */
export function unfinishedKernels(f: HostFacts): string[] {
  const rpm = new Set(f.packages.installed.kernel ?? []);
  return f.boot.kernels.filter((v) => canBeDom0(v) && rpm.has(v) && !f.boot.initramfs.includes(v) && f.boot.files.includes(`vmlinuz-${v}`));
}

/** Dom0 memory in the args is fixed (an amount, not only min:/max:), so xl's autoballoon should be off. */
function fixesDom0Mem(args: string): boolean {
  const v = /(?:^|\s)dom0_mem=(\S+)/.exec(args)?.[1];
  return v !== undefined && v.split(',').some((i) => i !== '' && !i.startsWith('min:') && !i.startsWith('max:'));
}

/** What the caller knows beyond the facts (pure inputs). */
export interface PlanContext {
  /** The kernel version `yum install xen` will install (from the mirror's repodata), for the predicted grub.conf. */
  kernelPrediction?: { version: string; source: 'repo-metadata' | 'placeholder' };
  /** Why the repository's metadata was not used (shown with the prediction). */
  kernelPredictionNote?: string;
}

/** Stands for the kernel version in a prediction made without the repository's metadata. */
export const KERNEL_PLACEHOLDER = '4.9.VERSION-FROM-THE-XEN-REPO.el6.x86_64';

/** The entry GRUB boots at the next reboot: a pending one-shot (RHEL 6 stage2 word), else the default. */
export function nextBootIndex(conf: GrubConf, stage2Word: number | null): number | null {
  if (stage2Word !== null && (stage2Word & 0x10000) !== 0 && conf.default && conf.default.value !== null) {
    const once = (stage2Word >> 8) & 0xff;
    if (once < conf.entries.length) return once;
  }
  return conf.bootIndex(stage2Word !== null ? stage2Word & 0xff : undefined);
}

export function bootState(f: HostFacts, conf: GrubConf | null): BootState {
  const i = conf ? nextBootIndex(conf, f.boot.stage2Saved) : null;
  const e = conf && i !== null ? (conf.entries[i] ?? null) : null;
  return {
    nextEntry: e && e.index !== null ? { index: e.index, title: e.title.trimEnd(), kind: e.kind, version: e.version ?? null, xenArgs: e.kind === 'xen' ? (e.kernel?.args ?? '') : null } : null,
    running: { kernel: f.kernel.release, xen: f.hypervisor.dom0, xenCmdline: runningXenCmdline(f) },
  };
}

/** Reasons for a file step, by what it does. */
interface Reasons {
  create: string;
  update: string;
  skip: string;
}

/** Where a file would be written: the real file behind its links, and the directories to create. */
function target(f: HostFacts, path: string): { write: string; via?: string; managed: ManagedFile | null; mkdirs: string[] } {
  const m = f.files.managed[path] ?? null;
  const write = m ? m.realPath : path;
  const mkdirs: string[] = [];
  if (!m) {
    // only the directories dom0up knows about are checked; deeper ones are created by the same rule
    for (let d = write.slice(0, write.lastIndexOf('/')); d && d !== '/' && !f.files.dirs.includes(d); d = d.slice(0, d.lastIndexOf('/'))) mkdirs.unshift(d);
  }
  return { write, ...(m && m.isLink ? { via: path } : {}), managed: m, mkdirs };
}

function fileStepAt(f: HostFacts, id: FileStepId, path: string, make: (before: string | null) => string | null, reasons: Reasons, refusals: Refusal[], mode = 0o644): FileStep {
  const t = target(f, path);
  const m = t.managed;
  if (m && (!m.regular || m.truncated || m.text === null)) {
    refusals.push({ code: 'unreadable-file', message: `${path}${m.isLink ? ` (-> ${m.realPath})` : ''} is ${!m.regular ? 'not a regular file' : `larger than dom0up reads (${m.size ?? '?'} bytes)`}`, hint: 'fix or move the file by hand, then run again' });
    return { kind: 'file', id, path: t.write, action: 'skip', reason: 'not readable as a text file (refused)', before: null, after: null, encoding: 'utf8', diff: '', mode, beforeSha256: m.sha256, afterSha256: m.sha256, mkdirs: [] };
  }
  const before = m ? (m.text as string) : null;
  const encoding = m?.encoding ?? 'utf8';
  const after = make(before);
  return fileStepOf(id, t.write, before, after, encoding, reasons, m?.mode ?? mode, m?.sha256 ?? null, t.mkdirs, t.via, path);
}

function fileStepOf(id: FileStepId, path: string, before: string | null, after: string | null, encoding: 'utf8' | 'latin1', reasons: Reasons, mode: number, beforeSha256: string | null, mkdirs: string[], via?: string, label: string = path): FileStep {
  const action = after === null ? 'after-install' : before === null ? 'create' : before === after ? 'skip' : 'update';
  return {
    kind: 'file',
    id,
    path,
    ...(via !== undefined ? { via } : {}),
    action,
    reason: action === 'create' ? reasons.create : action === 'update' ? reasons.update : action === 'skip' ? reasons.skip : reasons.create,
    before,
    after,
    encoding,
    diff: after === null || before === after ? '' : unifiedDiff(label, before ?? '', after),
    mode,
    beforeSha256: before === null ? null : (beforeSha256 ?? textSha256(before, encoding)),
    afterSha256: after === null ? null : textSha256(after, encoding),
    mkdirs: action === 'create' ? mkdirs : [],
  };
}

interface GrubPlan {
  desired: Desired;
  staging: GrubStaging | null;
  /** The file after the edit (final: the Xen entry is the default). */
  final: string;
  action: XenEntryResult['action'];
  entryIndex: number;
  notes: PlanWarning[];
  knownGoodNote: string | null;
}

/** The grub.conf edit for a host whose Xen is installed (or a predicted file after the install). */
function planGrub(f: HostFacts, conf: GrubConf, req: ProvisionRequest, mode: PlanMode, hyp: ReturnType<typeof makeHypervisorArgs>, kernels: { boot: string[]; initramfs: string[] }, once: boolean): GrubPlan {
  const kernel = req.kernel ?? (mode === 'tune' && f.hypervisor.dom0 ? f.kernel.release : undefined);
  const xopts: XenEntryOptions = {
    hypervisorArgs: hyp.fn,
    keepPlain: req.keepPlain ?? false,
    force: req.force ?? false,
    availableKernels: kernels.boot.filter((k) => kernels.initramfs.includes(k)),
    ...(kernel !== undefined ? { kernel } : {}),
    ...(req.initrd !== undefined ? { initrd: req.initrd } : {}),
    // new-kernel-pkg writes the entry before dracut builds the initramfs (%post vs %posttrans): use the file /boot has
    initrdFor: (v: string, kernelPath: string) => (kernels.initramfs.includes(v) ? `${dirnameWithSlash(kernelPath)}initramfs-${v}.img` : undefined),
    ...(req.title !== undefined ? { title: req.title } : {}),
  };
  const base = withoutRescueEntries(conf);
  let r = toXenEntry(base, xopts);
  const kgBase = pickKnownGood(base, f).entry;
  if (!once && kgBase && kgBase.index !== null) {
    // --no-once: the default switches now; GRUB falls back to the entry the host runs now when it cannot load the Xen entry
    const kg = mapKnownGood(r, kgBase.index);
    if (!kg.changed && kg.index !== r.entryIndex && !r.after.effectiveFallback.includes(kg.index)) {
      const after = setFallbackEntries(r.after, [kg.index]);
      r = { ...r, after, changed: after.text !== base.text || r.changed };
    }
  }
  const desired: Desired = { kernel: r.kernelVersion, hypervisorArgs: r.hypervisorArgs, changes: r.action === 'updated' || r.action === 'unchanged' ? hyp.changes : hyp.usesDefaults ? hyp.changesForNew : hyp.changes, usesDefaults: hyp.usesDefaults };
  const kg = pickKnownGood(conf, f);
  return {
    desired,
    staging: once && kg.entry ? computeStaging(conf, r, kg.entry) : null,
    final: r.after.text,
    action: r.action,
    entryIndex: r.entryIndex,
    notes: r.notes.map((n) => ({ code: 'grub', message: n })),
    knownGoodNote: kg.note,
  };
}

function grubRefusal(e: unknown, path: string): Refusal {
  if (e instanceof Error && e.name === 'GrubEditError') {
    const ge = e as Error & { code: string; hint?: string };
    return { code: `grub-${ge.code}`, message: `${path}: ${ge.message}`, ...(ge.hint ? { hint: ge.hint } : {}) };
  }
  throw e;
}

function grubReasons(g: GrubPlan): Reasons {
  const what = g.action === 'updated' ? `update the hypervisor line of Xen entry ${g.entryIndex}` : g.action === 'added' ? `add a Xen entry for ${g.desired.kernel}` : `convert the entry of ${g.desired.kernel} into a Xen entry`;
  return { create: '', update: g.staging ? `${what}; the default stays on entry ${g.staging.knownGoodIndex} "${g.staging.knownGoodTitle}" until the Xen entry is verified` : what, skip: `Xen entry ${g.entryIndex} for ${g.desired.kernel} is already as asked and the default` };
}

export function makePlan(f: HostFacts, req: ProvisionRequest, mode: PlanMode, target: string, ctx: PlanContext = {}): Plan {
  const steps: PlanStep[] = [];
  const refusals: Refusal[] = [];
  const notes: PlanWarning[] = [];
  const size = hostSize(f);
  const hyp = makeHypervisorArgs(req, { ...(size.totalMiB ? { totalMiB: size.totalMiB } : {}), ...(size.nrCpus ? { nrCpus: size.nrCpus } : {}) });
  // the host's grub.conf as GRUB reads it (parsed once: the rewrite and the lint check use it)
  const hostConf = f.grub.text !== null ? parseGrubConf(f.grub.text, { latin1: f.grub.encoding === 'latin1' }) : null;
  const installed = xenInstalled(f);
  const installing = mode === 'apply' && !installed;
  const once = req.once ?? true;
  const noReboot = req.noReboot ?? false;
  const grubPath = f.grub.realPath;
  const grubEncoding = f.grub.encoding ?? 'utf8';
  const grubSha = f.grub.bytes ? createHash('sha256').update(f.grub.bytes).digest('hex') : null;
  const grubMode = f.grub.stat?.mode ?? 0o600;
  // a dom0-capable kernel installed whose %posttrans never ran (an install cut short): no initramfs yet
  const unfinished = mode === 'apply' ? unfinishedKernels(f) : [];
  const initramfsAfter = [...f.boot.initramfs, ...unfinished];

  // ---- the grub.conf edit (decides the hypervisor arguments every other file carries)
  let desired: Desired = { kernel: null, hypervisorArgs: hyp.fn(null), changes: hyp.usesDefaults ? hyp.changesForNew : hyp.changes, usesDefaults: hyp.usesDefaults };
  let grub: GrubPlan | null = null;
  let predicted: { postInstall: string; grub: GrubPlan; version: string; source: Prediction['kernelVersionSource'] } | null = null;
  if (hostConf && grubPath) {
    try {
      if (!installing) {
        grub = planGrub(f, hostConf, req, mode, hyp, { boot: f.boot.kernels, initramfs: initramfsAfter }, once);
        desired = grub.desired;
        if (grub.knownGoodNote) notes.push({ code: 'known-good', message: grub.knownGoodNote });
        notes.push(...grub.notes);
      } else {
        const kp = ctx.kernelPrediction ?? { version: KERNEL_PLACEHOLDER, source: 'placeholder' as const };
        const postInstall = predictKernelPackageInstall(f.grub.text as string, {
          version: kp.version,
          bootSeparate: f.boot.separate,
          release: f.os.text,
          rootDevice: f.fstab.rootDevice,
          makeDefault: false,
          bootKernels: [...f.boot.kernels, kp.version],
        });
        if (postInstall !== null) {
          const conf2 = parseGrubConf(postInstall, { latin1: grubEncoding === 'latin1' });
          const g2 = planGrub(f, conf2, { ...req, ...(req.kernel === undefined ? { kernel: kp.version } : {}) }, mode, hyp, { boot: [...f.boot.kernels, kp.version], initramfs: [...initramfsAfter, kp.version] }, once);
          predicted = { postInstall, grub: g2, version: kp.version, source: kp.source };
          desired = { ...g2.desired, kernel: null };
        }
      }
    } catch (e) {
      refusals.push(grubRefusal(e, grubPath));
    }
  }

  // ---- files written before yum: the repository, its key, and the settings that keep the
  // packages from changing what GRUB boots (so a failed or interrupted install leaves the default alone)
  if (mode === 'apply') {
    const repo = renderRepoFile({ ...(req.mirror !== undefined ? { mirror: req.mirror } : {}), ...(req.gpgcheck !== undefined ? { gpgcheck: req.gpgcheck } : {}), ...(req.repoId !== undefined ? { repoId: req.repoId } : {}) });
    for (const w of repo.warnings) notes.push({ code: `repo-${w.code}`, message: w.message });
    steps.push(fileStepAt(f, 'repo', repo.path, () => repo.content, { create: 'the Xen 4.10 Virt SIG repository is not configured', update: 'the repository file differs from what was asked', skip: 'the repository file is already as asked' }, refusals));
    if (req.gpgcheck !== false) {
      const key = renderGpgKey();
      steps.push(fileStepAt(f, 'gpg-key', key.path, () => key.content, { create: 'gpgcheck=1 needs the Virt SIG key (0x61E8806C)', update: 'the key file differs from the Virt SIG key', skip: 'the Virt SIG key is in place' }, refusals));
    }
    if (f.files.managed[KERNEL_SYSCONFIG_PATH]) {
      steps.push(fileStepAt(f, 'kernel-sysconfig', KERNEL_SYSCONFIG_PATH, (b) => setKernelUpdateDefault(b as string, 'no'), {
        create: '',
        update: 'UPDATEDEFAULT=no: a kernel package (yum install xen, a later yum update) must never make a kernel that did not boot here the default; dom0up moves a Dom0 to a new kernel with a verified one-shot boot',
        skip: 'UPDATEDEFAULT is already off: new kernels do not become the default by themselves',
      }, refusals));
    } else steps.push({ kind: 'file', id: 'kernel-sysconfig', path: KERNEL_SYSCONFIG_PATH, action: 'skip', reason: 'no /etc/sysconfig/kernel: new-kernel-pkg never makes a new kernel the default', before: null, after: null, encoding: 'utf8', diff: '', mode: 0o644, beforeSha256: null, afterSha256: null, mkdirs: [] });
  }

  // ---- /etc/sysconfig/xen-kernel: the same hypervisor arguments, so a helper-made entry gets them;
  // apply writes it before yum (rpm keeps it: %config(noreplace)) with BOOT_XEN_AS_DEFAULT="no", so the
  // xen4centos helper never switches the default during the install or a later kernel update
  if (refusals.length === 0 && (mode === 'apply' || (grub && grub.final !== f.grub.text) || f.files.xenKernelSysconfig !== null)) {
    const args = installing ? (predicted?.grub.desired.hypervisorArgs ?? desired.hypervisorArgs) : desired.hypervisorArgs;
    try {
      steps.push(fileStepAt(f, 'xen-kernel-sysconfig', XEN_KERNEL_SYSCONFIG_PATH, (b) => updateXenKernelSysconfig(b, args, mode === 'apply' ? { bootXenAsDefault: 'no' } : {}), {
        create: mode === 'apply' ? 'XEN_KERNEL_ARGS = the Xen entry\'s options, BOOT_XEN_AS_DEFAULT="no": the xen4centos helper never moves the default by itself (written before yum; rpm keeps it)' : 'kernel updates rebuild the Xen entry from XEN_KERNEL_ARGS',
        update: 'XEN_KERNEL_ARGS must match the Xen entry (or the next kernel update reverts the tuning)' + (mode === 'apply' ? ', and BOOT_XEN_AS_DEFAULT="no" (the helper never moves the default by itself)' : ''),
        skip: 'XEN_KERNEL_ARGS already matches the Xen entry',
      }, refusals));
    } catch (e) {
      if (e instanceof Error && e.name === 'TemplateError') {
        const te = e as Error & { hint?: string };
        refusals.push({ code: 'xen-kernel-sysconfig', message: `${XEN_KERNEL_SYSCONFIG_PATH}: ${te.message}`, ...(te.hint ? { hint: te.hint } : {}) });
      } else throw e;
    }
  }

  // ---- yum
  if (mode === 'apply') {
    const audit = auditRepos(f.files.repos.map((r) => ({ path: r.path, text: r.text })));
    const repoId = (steps.find((s) => s.kind === 'file' && s.id === 'repo') as FileStep | undefined)?.after?.match(/^\[([^\]]+)\]/m)?.[1];
    const dead = audit.entries.filter((e) => e.dead && e.enabled && e.id !== repoId);
    for (const e of dead) {
      notes.push({ code: 'dead-repo', message: `enabled repo "${e.id}" (${e.file}) is dead: ${e.dead}; dom0up's install skips it (--disablerepo), but other yum commands fail until it points at vault.centos.org/6.10 or is disabled` });
    }
    const command = shellCommand(['yum', '-y', ...dead.map((e) => `--disablerepo=${e.id}`), 'install', 'xen']);
    steps.push(
      installing
        ? { kind: 'command', id: 'yum-install', action: 'run', reason: 'Xen is not installed (xen-hypervisor, /boot/xen.gz)', command }
        : { kind: 'command', id: 'yum-install', action: 'skip', reason: `Xen is installed (xen-hypervisor ${f.packages.installed['xen-hypervisor']?.join(', ') ?? ''})`, command },
    );
    for (const v of unfinished) {
      steps.push({ kind: 'command', id: 'kernel-initramfs', action: 'run', reason: `kernel ${v} is installed but its install did not finish (no initramfs: the package's %posttrans never ran); finish it as the package does (UPDATEDEFAULT=no: the default stays)`, command: shellCommand(['/sbin/new-kernel-pkg', '--package', 'kernel', '--mkinitrd', '--dracut', '--depmod', '--update', v]) });
    }
  }

  // ---- reboot needed?
  const cmdline = runningXenCmdline(f);
  const runningMatches =
    !installing &&
    f.hypervisor.dom0 &&
    desired.kernel !== null &&
    f.kernel.release === desired.kernel &&
    cmdline !== null &&
    xenArgsSatisfy(cmdline, desired.changes).ok &&
    xenArgsSatisfy(cmdline, changesOf(desired.hypervisorArgs)).ok;
  const needsReboot = !runningMatches;
  const rebooting = needsReboot && !noReboot;
  const verifyExpect: VerifyExpectationData = { kernel: desired.kernel, hypervisorArgs: desired.hypervisorArgs, requested: [...desired.changes.set.map((x) => x.name), ...desired.changes.remove] };

  // ---- xl.conf autoballoon (apply only)
  const fixed = fixesDom0Mem(desired.hypervisorArgs);
  const xlStep = (): FileStep | null => {
    if (mode !== 'apply' || !fixed) return null;
    const reasons = { create: 'dom0_mem is fixed: xl must not balloon Dom0', update: 'dom0_mem is fixed: xl must not balloon Dom0 (autoballoon="off")', skip: 'autoballoon is already off' };
    if (installing && !f.files.managed[XL_CONF_PATH]) {
      // xen-runtime installs /etc/xen/xl.conf (its text is the package's): only its autoballoon line is dom0up's
      return fileStepOf('xl-conf', XL_CONF_PATH, null, null, 'utf8', { ...reasons, create: `after yum install xen (xen-runtime installs it): set autoballoon="off" in it; ${reasons.create}` }, 0o644, null, []);
    }
    return fileStepAt(f, 'xl-conf', XL_CONF_PATH, (b) => setXlConfAutoballoon(b, 'off'), reasons, refusals);
  };

  // ---- the running Dom0 is checked before any Xen setting changes when no reboot follows
  const xl = xlStep();
  const laterChanges = [xl].some((s) => s && s.action !== 'skip') || (grub !== null && grub.final !== f.grub.text);
  if (!needsReboot && f.hypervisor.dom0) {
    steps.push({ kind: 'verify', id: 'verify', action: 'run', when: 'before-changes', reason: laterChanges ? 'no reboot follows: the running Dom0 must match before its settings change' : 'the host already runs what was asked: check it', expect: verifyExpect });
  }
  if (xl) steps.push(xl);

  // ---- grub.conf, the one-shot boot, the reboot, verification and the commit
  const staged = grub && rebooting && grub.staging ? grub.staging : null;
  if (grub && grubPath) {
    const want = staged ? staged.intermediate : grub.final;
    steps.push(fileStepOf('grub', grubPath, f.grub.text, want, grubEncoding, grubReasons(grub), grubMode, grubSha, [], undefined, 'etc/grub.conf'));
  } else if (installing && grubPath) {
    const g = predicted?.grub ?? null;
    const st = g && rebooting ? g.staging : null;
    const step = fileStepOf('grub', grubPath, f.grub.text, null, grubEncoding, {
      create: `after yum install xen (new-kernel-pkg adds the Virt SIG kernel's entry): convert that entry into a Xen entry "kernel ${hostConf?.bootPrefix ?? '/'}xen.gz ${desired.hypervisorArgs}"${st ? `; the default stays on the entry the host runs until the Xen entry is verified` : ''}`,
      update: '', skip: '',
    }, grubMode, grubSha, []);
    if (g && predicted) {
      const after = st ? st.intermediate : g.final;
      step.predicted = { after, diff: unifiedDiff('etc/grub.conf', f.grub.text ?? '', after), kernelVersion: predicted.version, kernelVersionSource: predicted.source };
    }
    steps.push(step);
  }
  const oneShotIndex = staged ? staged.oneShotIndex : installing && rebooting && once ? (predicted?.grub.staging?.oneShotIndex ?? null) : null;
  if (rebooting && once && (staged || installing)) {
    steps.push({ kind: 'one-shot', id: 'one-shot', action: installing ? 'after-install' : 'run', index: oneShotIndex, reason: `boot the Xen entry once (grub --batch savedefault --default=N --once): if Xen or Dom0 fails, the machine resets into the entry it runs now` });
  }
  steps.push({
    kind: 'reboot',
    id: 'reboot',
    action: rebooting ? 'run' : 'skip',
    once: rebooting && once,
    reason: !needsReboot
      ? `the host already runs ${f.kernel.release} under Xen with these options`
      : noReboot
        ? '--no-reboot: the operator reboots; then dom0up verify'
        : f.hypervisor.dom0
          ? `the host runs ${f.kernel.release} with Xen options "${cmdline ?? '?'}"; it must boot ${desired.kernel ?? 'the new kernel'} with "${desired.hypervisorArgs}"`
          : `the host runs ${f.kernel.release} without Xen`,
  });
  if (rebooting) steps.push({ kind: 'verify', id: 'verify', action: 'run', when: 'after-reboot', reason: 'prove what booted: uname -r, /proc/xen, xl list/info/vcpu-list/dmesg', expect: verifyExpect });
  if (staged && grubPath) {
    steps.push(fileStepOf('grub-commit', grubPath, staged.intermediate, staged.final, grubEncoding, { create: '', update: `make the verified Xen entry the permanent default (default=${staged.oneShotIndex}${staged.rescueIndex !== null ? '; the rescue copy goes' : ''})`, skip: '' }, grubMode, null, [], undefined, 'etc/grub.conf'));
  } else if (installing && rebooting && once && grubPath) {
    const g = predicted?.grub ?? null;
    const step = fileStepOf('grub-commit', grubPath, null, null, grubEncoding, { create: 'after verification: make the Xen entry the permanent default', update: '', skip: '' }, grubMode, null, []);
    if (g && g.staging && predicted) step.predicted = { after: g.staging.final, diff: unifiedDiff('etc/grub.conf', g.staging.intermediate, g.staging.final), kernelVersion: predicted.version, kernelVersionSource: predicted.source };
    steps.push(step);
  }

  const pre = preflight(f, req, mode, installing, desired.hypervisorArgs);
  refusals.unshift(...pre.refusals);
  if (hostConf) {
    const lintErrors = hostConf.findings.filter((x) => x.severity === 'error');
    if (lintErrors.length && !refusals.some((r) => r.code === 'grub-lint-errors') && !(req.force ?? false)) {
      refusals.push({ code: 'grub-lint', message: `${grubPath}:${lintErrors[0]!.line}: ${lintErrors[0]!.message}`, hint: 'fix grub.conf first (dom0up grub lint), or pass --force' });
    } else if (lintErrors.length && !refusals.length) {
      // --force: only when the grub.conf dom0up writes no longer has an error (the rewrite replaced
      // the broken entry); a file GRUB still misreads is never written to a host
      const g = grub ?? predicted?.grub ?? null;
      const texts = g ? [g.staging?.intermediate ?? null, g.final].filter((x): x is string => x !== null) : [];
      const left = texts.length ? texts.flatMap((t) => parseGrubConf(t, { latin1: grubEncoding === 'latin1' }).findings.filter((x) => x.severity === 'error')) : lintErrors;
      if (left.length) refusals.push({ code: 'grub-lint', message: `${grubPath}:${left[0]!.line}: ${left[0]!.message}; --force does not help: the grub.conf dom0up would write still has this error`, hint: 'fix grub.conf first (dom0up grub lint); nothing was written' });
    }
  }
  const boot = bootState(f, hostConf);
  for (const d of bootDrift(boot)) notes.push({ code: 'boot-drift', message: `${d} (drift: a kernel update, a hand edit or a pending one-shot boot)` });
  if (installing && ctx.kernelPredictionNote) notes.push({ code: 'kernel-prediction', message: `the Xen repository's metadata was not read (${ctx.kernelPredictionNote}): the predicted grub.conf uses a placeholder for the kernel version` });
  const changed = steps.some((s) => s.action !== 'skip' && s.kind !== 'verify');
  return { target, mode, refusals, warnings: [...pre.warnings, ...notes], steps, desired, staging: staged ?? (installing ? (predicted?.grub.staging ?? null) : null), changed, needsReboot, boot };
}

/** Every option of a hypervisor argument string, as changes to check for. */
function changesOf(args: string): XenChanges {
  return { set: tokenizeXenArgs(args), remove: [] };
}
