// A deliberately small, independent reader of GRUB Legacy grub.conf files for the real-boot tier.
// It is the test oracle's view of a config (which entry is the default, which files it references, which
// arguments it passes), kept separate from the project's own grub parser so that the tier does not share its bugs.

export interface GrubCommand {
  /** 1-based line number in the file */
  line: number;
  /** `kernel`, `module`, `initrd`, `root`, ... (lower-case) */
  name: string;
  /** device prefix of the path, e.g. `(hd0,0)`, or null */
  device: string | null;
  /** the path as written (without device prefix), e.g. `/vmlinuz-4.9.241-37.el6.x86_64`; null if no path */
  path: string | null;
  /** everything after the path, whitespace-normalised */
  args: string;
}

export interface GrubEntry {
  index: number;
  title: string;
  commands: GrubCommand[];
}

export interface GrubConfView {
  /** value of `default=` (0 when absent or `saved`) */
  defaultIndex: number;
  /** `splashimage=` path (device prefix stripped), or null */
  splashimage: string | null;
  entries: GrubEntry[];
}

/** A multiboot (Xen) entry: `kernel` is a hypervisor image and the Linux kernel is the first `module`. */
export function isXenEntry(e: GrubEntry): boolean {
  const k = e.commands.find((c) => c.name === 'kernel');
  return !!k && /(^|\/)xen[^/]*\.gz$/.test(k.path ?? '') && e.commands.some((c) => c.name === 'module');
}

const PATH_COMMANDS = new Set(['kernel', 'module', 'modulenounzip', 'initrd']);

function splitDevice(word: string): { device: string | null; path: string } {
  const m = /^(\([^)]*\))(.*)$/.exec(word);
  return m ? { device: m[1] ?? null, path: m[2] ?? '' } : { device: null, path: word };
}

/**
 * GRUB 0.97's line reader (stage2.c get_line_from_config): CRs are dropped, tabs become spaces, and a backslash
 * right before a newline joins the next line (the backslash is dropped, the newline becomes a space, the next
 * line's leading blanks are kept). So `LANG=\\⏎en_US.UTF-8` reaches the kernel as `LANG= en_US.UTF-8`.
 */
export function physicalToLogical(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const phys = text.replace(/\r/g, '').replace(/\t/g, ' ').split('\n');
  for (let i = 0; i < phys.length; i++) {
    const start = i + 1;
    let cur = phys[i] ?? '';
    while (cur.endsWith('\\') && i + 1 < phys.length) {
      cur = cur.slice(0, -1) + ' ' + (phys[++i] ?? '');
    }
    out.push({ line: start, text: cur });
  }
  return out;
}

export function readGrubConf(text: string): GrubConfView {
  const view: GrubConfView = { defaultIndex: 0, splashimage: null, entries: [] };
  let current: GrubEntry | null = null;
  for (const { line: lineNo, text: raw } of physicalToLogical(text)) {
    const i = lineNo - 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_]+)\s*(?:=\s*|\s+)?(.*)$/.exec(line);
    if (!m) continue;
    const name = (m[1] ?? '').toLowerCase();
    const rest = (m[2] ?? '').trim();
    if (name === 'title') {
      current = { index: view.entries.length, title: rest, commands: [] };
      view.entries.push(current);
      continue;
    }
    if (current === null) {
      if (name === 'default') view.defaultIndex = /^\d+$/.test(rest) ? Number(rest) : 0;
      if (name === 'splashimage') view.splashimage = splitDevice(rest.split(/\s+/)[0] ?? '').path;
      continue;
    }
    const entry: GrubEntry = current;
    const words = rest.split(/\s+/).filter((w) => w !== '');
    let cmdWords = words;
    // `kernel --type=netbsd /path ...`: skip options before the path
    while (PATH_COMMANDS.has(name) && (cmdWords[0] ?? '').startsWith('--')) cmdWords = cmdWords.slice(1);
    if (PATH_COMMANDS.has(name) && cmdWords.length > 0) {
      const { device, path } = splitDevice(cmdWords[0] ?? '');
      entry.commands.push({ line: i + 1, name, device, path, args: cmdWords.slice(1).join(' ') });
    } else {
      entry.commands.push({ line: i + 1, name, device: null, path: null, args: words.join(' ') });
    }
  }
  return view;
}

export function defaultEntry(view: GrubConfView): GrubEntry {
  const e = view.entries[view.defaultIndex];
  if (!e) throw new Error(`grub.conf: default=${view.defaultIndex} but only ${view.entries.length} entries`);
  return e;
}

/** The Linux kernel of an entry: `module` #1 of a Xen entry, else the `kernel` line. */
export function linuxKernelOf(e: GrubEntry): GrubCommand | null {
  if (isXenEntry(e)) return e.commands.find((c) => c.name === 'module') ?? null;
  return e.commands.find((c) => c.name === 'kernel') ?? null;
}

/** The Xen arguments of a Xen entry (`kernel /xen.gz ARGS`), or null for a plain entry. */
export function xenArgsOf(e: GrubEntry): string | null {
  return isXenEntry(e) ? (e.commands.find((c) => c.name === 'kernel')?.args ?? '') : null;
}

/** Every file path the config makes GRUB read (kernel/module/initrd images and the splash image). */
export function referencedFiles(view: GrubConfView): string[] {
  const out = new Set<string>();
  if (view.splashimage) out.add(view.splashimage);
  for (const e of view.entries) for (const c of e.commands) if (c.path && PATH_COMMANDS.has(c.name)) out.add(c.path);
  return [...out];
}
