/**
 * Generic entry edits used by the safe-reboot flow: choose the default entry, add a copy of an
 * entry taken from another version of the file (a rescue copy of the last known-good entry),
 * and remove an entry. Each renumbers `default` and `fallback` so they keep pointing at the
 * same entries, and re-parses the result.
 */
import { parseGrubConf, type GrubConf } from './parse-grub-conf.js';
import { GrubEditError } from './errors.js';
import { globalInsertionPoint, renumberFallback, setDefault, setFallback } from './global-edits.js';
import { skipTo } from './commands.js';
import { applyTextEdits, replaceInView, type TextEdit } from './text-edit.js';

function reparse(conf: GrubConf, edits: TextEdit[]): GrubConf {
  const text = applyTextEdits(conf.text, edits);
  return text === conf.text ? conf : parseGrubConf(text, conf.options);
}

function entryOrThrow(conf: GrubConf, index: number) {
  const e = conf.entries[index];
  if (!e) throw new GrubEditError('kernel-not-found', `grub.conf has no entry ${index} (GRUB sees ${conf.entries.length})`, undefined, conf.allEntries[0]?.line ?? 1);
  return e;
}

/** Makes entry `index` the default (writing a `default` line before the first title if there is none). */
export function setDefaultEntry(conf: GrubConf, index: number): GrubConf {
  entryOrThrow(conf, index);
  const after = reparse(conf, setDefault(conf, index, conf.eol));
  if (after.bootIndex() !== index) throw new Error(`internal: default ${index} not effective`);
  return after;
}

/** Writes `fallback` to these entries (a new line before the first title when there is none). */
export function setFallbackEntries(conf: GrubConf, entries: readonly number[]): GrubConf {
  for (const n of entries) entryOrThrow(conf, n);
  return reparse(conf, setFallback(conf, [...entries], conf.eol));
}

/** Ensures a global `default` line exists (RHEL 6's one-shot boot needs one), keeping what GRUB boots. */
export function ensureDefaultLine(conf: GrubConf): GrubConf {
  if (conf.default && conf.default.value !== null) return conf;
  const boots = conf.bootIndex() ?? 0;
  return setDefaultEntry(conf, boots);
}

/**
 * Inserts a copy of entry `sourceIndex` of `source` (its title line and known commands, as
 * written) right after entry `afterIndex` of `conf`, with a new title. Returns the new file and
 * the copy's index. `default`/`fallback` keep pointing at the same entries.
 */
export function insertEntryCopy(conf: GrubConf, afterIndex: number, source: GrubConf, sourceIndex: number, title: string): { conf: GrubConf; index: number } {
  if (/[\r\n\0]/.test(title) || title.trim() === '') throw new GrubEditError('bad-title', 'the title must be one non-empty line');
  const anchor = entryOrThrow(conf, afterIndex);
  const src = entryOrThrow(source, sourceIndex);
  const eol = conf.eol;
  let text = '';
  const titleSeg = source.segments[src.segmentStart]!;
  const titleView = titleSeg.view;
  const local = replaceInView(source, src.segmentStart, skipTo(true, titleView), titleView.length, title);
  const titleLine = applyTextEdits(titleSeg.raw, [{ start: local.start - titleSeg.start, end: local.end - titleSeg.start, text: local.text }]);
  text += titleLine.endsWith('\n') ? titleLine : titleLine + eol;
  for (const c of src.commands) {
    const raw = source.segments[c.segment]!.raw;
    text += raw.endsWith('\n') ? raw : raw + eol;
  }
  // after the anchor entry: before the next entry's title (and the comments written right above it), or at the end
  const next = conf.allEntries.find((e) => e.segmentStart > anchor.segmentStart);
  let at: number;
  if (next) {
    let i = next.segmentStart;
    while (i > anchor.segmentStart + 1 && conf.segments[i - 1]!.kind === 'comment') i--;
    at = conf.segments[i]!.start;
  } else {
    at = conf.text.length;
    if (!conf.text.endsWith('\n') && conf.text.length > 0) text = eol + text.slice(0, text.length - eol.length);
  }
  const index = afterIndex + 1;
  const shift = (n: number) => (n >= index ? n + 1 : n);
  const edits: TextEdit[] = [{ start: at, end: at, text }];
  const d = conf.default;
  if (d && typeof d.value === 'number' && d.value >= index && d.value < conf.entries.length) edits.push(...setDefault(conf, shift(d.value), eol));
  if (conf.fallback?.ok) edits.push(...renumberFallback(conf, shift));
  const out = reparse(conf, edits);
  if (out.entries.length !== conf.entries.length + 1 || out.entries[index]?.title !== title) throw new Error('internal: entry copy not where expected');
  return { conf: out, index };
}

/** Removes entry `index` (its title line through its last line before the next title). */
export function removeEntry(conf: GrubConf, index: number): GrubConf {
  const e = entryOrThrow(conf, index);
  if (conf.entries.length === 1) throw new GrubEditError('no-entries', 'refusing to remove the only entry GRUB can boot', undefined, e.line);
  const start = conf.segments[e.segmentStart]!.start;
  const endSeg = conf.segments[e.segmentEnd - 1]!;
  let end = endSeg.start + endSeg.raw.length;
  // keep comment lines written right above the next title with that title
  let k = e.segmentEnd;
  while (k - 1 > e.segmentStart && conf.segments[k - 1]!.kind === 'comment') k--;
  if (k < e.segmentEnd) end = conf.segments[k]!.start;
  const map = (n: number) => (n > index ? n - 1 : n);
  const edits: TextEdit[] = [{ start, end, text: '' }];
  const d = conf.default;
  if (d && typeof d.value === 'number' && d.value < conf.entries.length && d.value !== map(d.value)) edits.push(...setDefault(conf, map(d.value), conf.eol));
  else if (d && d.value === index) edits.push(...setDefault(conf, Math.min(index, conf.entries.length - 2), conf.eol));
  if (conf.fallback?.ok) {
    if (conf.fallback.entries.includes(index)) {
      // a fallback to the removed entry: drop that number
      const remaining = conf.fallback.entries.filter((n) => n !== index).map(map);
      const cmd = conf.globals.find((g) => g.segment === conf.fallback!.segment)!;
      const seg = conf.segments[cmd.segment]!;
      if (remaining.length === 0) edits.push({ start: seg.start, end: seg.start + seg.raw.length, text: '' });
      else edits.push(replaceInView(conf, cmd.segment, cmd.argOffset, cmd.argOffset + conf.fallback.written.replace(/[ \t]+$/, '').length, remaining.join(' ')));
    } else edits.push(...renumberFallback(conf, map));
  }
  const out = reparse(conf, edits);
  if (out.entries.length !== conf.entries.length - 1) throw new Error('internal: entry removal miscounted');
  return out;
}

export { globalInsertionPoint };
