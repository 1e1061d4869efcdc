/**
 * Minimal text edits on the original grub.conf bytes. Every change is a splice of the
 * source text; everything outside the splices stays byte-identical.
 */
import { mapSegment, type Segment } from './read-config.js';
import type { GrubConf } from './parse-grub-conf.js';

export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** Applies non-overlapping edits (insertions at the same offset keep their order). */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = edits
    .map((e, i) => ({ ...e, i }))
    .sort((a, b) => a.start - b.start || a.end - b.end || a.i - b.i);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) throw new Error(`internal: overlapping grub.conf edits at ${e.start}`);
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}

/** Source offsets (absolute) of each character of a command segment's GRUB view. */
export function viewOffsets(conf: GrubConf, segmentIndex: number): { seg: Segment; map: number[] } {
  const seg = conf.segments[segmentIndex];
  if (!seg) throw new Error(`internal: no segment ${segmentIndex}`);
  return { seg, map: mapSegment(seg, conf.options) };
}

/**
 * Replaces the view range [from, to) of a command segment. An empty range inserts before
 * view position `from` (or after the last view character when `from` is the view length).
 */
export function replaceInView(conf: GrubConf, segmentIndex: number, from: number, to: number, text: string): TextEdit {
  const { seg, map } = viewOffsets(conf, segmentIndex);
  if (seg.truncated) throw new Error('internal: refusing to edit a line GRUB truncates');
  const startRel = from < map.length ? (map[from] as number) : (map[map.length - 1] as number) + 1;
  const endRel = to > from ? (map[to - 1] as number) + 1 : startRel;
  return { start: seg.start + startRel, end: seg.start + endRel, text };
}

/** The raw text of a command segment from its start up to view position `upTo` (indent, name, separator). */
export function rawPrefix(conf: GrubConf, segmentIndex: number, upTo: number): string {
  const { seg, map } = viewOffsets(conf, segmentIndex);
  const rel = upTo < map.length ? (map[upTo] as number) : seg.raw.length;
  return seg.raw.slice(0, rel);
}

/** Leading blanks of the segment's first physical line. */
export function indentOf(seg: Segment): string {
  return /^[ \t]*/.exec(seg.raw)?.[0] ?? '';
}

/** Does the segment end with a line terminator? */
export function endsWithNewline(seg: Segment): boolean {
  return seg.raw.endsWith('\n');
}
