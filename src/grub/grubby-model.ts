/**
 * What the CentOS 6 kernel package does to grub.conf, predicted: its %post runs
 * `new-kernel-pkg --install` (grubby 7.0.15 `--add-kernel … --copy-default [--make-default]
 * --title "<release name> (V)" --args="root=<fstab /> " --remove-kernel=TITLE=<title>`), its
 * %posttrans `new-kernel-pkg --update` (grubby `--update-kernel … --initrd`, once dracut made the
 * initramfs). Modelled on grubby's own line model (physical lines; a `title` line starts an
 * entry; unknown lines are copied; arguments merged key by key) — not on GRUB's reading rules:
 * this predicts another program's output, the real file after yum is compared with it.
 * Pure: text in, text out.
 */

const KEYWORDS = new Set(['title', 'root', 'default', 'fallback', 'kernel', 'initrd', 'module']);

interface Line {
  /** The original text without its LF (null once the line was rebuilt from words). */
  raw: string | null;
  indent: string;
  words: string[];
  sep: string;
  cr: string;
  kind: string;
}

function readLine(raw: string): Line {
  const body = raw.replace(/\r+$/, '');
  const cr = raw.slice(body.length);
  const indent = /^[ \t]*/.exec(body)![0];
  const rest = body.slice(indent.length);
  if (!rest || rest.startsWith('#')) return { raw, indent, words: [], sep: ' ', cr, kind: 'comment' };
  const m = /^([^ \t=]+)([ \t=]*)(.*)$/s.exec(rest)!;
  const first = m[1] as string;
  const words = [first, ...(m[3] as string).split(/[ \t]+/).filter((w) => w !== '')];
  return { raw, indent, words, sep: (m[2] as string) || ' ', cr, kind: KEYWORDS.has(first) ? first : 'other' };
}

function makeLine(indent: string, words: string[], sep = ' '): Line {
  return { raw: null, indent, words, sep, cr: '', kind: KEYWORDS.has(words[0] as string) ? (words[0] as string) : 'other' };
}

function lineText(l: Line): string {
  if (l.raw !== null) return l.raw;
  return l.indent + l.words[0] + (l.words.length > 1 ? l.sep + l.words.slice(1).join(' ') : '') + l.cr;
}

interface Entry {
  lines: Line[];
}

const first = (e: Entry, kind: string) => e.lines.slice(1).find((l) => l.kind === kind) ?? null;
const all = (e: Entry, kind: string) => e.lines.slice(1).filter((l) => l.kind === kind);
const multiboot = (e: Entry) => first(e, 'module') !== null && first(e, 'kernel') !== null;
function titleOf(e: Entry): string {
  const t = e.lines[0] as Line;
  if (t.raw !== null) return t.raw.replace(/\r+$/, '').slice(t.indent.length).replace(/^title[ \t=]*/, '');
  return t.words.slice(1).join(' ');
}
function kernelPath(e: Entry): string | null {
  const l = multiboot(e) ? first(e, 'module') : first(e, 'kernel');
  return l && l.words.length > 1 ? (l.words[1] as string) : null;
}

class Config {
  head: Line[] = [];
  entries: Entry[] = [];
  constructor(text: string) {
    const raw = text.split('\n');
    if (text.endsWith('\n')) raw.pop();
    for (const r of raw) {
      const l = readLine(r);
      if (l.kind === 'title') this.entries.push({ lines: [l] });
      else if (this.entries.length) this.entries[this.entries.length - 1]!.lines.push(l);
      else this.head.push(l);
    }
  }
  text(): string {
    const lines = [...this.head, ...this.entries.flatMap((e) => e.lines)];
    return lines.map(lineText).join('\n') + '\n';
  }
  defaultLine(): Line | null {
    return this.head.find((l) => l.kind === 'default') ?? null;
  }
  defaultIndex(): number | 'saved' {
    const l = this.defaultLine();
    if (!l || l.words.length !== 2) return 0;
    if (l.words[1] === 'saved') return 'saved';
    // Python's int(): optional sign and surrounding blanks, decimal digits only
    return /^[+-]?\d+$/.test(l.words[1] as string) ? Number(l.words[1]) : 0;
  }
  setDefault(idx: number): void {
    const l = this.defaultLine();
    if (l) {
      if (l.words.length >= 2) l.words = ['default', String(idx)];
      else l.words.push(String(idx));
      l.raw = null;
    } else if (idx !== 0) {
      let pos = 0;
      this.head.forEach((h, i) => {
        if (h.kind !== 'comment') pos = i + 1;
      });
      this.head.splice(pos, 0, makeLine('', ['default', String(idx)], '='));
    }
  }
}

const argKey = (a: string) => a.split('=', 1)[0] as string;
function mergeArgs(old: string[], add: string[]): string[] {
  const out = [...old];
  for (const a of add) {
    const i = out.findIndex((o) => argKey(o) === argKey(a));
    if (i >= 0) out[i] = a;
    else out.push(a);
  }
  return out;
}

function insertAtEnd(lines: Line[], l: Line): void {
  let pos = lines.length;
  while (pos > 1 && lines[pos - 1]!.kind === 'comment') pos--;
  lines.splice(pos, 0, l);
}

