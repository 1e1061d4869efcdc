/**
 * makePlan: a pure function from a host's facts and the request to the Plan — preflight
 * refusals and warnings, one step per file, package and reboot, each with its reason, and
 * for grub.conf the exact final content plus how it is staged around a one-shot reboot.
 * A host that already matches gets a plan where every step is skipped.
 */
import { createHash } from 'node:crypto';
import {
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
  setXlConfAutoballoon,
  updateXenKernelSysconfig,
  XEN_KERNEL_SYSCONFIG_PATH,
  XL_CONF_PATH,
} from '../repo/index.js';
import type { HostFacts } from '../facts/index.js';
import { shellCommand } from '../transport/quote.js';
import { makeHypervisorArgs } from './hypervisor-args.js';
import { unifiedDiff } from './unified-diff.js';
import type { Desired, FileStep, GrubStaging, Plan, PlanMode, PlanStep, PlanWarning, ProvisionRequest, Refusal } from './plan.js';

export const MIN_BOOT_FREE_FOR_INSTALL_KIB = 64 * 1024;
export const MIN_BOOT_FREE_FOR_WRITE_KIB = 1024;
export const RESCUE_SUFFIX = ' (dom0up: previous)';

export function sha256(text: string, encoding: BufferEncoding = 'utf8'): string {
  return createHash('sha256').update(Buffer.from(text, encoding)).digest('hex');
}

