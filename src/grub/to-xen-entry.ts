/**
 * The rewrite: make GRUB boot the chosen dom0 kernel under Xen.
 *
 * - an existing Xen entry for the kernel is updated (hypervisor arguments only);
 * - otherwise the kernel's plain entry is converted in place, as xen4centos's
 *   grub-bootxen.sh does (`kernel <dir>xen.gz ARGS`, `module <vmlinuz> <its args>`,
 *   `module <initramfs>`; the entry's `root` line stays), or with keepPlain a new Xen entry
 *   is added before it and the plain one is kept;
 * - the Xen entry becomes the default, `fallback` numbers follow moved entries.
 * Edits are splices of the original text: untouched bytes stay identical. The result is
 * parsed again and checked; a failed check is a bug and throws a plain Error.
 */
import { parseGrubConf, type GrubConf } from './parse-grub-conf.js';
import { commandName, skipTo } from './commands.js';
import { GrubEditError } from './errors.js';
import { checkEntryValues, checkImagePath } from './entry-values.js';
import { canBeDom0, dirnameWithSlash, rpmVerCmp } from './kernel-version.js';
import type { GrubEntry, ImageLine } from './model.js';
import { insertionPointBefore, renumberFallback, setDefault, setFallback } from './global-edits.js';
import {
  applyTextEdits,
  endsWithNewline,
  indentOf,
  rawPrefix,
  replaceInView,
  viewOffsets,
  type TextEdit,
} from './text-edit.js';

export interface XenEntryOptions {
  /** Hypervisor arguments for the entry, given the current ones (null for a new entry). */
  hypervisorArgs: (existing: string | null) => string;
  /** The dom0 kernel version; default: the newest kernel in the file that can be a dom0. */
  kernel?: string;
  /** Add a new Xen entry and keep the plain one (default: convert the plain entry in place). */
  keepPlain?: boolean;
  /** Title for a new entry added with keepPlain. Default: "<title of the plain entry> with Xen". */
  title?: string;
  /** File name of the hypervisor image next to the kernel (default `xen.gz`). */
  xenImage?: string;
  /** Initramfs path (as GRUB sees it) to use when the plain entry has no initrd line. */
  initrd?: string;
  /** Like `initrd`, computed per kernel (e.g. from the files in /boot): version and the entry's kernel path → initramfs path. */
  initrdFor?: (version: string, kernelPath: string) => string | undefined;
  /** Restrict candidates to these kernel versions (e.g. those whose files exist on /boot). */
  availableKernels?: readonly string[];
  /** Make the Xen entry the default (default true). */
  makeDefault?: boolean;
  /** Write `fallback` to these entries (indices in the result), replacing any existing list. */
  fallback?: readonly number[] | 'previous-default';
  /** Let a kernel older than 3.x through, and edit despite lint errors. */
  force?: boolean;
}

export type XenEntryAction = 'updated' | 'converted' | 'added' | 'unchanged';

export interface XenEntryResult {
  before: GrubConf;
  after: GrubConf;
  changed: boolean;
  action: XenEntryAction;
  kernelVersion: string;
  /** Index of the Xen entry in `after`. */
  entryIndex: number;
  /** The hypervisor arguments written. */
  hypervisorArgs: string;
  /** Index GRUB booted before (null if unknown). */
  previousBootIndex: number | null;
  /** Human notes about choices made (shown by the CLI). */
  notes: string[];
}

const XEN_DEFAULT_IMAGE = 'xen.gz';

