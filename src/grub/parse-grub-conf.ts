/**
 * parseGrubConf: GRUB 0.97's reading of a grub.conf (the `cmain()` loop of stage2.c with
 * the RHEL 6 command table) over the lossless segment list from read-config.ts.
 */
import { readGrubConfig, type ReadOptions, type Segment } from './read-config.js';
import {
  caseInsensitiveMatch,
  commandClass,
  commandName,
  parseFallback,
  parseMaxInt,
  skipTo,
  MAX_FALLBACK_ENTRIES,
} from './commands.js';
import { basename, canBeDom0, isXenImage, stripDevice, versionFromImage } from './kernel-version.js';
import type {
  DefaultSetting,
  EntryKind,
  FallbackSetting,
  Finding,
  GrubCommand,
  GrubEntry,
  ImageLine,
} from './model.js';

export interface ParseOptions extends ReadOptions {}

/** Xen hypervisor options that do nothing (or harm) on a Linux command line. */
const XEN_ONLY_OPTIONS = /^(?:dom0_mem|dom0_max_vcpus|dom0_vcpus_pin|dom0_nodes|dom0_ioports_disable|cpufreq=(?:xen|dom0-kernel)|loglvl|guest_loglvl|com[12]|conring_size|sync_console)(?:=|$)/;

export class GrubConf {
  readonly segments: readonly Segment[];
  /** Every title in file order, including entries GRUB drops. */
  readonly allEntries: readonly GrubEntry[];
  /** The entries GRUB counts, in index order. */
  readonly entries: readonly GrubEntry[];
  /** Known commands before the first title (GRUB runs the menu ones while reading). */
  readonly globals: readonly GrubCommand[];
  readonly default: DefaultSetting | null;
  readonly fallback: FallbackSetting | null;
  readonly timeout: number | null;
  readonly hiddenmenu: boolean;
  readonly findings: readonly Finding[];
  readonly options: ParseOptions;

  constructor(readonly text: string, options: ParseOptions = {}) {
    this.options = options;
    this.segments = readGrubConfig(text, options);
    const built = build(this.segments);
    this.allEntries = built.allEntries;
    this.entries = built.allEntries.filter((e) => e.index !== null);
    this.globals = built.globals;
    this.default = built.default;
    this.fallback = built.fallback;
    this.timeout = built.timeout;
    this.hiddenmenu = built.hiddenmenu;
    this.findings = lint(this, built.unknown, built.misplaced);
  }

  /**
   * The text rebuilt from the segments (never the stored input), so the round-trip law
   * `parseGrubConf(s).toString() === s` really checks that the tree is lossless.
   */
  toString(): string {
    let out = '';
    for (const seg of this.segments) out += seg.raw;
    return out;
  }

  /**
   * Fallback entries after GRUB drops the out-of-range ones (end of `cmain()`).
   */
  get effectiveFallback(): number[] {
    if (!this.fallback || !this.fallback.ok) return [];
    return this.fallback.entries.filter((n) => n < this.entries.length).slice(0, MAX_FALLBACK_ENTRIES);
  }

  /**
   * The index GRUB boots without user input, or null when it cannot be known offline
   * (`default saved`: the entry lives in stage2 on RHEL 6) or there is no entry at all.
   * `savedEntry` is the value stored in stage2 when known (see resolveBoot for the once-flag).
   */
  bootIndex(savedEntry?: number): number | null {
    if (this.entries.length === 0) return null;
    let value: number;
    const d = this.default;
    if (!d || d.value === null) value = 0;
    else if (d.value === 'saved') {
      if (savedEntry === undefined) return null;
      value = savedEntry;
    } else value = d.value;
    if (value >= this.entries.length) {
      const fb = this.effectiveFallback;
      return fb.length > 0 ? (fb[0] as number) : 0;
    }
    return value;
  }

  /** The entry GRUB boots (see bootIndex). */
  get bootEntry(): GrubEntry | null {
    const i = this.bootIndex();
    return i === null ? null : (this.entries[i] ?? null);
  }

  /** The boot path prefix: `/` when /boot is its own partition, `/boot/` otherwise. */
  get bootPrefix(): '/' | '/boot/' | null {
    return inferBootPrefix(this);
  }