function fileStep(id: FileStep['id'], path: string, before: string | null, after: string | null, reason: { create: string; update: string; skip: string }, mode = 0o644, label = path): FileStep {
  const action = after === null ? 'after-install' : before === null ? 'create' : before === after ? 'skip' : 'update';
  return {
    kind: 'file',
    id,
    path,
    action,
    reason: action === 'create' ? reason.create : action === 'update' ? reason.update : action === 'skip' ? reason.skip : reason.create,
    before,
    after,
    diff: after === null || before === after ? '' : unifiedDiff(label, before ?? '', after),
    mode,
    beforeSha256: before === null ? null : sha256(before),
  };
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

function xenInstalled(f: HostFacts): boolean {
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

/** Dom0 memory in the args is fixed (an amount, not only min:/max:), so xl's autoballoon should be off. */
function fixesDom0Mem(args: string): boolean {
  const v = /(?:^|\s)dom0_mem=(\S+)/.exec(args)?.[1];
  return v !== undefined && v.split(',').some((i) => i !== '' && !i.startsWith('min:') && !i.startsWith('max:'));
}

export function makePlan(f: HostFacts, req: ProvisionRequest, mode: PlanMode, target: string): Plan {
  const steps: PlanStep[] = [];
  const size = hostSize(f);
  const hyp = makeHypervisorArgs(req, { ...(size.totalMiB ? { totalMiB: size.totalMiB } : {}), ...(size.nrCpus ? { nrCpus: size.nrCpus } : {}) });
  // the host's grub.conf as GRUB reads it (parsed once: the rewrite and the lint check use it)
  const hostConf = f.grub.text !== null ? parseGrubConf(f.grub.text, { latin1: f.grub.encoding === 'latin1' }) : null;
  const installed = xenInstalled(f);
  const installing = mode === 'apply' && !installed;
  const once = req.once ?? true;
  const notes: PlanWarning[] = [];

  // ---- repo and key (apply only)
  if (mode === 'apply') {
    const repo = renderRepoFile({ ...(req.mirror !== undefined ? { mirror: req.mirror } : {}), ...(req.gpgcheck !== undefined ? { gpgcheck: req.gpgcheck } : {}), ...(req.repoId !== undefined ? { repoId: req.repoId } : {}) });
    for (const w of repo.warnings) notes.push({ code: `repo-${w.code}`, message: w.message });
    const existing = f.files.repos.find((r) => r.path === repo.path)?.text ?? null;
    steps.push(fileStep('repo', repo.path, existing, repo.content, { create: 'the Xen 4.10 Virt SIG repository is not configured', update: 'the repository file differs from what was asked', skip: 'the repository file is already as asked' }));
    if (req.gpgcheck !== false) {
      const key = renderGpgKey();
      steps.push(fileStep('gpg-key', key.path, f.files.gpgKey, key.content, { create: 'gpgcheck=1 needs the Virt SIG key (0x61E8806C)', update: 'the key file differs from the Virt SIG key', skip: 'the Virt SIG key is in place' }));
    }
    const audit = auditRepos(f.files.repos.map((r) => ({ path: r.path, text: r.text })));
    const dead = audit.entries.filter((e) => e.dead && e.enabled && e.id !== repo.repoId);
    for (const e of dead) {
      notes.push({ code: 'dead-repo', message: `enabled repo "${e.id}" (${e.file}) is dead: ${e.dead}; dom0up's install skips it (--disablerepo), but other yum commands fail until it points at vault.centos.org/6.10 or is disabled` });
    }
    const command = shellCommand(['yum', '-y', ...dead.map((e) => `--disablerepo=${e.id}`), 'install', 'xen']);
    steps.push(
      installing
        ? { kind: 'command', id: 'yum-install', action: 'run', reason: 'Xen is not installed (xen-hypervisor, /boot/xen.gz)', command }
        : { kind: 'command', id: 'yum-install', action: 'skip', reason: `Xen is installed (xen-hypervisor ${f.packages.installed['xen-hypervisor']?.join(', ') ?? ''})`, command },
    );
  }

  // ---- grub.conf
  let desired: Desired = { kernel: null, hypervisorArgs: hyp.fn(null), changes: hyp.usesDefaults ? hyp.changesForNew : hyp.changes, usesDefaults: hyp.usesDefaults };
  let staging: GrubStaging | null = null;
  let grubStep: FileStep | null = null;
  let argsForChecks: string | null = desired.hypervisorArgs;
  const refuseGrub: Refusal[] = [];
  if (f.grub.realPath !== null && f.grub.text !== null) {
    const original = hostConf!;
    const grubPath = f.grub.realPath;
    if (installing) {
      grubStep = {
        kind: 'file', id: 'grub', path: grubPath, action: 'after-install',
        reason: `after yum install xen (new-kernel-pkg adds the Virt SIG kernel's entry): convert that entry into a Xen entry "kernel ${original.bootPrefix ?? '/'}xen.gz ${desired.hypervisorArgs}", its module lines from the entry, made the default ${once ? 'after a verified one-shot boot' : 'at once'}`,
        before: f.grub.text, after: null, diff: '', mode: f.grub.stat?.mode ?? 0o600, beforeSha256: sha256(f.grub.text, f.grub.encoding ?? 'utf8'),
      };
    } else {
      const kernel = req.kernel ?? (mode === 'tune' && f.hypervisor.dom0 ? f.kernel.release : undefined);
      const xopts: XenEntryOptions = {
        hypervisorArgs: hyp.fn,
        keepPlain: req.keepPlain ?? false,
        force: req.force ?? false,
        availableKernels: f.boot.kernels.filter((k) => f.boot.initramfs.includes(k)),
        ...(kernel !== undefined ? { kernel } : {}),
        ...(req.initrd !== undefined ? { initrd: req.initrd } : {}),
        // new-kernel-pkg writes the entry before dracut builds the initramfs (%post vs %posttrans): use the file /boot has
        initrdFor: (v: string, kernelPath: string) => (f.boot.initramfs.includes(v) ? `${dirnameWithSlash(kernelPath)}initramfs-${v}.img` : undefined),
        ...(req.title !== undefined ? { title: req.title } : {}),
      };
      try {
        const base = withoutRescueEntries(original);
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
        desired = { kernel: r.kernelVersion, hypervisorArgs: r.hypervisorArgs, changes: r.action === 'updated' || r.action === 'unchanged' ? hyp.changes : desired.changes, usesDefaults: hyp.usesDefaults };
        argsForChecks = r.hypervisorArgs;
        grubStep = fileStep('grub', grubPath, f.grub.text, r.after.text,
          { create: '', update: r.action === 'updated' ? `update the hypervisor line of Xen entry ${r.entryIndex}` : r.action === 'added' ? `add a Xen entry for ${r.kernelVersion}` : `convert the entry of ${r.kernelVersion} into a Xen entry`, skip: `Xen entry ${r.entryIndex} for ${r.kernelVersion} is already as asked and the default` },
          f.grub.stat?.mode ?? 0o600, 'etc/grub.conf');
        if (f.grub.encoding === 'latin1') grubStep.beforeSha256 = sha256(f.grub.text, 'latin1');
        const kg = pickKnownGood(original, f);
        if (kg.note) notes.push({ code: 'known-good', message: kg.note });
        if (once && kg.entry) staging = computeStaging(original, r, kg.entry);
        for (const n of r.notes) notes.push({ code: 'grub', message: n });
      } catch (e) {
        if (e instanceof Error && e.name === 'GrubEditError') {
          const ge = e as Error & { code: string; hint?: string };
          refuseGrub.push({ code: `grub-${ge.code}`, message: `${f.grub.realPath}: ${ge.message}`, ...(ge.hint ? { hint: ge.hint } : {}) });
        } else throw e;
      }
    }
  }

  const pre = preflight(f, req, mode, installing, argsForChecks);
  const refusals = [...pre.refusals, ...refuseGrub];
  if (hostConf) {
    const lintErrors = hostConf.findings.filter((x) => x.severity === 'error');
    if (lintErrors.length && !refuseGrub.some((r) => r.code === 'grub-lint-errors') && !(req.force ?? false)) {
      refusals.push({ code: 'grub-lint', message: `${f.grub.realPath}:${lintErrors[0]!.line}: ${lintErrors[0]!.message}`, hint: 'fix grub.conf first (dom0up grub lint), or pass --force' });
    }
  }
  if (grubStep) steps.push(grubStep);

  // ---- /etc/sysconfig/xen-kernel: the same hypervisor arguments, so kernel updates rebuild the same entry
  if (installing) {
    steps.push({ kind: 'file', id: 'xen-kernel-sysconfig', path: XEN_KERNEL_SYSCONFIG_PATH, action: 'after-install', reason: 'after yum install xen (the package installs it): XEN_KERNEL_ARGS = the Xen entry\'s arguments, so kernel updates rebuild the same entry', before: null, after: null, diff: '', mode: 0o644, beforeSha256: null });
  } else if (grubStep && grubStep.after !== null) {
    const content = updateXenKernelSysconfig(f.files.xenKernelSysconfig, desired.hypervisorArgs);
    steps.push(fileStep('xen-kernel-sysconfig', XEN_KERNEL_SYSCONFIG_PATH, f.files.xenKernelSysconfig, content, { create: 'kernel updates rebuild the Xen entry from XEN_KERNEL_ARGS', update: 'XEN_KERNEL_ARGS must match the Xen entry, or the next kernel update reverts the tuning', skip: 'XEN_KERNEL_ARGS already matches the Xen entry' }));
  }

  // ---- xl.conf autoballoon (apply only)
  if (mode === 'apply') {
    if (installing) {
      if (fixesDom0Mem(desired.hypervisorArgs)) steps.push({ kind: 'file', id: 'xl-conf', path: XL_CONF_PATH, action: 'after-install', reason: 'after yum install xen: autoballoon="off" because dom0_mem is fixed', before: null, after: null, diff: '', mode: 0o644, beforeSha256: null });
    } else if (fixesDom0Mem(desired.hypervisorArgs)) {
      steps.push(fileStep('xl-conf', XL_CONF_PATH, f.files.xlConf, setXlConfAutoballoon(f.files.xlConf, 'off'), { create: 'dom0_mem is fixed: xl must not balloon Dom0', update: 'dom0_mem is fixed: xl must not balloon Dom0 (autoballoon="off")', skip: 'autoballoon is already off' }));
    }
  }

  // ---- reboot
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
  steps.push({
    kind: 'reboot',
    id: 'reboot',
    action: needsReboot ? 'run' : 'skip',
    once,
    reason: needsReboot
      ? f.hypervisor.dom0
        ? `the host runs ${f.kernel.release} with Xen options "${cmdline ?? '?'}"; it must boot ${desired.kernel ?? 'the new kernel'} with "${desired.hypervisorArgs}"`
        : `the host runs ${f.kernel.release} without Xen`
      : `the host already runs ${f.kernel.release} under Xen with these options`,
  });

  const changed = steps.some((s) => s.action !== 'skip');
  // staging only matters for a reboot that boots the Xen entry once
  return { target, mode, refusals, warnings: [...pre.warnings, ...notes], steps, desired, staging: needsReboot ? staging : null, changed, needsReboot };
}

/** Every option of a hypervisor argument string, as changes to check for. */
function changesOf(args: string): XenChanges {
  return { set: tokenizeXenArgs(args), remove: [] };
}