/** Picks the dom0 kernel among the file's entries (and the available list, if given). */
export function pickDom0Kernel(conf: GrubConf, opts: Pick<XenEntryOptions, 'kernel' | 'availableKernels' | 'force'> = {}): string {
  const inFile = new Set<string>();
  for (const e of conf.entries) if (e.version && (e.kind === 'linux' || e.kind === 'xen')) inFile.add(e.version);
  const available = opts.availableKernels ? new Set(opts.availableKernels) : null;
  const candidates = [...new Set([...inFile, ...(available ?? [])])].filter((v) => !available || available.has(v));
  if (opts.kernel) {
    const want = opts.kernel.replace(/^vmlinuz-/, '');
    const match = candidates.find((v) => v === want) ??
      candidates.find((v) => v.startsWith(want + '.') && /^\.(?:x86_64|i[3-6]86|noarch)$/.test(v.slice(want.length)));
    if (!match) {
      throw new GrubEditError(
        'kernel-not-found',
        `kernel ${want} is not in ${available ? 'the installed kernels' : 'this grub.conf'}`,
        candidates.length ? `known kernels: ${candidates.sort(rpmVerCmp).join(', ')}` : 'no kernel entries were found',
        conf.allEntries[0]?.line ?? 1,
      );
    }
    if (!canBeDom0(match) && !opts.force) {
      throw new GrubEditError('kernel-not-dom0', `kernel ${match} cannot run as a Xen dom0 (Xen needs Linux 3.x or later; the stock EL6 2.6.32 kernel fails with "Could not set up DOM0 guest OS")`, 'yum install xen pulls in the Virt SIG 4.9 kernel; use that one (or --force)', conf.entries.find((e) => e.version === match)?.line ?? 1);
    }
    return match;
  }
  const dom0 = candidates.filter(canBeDom0).sort(rpmVerCmp);
  const newest = dom0[dom0.length - 1];
  if (!newest) {
    throw new GrubEditError(
      'no-dom0-kernel',
      `no kernel that can run as a Xen dom0 (3.x or later)${candidates.length ? `: only ${candidates.sort(rpmVerCmp).join(', ')}` : ''}`,
      'install Xen first (yum install xen pulls in the Virt SIG 4.9 kernel), or pass --kernel VERSION',
      conf.allEntries[0]?.line ?? 1,
    );
  }
  return newest;
}

function prefer(list: GrubEntry[], bootIndex: number | null): GrubEntry | undefined {
  return list.find((e) => e.index === bootIndex) ?? list[0];
}

/** An entry with several kernel or initrd lines (GRUB uses the last) cannot be edited unambiguously. */
function refuseAmbiguous(e: GrubEntry): void {
  const kernels = e.commands.filter((c) => c.name === 'kernel').length;
  const initrds = e.commands.filter((c) => c.name === 'initrd').length;
  const firstKernel = e.commands.findIndex((c) => c.name === 'kernel');
  const firstLoad = e.commands.findIndex((c) => c.name === 'initrd' || c.name === 'module' || c.name === 'modulenounzip');
  if (firstLoad >= 0 && (firstKernel < 0 || firstLoad < firstKernel)) {
    throw new GrubEditError('unsupported-entry', `entry ${e.index} ("${e.title.trimEnd()}", line ${e.line}) loads an initrd or module before its kernel, which GRUB refuses`, 'put the kernel line first (dom0up grub lint)', e.commands[firstLoad]!.line);
  }
  if (kernels > 1 || initrds > 1) {
    throw new GrubEditError(
      'unsupported-entry',
      `entry ${e.index} ("${e.title.trimEnd()}", line ${e.line}) has ${kernels > 1 ? `${kernels} kernel lines` : `${initrds} initrd lines`}; GRUB uses the last one, so dom0up will not guess which to convert`,
      'remove the extra lines (a title swallowed by a comment ending in "\\" does this: dom0up grub lint)',
      e.line,
    );
  }
}