  /** The 1-based line of the first title, or null. */
  get firstTitleSegment(): number | null {
    const first = this.allEntries[0];
    return first ? first.segmentStart : null;
  }

  /** The physical line ending this file uses most. */
  get eol(): '\n' | '\r\n' {
    let crlf = 0;
    let lf = 0;
    for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) {
      if (i > 0 && this.text[i - 1] === '\r') crlf++;
      else lf++;
    }
    return crlf > lf ? '\r\n' : '\n';
  }
}

/** Parses grub.conf text into a lossless tree with GRUB's view. Never throws on any string. */
export function parseGrubConf(text: string, options: ParseOptions = {}): GrubConf {
  return new GrubConf(text, options);
}

interface Built {
  allEntries: GrubEntry[];
  globals: GrubCommand[];
  default: DefaultSetting | null;
  fallback: FallbackSetting | null;
  timeout: number | null;
  hiddenmenu: boolean;
  unknown: GrubCommand[];
  /** known entry-only commands before the first title (ignored by GRUB) */
  misplaced: GrubCommand[];
}

function toCommand(seg: Segment, segment: number): GrubCommand {
  // GRUB stops reading a line at NUL (it is a C string)
  const nul = seg.view.indexOf('\0');
  const view = nul >= 0 ? seg.view.slice(0, nul) : seg.view;
  const name = commandName(view);
  const argOffset = skipTo(true, view);
  return { segment, line: seg.line, name, arg: view.slice(argOffset), argOffset, cls: commandClass(name) };
}

function build(segments: readonly Segment[]): Built {
  const allEntries: GrubEntry[] = [];
  const globals: GrubCommand[] = [];
  const unknown: GrubCommand[] = [];
  const misplaced: GrubCommand[] = [];
  let def: DefaultSetting | null = null;
  let fallback: FallbackSetting | null = null;
  let timeout: number | null = null;
  let hiddenmenu = false;
  let current: { title: GrubCommand; commands: GrubCommand[] } | null = null;
  const pending: { title: GrubCommand; commands: GrubCommand[]; end: number }[] = [];

  const close = (end: number): void => {
    if (current) pending.push({ ...current, end });
  };

  segments.forEach((seg, i) => {
    if (seg.kind !== 'command') return;
    const cmd = toCommand(seg, i);
    if (!cmd.cls) {
      unknown.push(cmd);
      return;
    }
    if (cmd.cls === 'title') {
      close(i);
      current = { title: cmd, commands: [] };
      return;
    }
    if (current) {
      (current as { commands: GrubCommand[] }).commands.push(cmd);
      return;
    }
    // before the first title: only menu commands run
    if (cmd.cls === 'entry') {
      misplaced.push(cmd);
      return;
    }
    globals.push(cmd);
    switch (cmd.name) {
      case 'default': {
        let value: number | 'saved' | null;
        if (cmd.arg === 'saved') value = 'saved';
        else {
          // a failed parse leaves GRUB's previous value in place
          const parsed = parseMaxInt(cmd.arg);
          value = parsed ? parsed.value : (def?.value ?? null);
        }
        def = { written: cmd.arg, segment: i, line: cmd.line, value };
        break;
      }
      case 'fallback': {
        const fb = parseFallback(cmd.arg);
        fallback = { written: cmd.arg, segment: i, line: cmd.line, entries: fb.entries, ok: fb.ok };
        break;
      }
      case 'timeout': {
        const parsed = parseMaxInt(cmd.arg);
        if (parsed) timeout = parsed.value;
        break;
      }
      case 'hiddenmenu':
        hiddenmenu = true;
        break;
      default:
        break;
    }
  });
  close(segments.length);

  let index = 0;
  for (const p of pending) {
    const survives = p.commands.length > 0;
    allEntries.push(makeEntry(p.title, p.commands, p.end, survives ? index++ : null));
  }
  return { allEntries, globals, default: def, fallback, timeout, hiddenmenu, unknown, misplaced };
}

