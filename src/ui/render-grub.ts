import type { Finding, GrubView } from '../grub/index.js';
import type { Palette } from './io.js';
import { visible } from './escape.js';


export function renderFindings(file: string, findings: readonly Finding[], p: Palette): string {
  return findings
    .map((f) => {
      const sev = f.severity === 'error' ? p.red('error') : f.severity === 'warning' ? p.yellow('warning') : p.cyan('info');
      return `${visible(file)}:${f.line}: ${sev}: ${visible(f.message)}\n`;
    })
    .join('');
}

export function renderGrubView(file: string, v: GrubView, p: Palette): string {
  const lines: string[] = [];
  const bootInfo = v.boots === null ? (v.default === 'saved' ? 'default=saved (the entry is stored in stage2)' : 'no bootable entry') : `boots entry ${v.boots}`;
  lines.push(`${p.bold(visible(file))}: ${v.entries.length} entr${v.entries.length === 1 ? 'y' : 'ies'}, ${bootInfo}` +
    `${v.default !== null ? ` (default ${visible(JSON.stringify(v.default.trimEnd()))})` : ' (no default line)'}` +
    `, fallback ${v.fallback.length ? v.fallback.join(' ') : 'none'}, timeout ${v.timeout ?? 'none'}${v.hiddenmenu ? ', hiddenmenu' : ''}` +
    `${v.bootPrefix ? `, paths relative to ${v.bootPrefix === '/' ? 'a separate /boot partition' : '/ (no /boot partition)'}` : ''}`);
  for (const e of v.entries) {
    const mark = e.index === v.boots ? p.green('*') : ' ';
    lines.push(`${mark} ${String(e.index).padStart(2)}  ${p.bold(visible(e.title.trimEnd()))}  ${p.dim(`[${e.kind}${e.version ? ' ' + visible(e.version) : ''}] line ${e.line}`)}`);
    if (e.root) lines.push(`       root   ${visible(e.root)}`);
    if (e.kernel) lines.push(`       kernel ${visible(e.kernel.path)}${e.kernel.args ? ' ' + visible(e.kernel.args) : ''}`);
    for (const m of e.modules) lines.push(`       module ${visible(m.path)}${m.args ? ' ' + visible(m.args) : ''}`);
    if (e.initrd) lines.push(`       initrd ${visible(e.initrd)}`);
  }
  for (const d of v.dropped) lines.push(`${p.dim(`   dropped: "${visible(d.title.trimEnd())}" (line ${d.line}) has no command GRUB knows`)}`);
  return lines.join('\n') + '\n';
}

/**
 * A diff for a terminal: each line escaped (control characters visible, TABs kept) and coloured.
 * `escape: false` only for exact bytes into a pipe or a file with colours forced (--color).
 */
export function colorDiff(diff: string, p: Palette, opts: { escape?: boolean } = {}): string {
  const esc = opts.escape === false ? (l: string) => l : (l: string) => visible(l, { multiline: true });
  const paint = (l: string) => (l.startsWith('+++') || l.startsWith('---') ? p.bold(l) : l.startsWith('+') ? p.green(l) : l.startsWith('-') ? p.red(l) : l.startsWith('@@') ? p.cyan(l) : l);
  return diff
    .split('\n')
    .map((line) => {
      // a CRLF file's line ending stays a line ending, after the colour codes
      const cr = line.endsWith('\r') ? '\r' : '';
      return paint(esc(cr ? line.slice(0, -1) : line)) + cr;
    })
    .join('\n');
}