/** Plans the Xen entry; returns the new text and both trees. Throws GrubEditError on refusal. */
export function toXenEntry(conf: GrubConf, opts: XenEntryOptions): XenEntryResult {
  // the values asked for must stay what GRUB reads back (one line, one word for paths)
  checkEntryValues({ title: opts.title, initrd: opts.initrd, kernel: opts.kernel });
  const notes: string[] = [];
  const errors = conf.findings.filter((f) => f.severity === 'error');
  if (conf.entries.length === 0) {
    throw new GrubEditError('no-entries', 'GRUB sees no bootable entry in this file', 'is this a GRUB Legacy grub.conf?', 1);
  }
  if (errors.length > 0 && !opts.force) {
    const first = errors[0]!;
    throw new GrubEditError('lint-errors', `line ${first.line}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : ''}`, 'fix the file first (dom0up grub lint FILE), or pass --force', first.line);
  }
  // a last line that ends with a backslash continues into the end of the file: a line copied from it
  // or inserted after it would be joined to it by GRUB
  const last = conf.segments[conf.segments.length - 1];
  if (last && /\\\r?\n?$/.test(last.raw) && last.raw.trim() !== '') {
    const at = last.raw.replace(/\r?\n?$/, '').length - 1;
    const line = last.line + (last.raw.slice(0, at).match(/\n/g)?.length ?? 0);
    throw new GrubEditError('unsupported-entry', `line ${line}: the file ends with a backslash (a line continued into the end of the file); a line dom0up adds or copies would be joined to it`, 'remove the backslash at the end of the file (dom0up grub lint shows it)', line);
  }
  const version = pickDom0Kernel(conf, opts);
  const bootBefore = conf.bootIndex();
  const xenEntries = conf.entries.filter((e) => e.kind === 'xen' && e.version === version);
  const plainEntries = conf.entries.filter((e) => e.kind === 'linux' && e.version === version);
  const edits: TextEdit[] = [];
  const eol = conf.eol;
  let action: XenEntryAction;
  let target: number;
  let insertedAt: number | null = null;
  let args: string;

  if (xenEntries.length > 0) {
    const entry = prefer(xenEntries, bootBefore)!;
    refuseAmbiguous(entry);
    if (xenEntries.length > 1) notes.push(`${xenEntries.length} Xen entries boot ${version}; updating entry ${entry.index}`);
    const kernel = entry.kernel!;
    args = opts.hypervisorArgs(kernel.args);
    if (args !== kernel.args) edits.push(editArgs(conf, kernel, args));
    if (entry.modules.length < 2) {
      const initrd = plainEntries.find((p) => p.initrd)?.initrd?.path ?? opts.initrd ?? computedInitrd(opts, version, entry.modules[0]?.path ?? '/');
      if (initrd) {
        edits.push(insertAfterSegment(conf, entry.modules[0]!.segment, moduleLine(conf, entry.modules[0]!.segment, initrd, eol)));
        notes.push(`added the missing initramfs module ${initrd}`);
      }
    }
    action = 'updated';
    target = entry.index!;
  } else {
    const plain = prefer(plainEntries, bootBefore);
    if (!plain) {
      throw new GrubEditError('kernel-not-found', `no entry in this grub.conf boots kernel ${version}`, 'add the kernel entry first (new-kernel-pkg --install), or choose another --kernel', conf.allEntries[0]?.line ?? 1);
    }
    refuseAmbiguous(plain);
    const kernel = plain.kernel!;
    const extraInitrd = opts.initrd ?? computedInitrd(opts, version, kernel.path);
    const initrdPaths = plain.initrd ? [plain.initrd.path, ...splitArgs(plain.initrd.args)] : extraInitrd ? [extraInitrd] : [];
    if (initrdPaths.length === 0) {
      throw new GrubEditError('no-initrd', `the entry for ${version} (line ${plain.line}) has no initrd line; a Xen entry needs the initramfs as second module`, 'pass --initrd PATH (e.g. /initramfs-VERSION.img)', plain.line);
    }
    const xenPath = dirnameWithSlash(kernel.path) + (opts.xenImage ?? XEN_DEFAULT_IMAGE);
    args = opts.hypervisorArgs(null);
    if (!opts.keepPlain) {
      // convert in place: hypervisor line before the kernel line, kernel → module, initrd → module
      edits.push(insertBeforeSegment(conf, kernel.segment, hypervisorLine(conf, kernel, xenPath, args, eol)));
      edits.push(renameCommand(conf, kernel.segment, 'module'));
      if (kernel.options) edits.push(dropKernelOptions(conf, kernel));
      if (plain.initrd) edits.push(...initrdToModules(conf, plain.initrd, eol));
      else edits.push(insertAfterSegment(conf, kernel.segment, moduleLine(conf, kernel.segment, extraInitrd!, eol)));
      action = 'converted';
      target = plain.index!;
    } else {
      const title = opts.title ?? `${plain.title.trimEnd()} with Xen`;
      if (/[\r\n\0]/.test(title) || title.trim() === '') throw new GrubEditError('bad-title', 'the title must be one non-empty line', undefined, plain.line);
      const text = copyAsXenEntry(conf, plain, title, xenPath, args, eol, extraInitrd);
      edits.push({ start: insertionPointBefore(conf, plain.segmentStart), end: insertionPointBefore(conf, plain.segmentStart), text });
      action = 'added';
      target = plain.index!;
      insertedAt = plain.index!;
    }
  }

  // a hypervisor line must stay one GRUB line: no line breaks, and no trailing backslash (a continuation)
  if (/[\u0000-\u001f\u007f\\]/.test(args)) {
    throw new GrubEditError('bad-args', `the hypervisor arguments contain a backslash or a control character: ${JSON.stringify(args)}`, 'Xen options are plain words', conf.allEntries[0]?.line ?? 1);
  }
  // default and fallback: global lines, applied before any entry text inserted at the same offset
  const globalEdits: TextEdit[] = [];
  const makeDefault = opts.makeDefault ?? true;
  const shift = (n: number): number => (insertedAt !== null && n >= insertedAt ? n + 1 : n);
  const d = conf.default;
  if (makeDefault) {
    if (d?.written === 'saved') notes.push(`"default=saved" (entry stored in stage2) replaced by "default=${target}"`);
    globalEdits.push(...setDefault(conf, target, eol));
  } else if (insertedAt !== null && d && typeof d.value === 'number' && d.value >= insertedAt) {
    globalEdits.push(...setDefault(conf, shift(d.value), eol));
  }
  const fb = conf.fallback;
  if (opts.fallback !== undefined) {
    if (opts.fallback === 'previous-default') {
      // only when the default really moves: on a re-run the previous default is the Xen entry itself
      if (bootBefore !== null && shift(bootBefore) !== target) globalEdits.push(...setFallback(conf, [shift(bootBefore)], eol));
      else if (insertedAt !== null && fb && fb.ok) globalEdits.push(...renumberFallback(conf, shift));
    } else globalEdits.push(...setFallback(conf, [...opts.fallback].filter((n) => n !== target), eol));
  } else if (insertedAt !== null && fb && fb.ok) {
    globalEdits.push(...renumberFallback(conf, shift));
  }

  const text = applyTextEdits(conf.text, [...globalEdits, ...edits]);
  const after = text === conf.text ? conf : parseGrubConf(text, conf.options);
  const changed = text !== conf.text;
  const result: XenEntryResult = {
    before: conf,
    after,
    changed,
    action: changed ? action : 'unchanged',
    kernelVersion: version,
    entryIndex: target,
    hypervisorArgs: args,
    previousBootIndex: bootBefore,
    notes,
  };
  checkResult(result, makeDefault);
  return result;
}

