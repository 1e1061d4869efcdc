/**
 * Edits of the global part of a grub.conf (before the first title): `default` and `fallback`.
 * New global lines go after the last global command, never at the end of the file (after the
 * first title GRUB would make them entry commands: Error 27).
 */
import type { GrubConf } from './parse-grub-conf.js';
import { parseMaxInt, skipTo } from './commands.js';
import { replaceInView, type TextEdit } from './text-edit.js';

/** Inserting before a title: go above the comment lines written right before it. */
export function insertionPointBefore(conf: GrubConf, titleSegment: number): number {
  let i = titleSegment;
  while (i > 0 && conf.segments[i - 1]!.kind === 'comment') i--;
  return conf.segments[i]!.start;
}

/** Global lines go before the first title: after the last global command, else right before the first title's comments. */
export function globalInsertionPoint(conf: GrubConf): number {
  const firstTitle = conf.firstTitleSegment ?? conf.segments.length;
  let lastGlobal = -1;
  for (let i = 0; i < firstTitle; i++) if (conf.segments[i]!.kind === 'command') lastGlobal = i;
  if (lastGlobal >= 0) {
    const seg = conf.segments[lastGlobal]!;
    return seg.start + seg.raw.length;
  }
  return firstTitle < conf.segments.length ? insertionPointBefore(conf, firstTitle) : conf.text.length;
}

export function separatorStyle(conf: GrubConf): string {
  for (const g of conf.globals) {
    const seg = conf.segments[g.segment]!;
    const sep = seg.view.slice(g.name.length, g.argOffset);
    if (sep !== '') return sep.includes('=') ? '=' : ' ';
  }
  return '=';
}

export function setDefault(conf: GrubConf, index: number, eol: string): TextEdit[] {
  const d = conf.default;
  if (!d) {
    const at = globalInsertionPoint(conf);
    const needsEolBefore = at === conf.text.length && at > 0 && !conf.text.endsWith('\n');
    return [{ start: at, end: at, text: `${needsEolBefore ? eol : ''}default${separatorStyle(conf)}${index}${eol}` }];
  }
  const cmd = conf.globals.find((g) => g.segment === d.segment)!;
  const parsed = parseMaxInt(d.written);
  if (parsed && d.value === index && d.written !== 'saved') return [];
  if (parsed) {
    return [replaceInView(conf, d.segment, cmd.argOffset, cmd.argOffset + parsed.end, String(index))];
  }
  // `saved` or garbage: replace the whole value; an empty value needs a separator first
  const end = cmd.argOffset + d.written.replace(/[ \t]+$/, '').length;
  const sep = cmd.argOffset === cmd.name.length ? separatorStyle(conf) : '';
  return [replaceInView(conf, d.segment, cmd.argOffset, end, sep + String(index))];
}

/** Rewrites the numbers GRUB reads in the fallback line, in place. */
export function renumberFallback(conf: GrubConf, map: (n: number) => number): TextEdit[] {
  const fb = conf.fallback!;
  const cmd = conf.globals.find((g) => g.segment === fb.segment)!;
  const edits: TextEdit[] = [];
  const arg = fb.written;
  let i = 0;
  while (i < arg.length) {
    const parsed = parseMaxInt(arg, i);
    if (!parsed) break;
    const mapped = map(parsed.value);
    if (mapped !== parsed.value) {
      edits.push(replaceInView(conf, fb.segment, cmd.argOffset + i, cmd.argOffset + parsed.end, String(mapped)));
    }
    i = skipTo(false, arg, parsed.end);
  }
  return edits;
}

export function setFallback(conf: GrubConf, list: number[], eol: string): TextEdit[] {
  const fb = conf.fallback;
  const value = list.join(' ');
  if (!fb) {
    if (list.length === 0) return [];
    const at = globalInsertionPoint(conf);
    return [{ start: at, end: at, text: `fallback${separatorStyle(conf)}${value}${eol}` }];
  }
  const seg = conf.segments[fb.segment]!;
  if (list.length === 0) return [{ start: seg.start, end: seg.start + seg.raw.length, text: '' }];
  const cmd = conf.globals.find((g) => g.segment === fb.segment)!;
  if (fb.written.replace(/[ \t]+$/, '') === value) return [];
  const sep = cmd.argOffset === cmd.name.length ? separatorStyle(conf) : '';
  return [replaceInView(conf, fb.segment, cmd.argOffset, cmd.argOffset + fb.written.replace(/[ \t]+$/, '').length, sep + value)];
}