function imageLine(cmd: GrubCommand, withOptions: boolean): ImageLine {
  let rest = cmd.arg;
  const options: string[] = [];
  if (withOptions) {
    // kernel_func: GNU-style options before the file name
    for (;;) {
      if (rest.startsWith('--type=') || rest.startsWith('--no-mem-option')) {
        const next = skipTo(false, rest);
        options.push(rest.slice(0, next).trimEnd());
        rest = rest.slice(next);
      } else break;
    }
  }
  const pathEnd = rest.search(/[ \t]|$/);
  const path = rest.slice(0, pathEnd);
  const args = rest.slice(skipTo(false, rest)).replace(/[ \t]+$/, '');
  const line: ImageLine = { path, args, line: cmd.line, segment: cmd.segment };
  if (options.length > 0) line.options = options;
  return line;
}

function makeEntry(title: GrubCommand, commands: GrubCommand[], end: number, index: number | null): GrubEntry {
  let root: string | null = null;
  let kernel: ImageLine | null = null;
  const modules: ImageLine[] = [];
  let initrd: ImageLine | null = null;
  let chainloader: string | null = null;
  for (const c of commands) {
    switch (c.name) {
      case 'root':
      case 'rootnoverify':
        root = c.arg.replace(/[ \t]+$/, '');
        break;
      case 'kernel':
        // a second kernel line replaces the first at boot
        kernel = imageLine(c, true);
        break;
      case 'module':
      case 'modulenounzip':
        modules.push(imageLine(c, false));
        break;
      case 'initrd':
        initrd = imageLine(c, false);
        break;
      case 'chainloader':
        chainloader = c.arg.replace(/[ \t]+$/, '');
        break;
      default:
        break;
    }
  }
  let kind: EntryKind = 'other';
  let version: string | null = null;
  if (chainloader !== null && !kernel) kind = 'chainloader';
  else if (kernel) {
    if (isXenImage(kernel.path)) {
      kind = 'xen';
      const dom0 = modules[0];
      version = dom0 ? (versionFromImage(dom0.path) ?? null) : null;
    } else if (modules.length === 0 || /^(?:vmlinuz|vmlinux|bzImage)/.test(basename(kernel.path))) {
      kind = 'linux';
      version = versionFromImage(kernel.path) ?? null;
    }
  }
  return {
    index,
    title: title.arg,
    line: title.line,
    segmentStart: title.segment,
    segmentEnd: end,
    commands,
    root,
    kernel,
    modules,
    initrd,
    chainloader,
    kind,
    version,
  };
}

function inferBootPrefix(conf: GrubConf): '/' | '/boot/' | null {
  const vote = (path: string | undefined): '/' | '/boot/' | null => {
    if (!path) return null;
    const p = stripDevice(path);
    if (!p.startsWith('/')) return null;
    return p.startsWith('/boot/') ? '/boot/' : '/';
  };
  const boot = conf.bootEntry;
  const preferred = boot?.kind === 'xen' ? boot.modules[0]?.path : boot?.kernel?.path;
  const first = vote(preferred);
  if (first) return first;
  for (const e of conf.entries) {
    const v = vote(e.kind === 'xen' ? e.modules[0]?.path : e.kernel?.path);
    if (v) return v;
  }
  return null;
}