/** The initramfs path computed for a kernel (e.g. from a host's /boot listing): checked like --initrd. */
function computedInitrd(opts: XenEntryOptions, version: string, kernelPath: string): string | undefined {
  const p = opts.initrdFor?.(version, kernelPath);
  if (p !== undefined) checkImagePath(p, `the initramfs path for ${version}`);
  return p;
}

function splitArgs(s: string): string[] {
  return s.split(/[ \t]+/).filter((x) => x !== '');
}

/** Replaces the argument part (after the path) of a kernel/module line. */
function editArgs(conf: GrubConf, img: ImageLine, args: string): TextEdit {
  const { seg } = viewOffsets(conf, img.segment);
  if (seg.truncated) throw new GrubEditError('truncated-line', `line ${seg.line} is longer than GRUB reads (1500 bytes)`, undefined, seg.line);
  const view = seg.view;
  const cmdArg = skipTo(true, view);
  let at = cmdArg;
  // skip kernel options and the path
  while (view.startsWith('--type=', at) || view.startsWith('--no-mem-option', at)) at = skipTo(false, view, at);
  const pathEnd = at + img.path.length;
  const oldArgsStart = skipTo(false, view, at);
  const oldArgsEnd = oldArgsStart + img.args.length;
  if (img.args === '') {
    return replaceInView(conf, img.segment, pathEnd, pathEnd, args === '' ? '' : ' ' + args);
  }
  if (args === '') return replaceInView(conf, img.segment, pathEnd, oldArgsEnd, '');
  return replaceInView(conf, img.segment, oldArgsStart, oldArgsEnd, args);
}

function renameCommand(conf: GrubConf, segmentIndex: number, name: string): TextEdit {
  const { seg } = viewOffsets(conf, segmentIndex);
  return replaceInView(conf, segmentIndex, 0, commandName(seg.view).length, name);
}

function dropKernelOptions(conf: GrubConf, kernel: ImageLine): TextEdit {
  const view = viewOffsets(conf, kernel.segment).seg.view;
  const from = skipTo(true, view);
  let at = from;
  while (view.startsWith('--type=', at) || view.startsWith('--no-mem-option', at)) at = skipTo(false, view, at);
  return replaceInView(conf, kernel.segment, from, at, '');
}

function initrdToModules(conf: GrubConf, initrd: ImageLine, eol: string): TextEdit[] {
  const extra = splitArgs(initrd.args);
  if (extra.length === 0) return [renameCommand(conf, initrd.segment, 'module')];
  // RHEL's `initrd A B` loads several images: one module line each
  const { seg } = viewOffsets(conf, initrd.segment);
  const lines = [initrd.path, ...extra].map((p) => moduleLine(conf, initrd.segment, p, eol)).join('');
  // keep the file's (missing) final newline as it was
  return [{ start: seg.start, end: seg.start + seg.raw.length, text: endsWithNewline(seg) ? lines : lines.slice(0, -eol.length) }];
}

/** `<indent>kernel<sep><xenPath> <args><eol>`, copying the kernel line's indent and separator. */
function hypervisorLine(conf: GrubConf, kernel: ImageLine, xenPath: string, args: string, eol: string): string {
  const view = viewOffsets(conf, kernel.segment).seg.view;
  const prefix = rawPrefix(conf, kernel.segment, skipTo(true, view));
  const head = prefix.includes('\n') ? indentOf(conf.segments[kernel.segment]!) + 'kernel ' : prefix;
  return `${head}${xenPath}${args ? ' ' + args : ''}${eol}`;
}