export interface KernelPackageInstall {
  /** The kernel version-release.arch, e.g. 4.9.241-37.el6.x86_64. */
  version: string;
  /** /boot is its own file system: paths in grub.conf are relative to it (`/vmlinuz-V`). */
  bootSeparate: boolean;
  /** The first line of /etc/redhat-release (the title is its part before " release", then " (V)"). */
  release: string | null;
  /** The device of the `/` line of /etc/fstab (the new entry's root=), when there is one. */
  rootDevice: string | null;
  /** /etc/sysconfig/kernel says UPDATEDEFAULT=yes and DEFAULTKERNEL=kernel. */
  makeDefault: boolean;
  /** Kernel images that exist in /boot (versions): grubby only copies an entry whose kernel exists. */
  bootKernels: readonly string[];
  /** dracut builds initramfs-V.img in %posttrans (default true). */
  initramfs?: boolean;
}

/** The title new-kernel-pkg gives a kernel's entry: `CentOS (4.9.241-37.el6.x86_64)`. */
export function packageEntryTitle(release: string | null, version: string): string {
  return `${(release ?? 'Linux').split('\n')[0]!.replace(/ release.*$/, '')} (${version})`;
}

/**
 * grub.conf after `yum install` of a kernel package on CentOS 6, as grubby writes it; null when
 * grubby would refuse (no entry whose kernel exists to copy from: "unable to find a suitable
 * template").
 */
export function predictKernelPackageInstall(text: string, o: KernelPackageInstall): string | null {
  const cfg = new Config(text);
  const toConfig = (p: string) => (o.bootSeparate && p.startsWith('/boot/') ? p.slice('/boot'.length) : p);
  const toOs = (p: string) => {
    const q = p.replace(/^\([^)]*\)/, '');
    return o.bootSeparate ? '/boot' + q : q;
  };
  const exists = new Set(o.bootKernels.map((v) => `/boot/vmlinuz-${v}`));
  const suitable = (e: Entry) => {
    const k = kernelPath(e);
    return k !== null && exists.has(toOs(k));
  };
  const kpath = toConfig(`/boot/vmlinuz-${o.version}`);
  const title = packageEntryTitle(o.release, o.version);
  const args = o.rootDevice ? [`root=${o.rootDevice}`] : [];
  // %post: --install (the initramfs does not exist yet)
  const oldDefault = cfg.defaultIndex();
  const oldDefaultEntry = typeof oldDefault === 'number' && oldDefault >= 0 && oldDefault < cfg.entries.length ? cfg.entries[oldDefault]! : null;
  let template: Entry | null = null;
  if (typeof oldDefault === 'number' && oldDefault >= 0 && oldDefault < cfg.entries.length && suitable(cfg.entries[oldDefault]!)) template = cfg.entries[oldDefault]!;
  else template = cfg.entries.find(suitable) ?? null;
  if (template === null && cfg.entries.length) return null;
  const fresh: Line[] = [makeLine('', ['title', title])];
  if (template) {
    const mods = all(template, 'module');
    for (const l of template.lines.slice(1)) {
      if (l.kind === 'kernel') {
        if (multiboot(template)) continue;
        fresh.push(makeLine(l.indent, ['kernel', kpath, ...mergeArgs(l.words.slice(2), args)]));
      } else if (l.kind === 'module') {
        if (l === mods[0]) fresh.push(makeLine(l.indent, ['kernel', kpath, ...mergeArgs(l.words.slice(2), args)]));
      } else if (l.kind === 'initrd' || l.kind === 'title') {
        continue;
      } else fresh.push({ ...l });
    }
  } else fresh.push(makeLine('\t', ['kernel', kpath, ...args]));
  cfg.entries = cfg.entries.filter((e) => titleOf(e).trim() !== title);
  const entry: Entry = { lines: fresh };
  cfg.entries.unshift(entry);
  if (o.makeDefault) cfg.setDefault(0);
  else if (oldDefault === 'saved') {
    /* stays */
  } else if (oldDefaultEntry && cfg.entries.includes(oldDefaultEntry)) cfg.setDefault(cfg.entries.indexOf(oldDefaultEntry));
  else cfg.setDefault(0);
  // %posttrans: --update adds the initramfs dracut just built
  if (o.initramfs !== false) {
    const ip = toConfig(`/boot/initramfs-${o.version}.img`);
    for (const e of cfg.entries) {
      const k = kernelPath(e);
      if (k === null || k.replace(/^\([^)]*\)/, '') !== kpath) continue;
      if (multiboot(e)) {
        const ms = all(e, 'module');
        if (ms.length > 1) Object.assign(ms[1]!, { words: ['module', ip], raw: null });
        else insertAtEnd(e.lines, makeLine(ms[0]!.indent, ['module', ip]));
      } else {
        const il = first(e, 'initrd');
        if (il) Object.assign(il, { words: ['initrd', ip], raw: null });
        else {
          const kl = first(e, 'kernel');
          insertAtEnd(e.lines, makeLine(kl ? kl.indent : '\t', ['initrd', ip]));
        }
      }
    }
  }
  return cfg.text();
}