function lint(conf: GrubConf, unknown: GrubCommand[], misplaced: GrubCommand[]): Finding[] {
  const out: Finding[] = [];
  const segs = conf.segments;

  for (const seg of segs) {
    if (seg.truncated) {
      out.push({ code: 'line-too-long', severity: 'error', line: seg.line, message: `line longer than 1500 bytes: GRUB silently cuts it` });
    }
    if (seg.kind === 'comment' && seg.physicalLines > 1) {
      // a comment ending in a backslash swallows the following line(s)
      const swallowed = seg.raw.split('\n').slice(1, seg.physicalLines);
      swallowed.forEach((text, k) => {
        const view = text.replace(/\r/g, '').replace(/\t/g, ' ').trimStart();
        const name = commandName(view);
        const line = seg.line + 1 + k;
        if (name === 'title') {
          out.push({ code: 'swallowed-title', severity: 'error', line, message: `the comment on line ${line - 1} ends in a backslash and swallows this title: GRUB does not see "${view.slice(skipTo(true, view)).trimEnd()}"` });
        } else if (view !== '' && commandClass(name)) {
          out.push({ code: 'swallowed-line', severity: 'warning', line, message: `the comment on line ${line - 1} ends in a backslash and swallows this "${name}" line` });
        }
      });
    }
    if (seg.kind === 'command') {
      for (const c of seg.continuations) {
        if (c.before !== '' && c.before !== ' ' && c.after !== '' && c.after !== ' ' && c.after !== '\t' && c.after !== '\n' && c.after !== '\r') {
          out.push({ code: 'split-word-continuation', severity: 'warning', line: c.line, message: `backslash-newline inside a word: GRUB joins the lines with a space ("${c.before}\\" + "${c.after}…" becomes "${c.before} ${c.after}…"), as a copy from a wrapped terminal leaves behind` });
        }
      }
    }
  }

  for (const u of unknown) {
    const hint = caseInsensitiveMatch(u.name);
    out.push({
      code: 'unknown-command',
      severity: 'warning',
      line: u.line,
      message: `unknown command "${u.name}" is skipped by GRUB${hint ? ` (commands are case-sensitive: did you mean "${hint}"?)` : ''}`,
    });
  }
  for (const m of misplaced) {
    out.push({ code: 'command-before-title', severity: 'warning', line: m.line, message: `"${m.name}" before the first title is ignored by GRUB` });
  }

  const d = conf.default;
  if (d) {
    if (d.written === 'saved') {
      out.push({ code: 'default-saved', severity: 'info', line: d.line, message: 'default=saved: on RHEL 6 the entry is stored in stage2 (grub --batch savedefault); the boot entry cannot be known from this file alone' });
    } else if (parseMaxInt(d.written) === null) {
      const trailing = /^saved[ \t]+$/.test(d.written);
      out.push({
        code: 'default-unparsable',
        severity: 'warning',
        line: d.line,
        message: trailing
          ? `"default=saved" with trailing blanks is not recognised by GRUB: it boots entry ${d.value ?? 0}`
          : `default value "${d.written.trimEnd()}" is not a number: GRUB keeps entry ${d.value ?? 0}`,
      });
    } else if (typeof d.value === 'number' && d.value >= conf.entries.length && conf.entries.length > 0) {
      out.push({ code: 'default-out-of-range', severity: 'warning', line: d.line, message: `default=${d.value} but GRUB sees only ${conf.entries.length} entr${conf.entries.length === 1 ? 'y' : 'ies'}: it boots entry ${conf.bootIndex()}` });
    }
  }
  const fb = conf.fallback;
  if (fb) {
    const parsed = parseFallback(fb.written);
    if (!parsed.ok) {
      out.push({
        code: parsed.duplicate ? 'fallback-duplicate' : 'fallback-unparsable',
        severity: 'warning',
        line: fb.line,
        message: parsed.duplicate
          ? `fallback "${fb.written.trimEnd()}" repeats an entry before the end of the list: GRUB's parser fails and fallback is disabled`
          : `fallback "${fb.written.trimEnd()}" does not parse: fallback is disabled`,
      });
    } else {
      if (parsed.garbage) {
        out.push({ code: 'fallback-garbage', severity: 'warning', line: fb.line, message: `fallback "${fb.written.trimEnd()}": GRUB reads only [${parsed.entries.join(' ')}] (entries are separated by blanks)` });
      }
      const bad = parsed.entries.filter((n) => n >= conf.entries.length);
      if (bad.length > 0) {
        out.push({ code: 'fallback-out-of-range', severity: 'warning', line: fb.line, message: `fallback entr${bad.length === 1 ? 'y' : 'ies'} ${bad.join(', ')} do${bad.length === 1 ? 'es' : ''} not exist (GRUB sees ${conf.entries.length}) and ${bad.length === 1 ? 'is' : 'are'} dropped` });
      }
    }
  }

  if (conf.allEntries.length === 0 || conf.entries.length === 0) {
    out.push({ code: 'no-entries', severity: 'error', line: 1, message: 'GRUB sees no bootable entry and drops to the grub> prompt' });
  }

  const titles = new Map<string, number>();
  for (const e of conf.allEntries) {
    if (e.index === null) {
      out.push({ code: 'empty-entry', severity: 'warning', line: e.line, message: `title "${e.title.trimEnd()}" has no command GRUB knows: GRUB drops it and does not count it` });
      continue;
    }
    const t = e.title.trimEnd();
    const prev = titles.get(t);
    if (prev !== undefined) {
      out.push({ code: 'duplicate-title', severity: 'info', line: e.line, message: `title "${t}" also used on line ${prev}: new-kernel-pkg replaces entries by title` });
    } else titles.set(t, e.line);
    let kernelSeen = false;
    let multiboot = false;
    let kernels = 0;
    e.commands.forEach((c, i) => {
      if (c.cls === 'menu') {
        out.push({ code: 'menu-command-in-entry', severity: 'error', line: c.line, message: `"${c.name}" after a title belongs to entry ${e.index} ("${t}"): booting it fails with Error 27; move it before the first title` });
      }
      if (c.name === 'kernel') {
        kernels++;
        kernelSeen = true;
        const path = imageLine(c, true).path;
        // multiboot: a Xen image, or modules loaded after this kernel line (a Linux kernel takes none)
        const next = e.commands.slice(i + 1).find((x) => x.name === 'kernel' || x.name === 'module' || x.name === 'modulenounzip');
        multiboot = isXenImage(path) || (next !== undefined && next.name !== 'kernel');
      }
      if ((c.name === 'module' || c.name === 'modulenounzip') && !kernelSeen) {
        out.push({ code: 'module-before-kernel', severity: 'error', line: c.line, message: `"${c.name}" before "kernel" in entry ${e.index}: GRUB needs the kernel loaded first` });
      }
      if (c.name === 'initrd' && !kernelSeen) {
        out.push({ code: 'initrd-before-kernel', severity: 'error', line: c.line, message: `"initrd" before "kernel" in entry ${e.index}: GRUB fails with "Linux kernel must be loaded before initrd"` });
      }
      if (c.name === 'initrd' && multiboot) {
        out.push({ code: 'initrd-after-multiboot', severity: 'error', line: c.line, message: `"initrd" in a multiboot (Xen) entry fails with "Linux kernel must be loaded before initrd"; use a second "module" line` });
      }
    });
    if (kernels > 1) {
      out.push({ code: 'multiple-kernels', severity: 'warning', line: e.line, message: `entry ${e.index} has ${kernels} kernel lines: the last one wins` });
    }
    if (!e.kernel && e.chainloader === null) {
      out.push({ code: 'no-kernel', severity: 'warning', line: e.line, message: `entry ${e.index} ("${t}") loads no kernel: booting it fails` });
    }
    if (e.kind === 'xen') {
      const dom0 = e.modules[0];
      if (!dom0) {
        out.push({ code: 'xen-entry-without-dom0', severity: 'error', line: e.kernel?.line ?? e.line, message: `Xen entry ${e.index} has no module line with the dom0 kernel` });
      } else {
        if (e.modules.length < 2) {
          out.push({ code: 'xen-entry-without-initramfs', severity: 'warning', line: dom0.line, message: `Xen entry ${e.index} has no initramfs module: the dom0 kernel usually cannot mount its root` });
        }
        for (const a of dom0.args.split(/[ \t]+/)) {
          if (XEN_ONLY_OPTIONS.test(a)) {
            out.push({ code: 'xen-option-on-linux-line', severity: 'warning', line: dom0.line, message: `Xen option "${a}" on the dom0 kernel's module line is ignored by Xen; it belongs on the "kernel ${basename(e.kernel?.path ?? 'xen.gz')}" line` });
          }
        }
      }
    } else if (e.kind === 'linux' && e.kernel) {
      for (const a of e.kernel.args.split(/[ \t]+/)) {
        if (XEN_ONLY_OPTIONS.test(a)) {
          out.push({ code: 'xen-option-on-linux-line', severity: 'warning', line: e.kernel.line, message: `Xen option "${a}" on a Linux kernel line does nothing without Xen` });
        }
      }
    }
  }

  out.sort((a, b) => a.line - b.line);
  return out;
}

/** Kernel versions found in entries (linux kernels and Xen dom0 modules). */
export function kernelVersions(conf: GrubConf): string[] {
  const set = new Set<string>();
  for (const e of conf.entries) if (e.version) set.add(e.version);
  return [...set];
}

export { canBeDom0 };