function moduleLine(conf: GrubConf, nearSegment: number, path: string, eol: string): string {
  return `${indentOf(conf.segments[nearSegment]!)}module ${path}${eol}`;
}

function insertBeforeSegment(conf: GrubConf, segmentIndex: number, text: string): TextEdit {
  const seg = conf.segments[segmentIndex]!;
  return { start: seg.start, end: seg.start, text };
}

function insertAfterSegment(conf: GrubConf, segmentIndex: number, text: string): TextEdit {
  const seg = conf.segments[segmentIndex]!;
  const at = seg.start + seg.raw.length;
  if (endsWithNewline(seg)) return { start: at, end: at, text };
  // the segment is the last line without a newline: give it one, drop ours at the end
  const eol = conf.eol;
  return { start: at, end: at, text: eol + text.slice(0, text.length - eol.length) };
}

function copyAsXenEntry(conf: GrubConf, plain: GrubEntry, title: string, xenPath: string, args: string, eol: string, initrdOpt?: string): string {
  let out = '';
  const lineOf = (segIndex: number, edits: TextEdit[]): string => {
    const seg = conf.segments[segIndex]!;
    const local = edits.map((e) => ({ start: e.start - seg.start, end: e.end - seg.start, text: e.text }));
    const text = applyTextEdits(seg.raw, local);
    return text.endsWith('\n') ? text : text + eol;
  };
  // title
  const titleView = conf.segments[plain.segmentStart]!.view;
  out += lineOf(plain.segmentStart, [replaceInView(conf, plain.segmentStart, skipTo(true, titleView), titleView.length, title)]);
  let sawInitrd = false;
  for (const c of plain.commands) {
    if (c.name === 'kernel') {
      const k = plain.kernel!;
      if (c.segment !== k.segment) continue; // only the kernel line GRUB uses
      out += hypervisorLine(conf, k, xenPath, args, eol);
      const edits = [renameCommand(conf, k.segment, 'module')];
      if (k.options) edits.push(dropKernelOptions(conf, k));
      out += lineOf(k.segment, edits);
      if (!plain.initrd && initrdOpt) out += moduleLine(conf, k.segment, initrdOpt, eol);
    } else if (c.name === 'initrd') {
      if (sawInitrd || !plain.initrd || c.segment !== plain.initrd.segment) continue;
      sawInitrd = true;
      const extra = splitArgs(plain.initrd.args);
      if (extra.length === 0) out += lineOf(c.segment, [renameCommand(conf, c.segment, 'module')]);
      else out += [plain.initrd.path, ...extra].map((p) => moduleLine(conf, c.segment, p, eol)).join('');
    } else {
      out += lineOf(c.segment, []);
    }
  }
  return out;
}

/** Post-conditions: a failure here is a bug in this module, never the user's. */
function checkResult(r: XenEntryResult, makeDefault: boolean): void {
  const e = r.after.entries[r.entryIndex];
  const fail = (why: string): never => {
    throw new Error(`internal: grub rewrite post-check failed: ${why}`);
  };
  if (!e) return fail(`no entry ${r.entryIndex} after the rewrite`);
  if (e.kind !== 'xen') fail(`entry ${r.entryIndex} is ${e.kind}, not xen`);
  if (e.version !== r.kernelVersion) fail(`entry ${r.entryIndex} boots ${e.version}, not ${r.kernelVersion}`);
  if ((e.kernel?.args ?? '') !== r.hypervisorArgs.replace(/[ \t]+$/, '')) fail(`hypervisor args are "${e.kernel?.args}", not "${r.hypervisorArgs}"`);
  if (makeDefault && r.after.bootIndex() !== r.entryIndex) fail(`GRUB boots ${r.after.bootIndex()}, not the Xen entry ${r.entryIndex}`);
  const errorsBefore = r.before.findings.filter((f) => f.severity === 'error').length;
  const errorsAfter = r.after.findings.filter((f) => f.severity === 'error').length;
  if (errorsAfter > errorsBefore) fail(`the rewrite introduced ${errorsAfter - errorsBefore} lint error(s): ${r.after.findings.filter((f) => f.severity === 'error').map((f) => f.message).join('; ')}`);
  const expectedCount = r.before.entries.length + (r.action === 'added' ? 1 : 0);
  if (r.after.entries.length !== expectedCount) fail(`${r.after.entries.length} entries, expected ${expectedCount}`);
}
