/**
 * The lossless lexer: splits grub.conf text into segments exactly where GRUB 0.97's
 * `get_line_from_config()` (stage2/stage2.c) ends a logical line, and computes GRUB's
 * view of each one. Segments are contiguous slices of the input, so concatenating their
 * `raw` text gives the input back byte for byte.
 *
 * GRUB's rules, emulated character by character:
 *  - `\r` is dropped anywhere; `\t` becomes a space;
 *  - a backslash followed by a newline joins lines: the backslash is overwritten and the
 *    newline becomes a space (the next line's leading blanks are kept); this also happens
 *    inside comments, so a comment ending in `\` swallows the next line;
 *  - `#` starts a comment only as the first non-blank character of a logical line;
 *  - leading blanks and empty lines are skipped; trailing blanks are kept;
 *  - characters beyond NEW_HEAPSIZE (1500 bytes) are silently dropped.
 */

export const GRUB_MAX_LINE_BYTES = 1500;

export type SegmentKind = 'blank' | 'comment' | 'command';

/** A backslash-newline join, as GRUB performed it. */
export interface Continuation {
  /** 1-based physical line number of the line that ends in a backslash. */
  line: number;
  /** Last character GRUB had stored before the join ('' if none). */
  before: string;
  /** First character of the next physical line ('' at end of input). */
  after: string;
}

export interface Segment {
  /** Offset of the first character in the input. */
  start: number;
  /** The exact input text of this segment, including its terminating newline if any. */
  raw: string;
  /** 1-based physical line number where the segment starts. */
  line: number;
  /** Number of physical lines the segment spans (>1 when continuations joined lines). */
  physicalLines: number;
  kind: SegmentKind;
  /** GRUB's logical line (commands only; '' for blank and comment segments). */
  view: string;
  /** True when GRUB cut the line at 1500 bytes. */
  truncated: boolean;
  continuations: Continuation[];
}

export interface ReadOptions {
  /** Count one byte per character (the text was decoded as latin1). Default: UTF-8 byte lengths. */
  latin1?: boolean;
  /** Line length limit in bytes (GRUB: 1500). */
  maxBytes?: number;
}

function byteLength(ch: string, latin1: boolean): number {
  if (latin1) return 1;
  const cp = ch.charCodeAt(0);
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  // a UTF-16 surrogate half counts as half of a 4-byte sequence
  if (cp >= 0xd800 && cp <= 0xdfff) return 2;
  return 3;
}

interface LexState {
  chars: string[];
  bytes: number[];
  /** source offset of each stored character (only when mapping) */
  src: number[] | null;
  pos: number;
  literal: boolean;
  comment: boolean;
  truncated: boolean;
  continuations: Continuation[];
}

function freshState(map: boolean): LexState {
  return { chars: [], bytes: [], src: map ? [] : null, pos: 0, literal: false, comment: false, truncated: false, continuations: [] };
}

/**
 * Runs GRUB's reader over `text` and returns every segment. `onSegment` variants are not
 * needed: the result is small compared to the input and built in one linear pass.
 */
export function readGrubConfig(text: string, options: ReadOptions = {}): Segment[] {
  const latin1 = options.latin1 ?? false;
  const maxBytes = options.maxBytes ?? GRUB_MAX_LINE_BYTES;
  const segments: Segment[] = [];
  const n = text.length;
  let st = freshState(false);
  let segStart = 0;
  let segLine = 1;
  let lineNo = 1;

  const end = (endExclusive: number, kind: SegmentKind, nextLine: number): void => {
    segments.push({
      start: segStart,
      raw: text.slice(segStart, endExclusive),
      line: segLine,
      physicalLines: nextLine - segLine,
      kind,
      view: kind === 'command' ? st.chars.join('') : '',
      truncated: st.truncated,
      continuations: st.continuations,
    });
    segStart = endExclusive;
    segLine = nextLine;
    st = freshState(false);
  };

  for (let i = 0; i < n; i++) {
    const raw = text[i] as string;
    if (raw === '\n') lineNo++;
    const outcome = step(st, raw, i, text, lineNo, latin1, maxBytes);
    if (outcome !== null) end(i + 1, outcome, lineNo);
  }
  if (segStart < n) {
    const kind: SegmentKind = st.comment ? 'comment' : st.pos > 0 ? 'command' : 'blank';
    end(n, kind, lineNo + 1);
  }
  return segments;
}

/**
 * One character of GRUB's reader. Returns the kind of segment that ends at this character
 * (a newline GRUB acts on), or null when the logical line continues.
 */
function step(
  st: LexState,
  rawChar: string,
  index: number,
  text: string,
  lineNoAfter: number,
  latin1: boolean,
  maxBytes: number,
): SegmentKind | null {
  let c = rawChar;
  if (c === '\r') return null;
  if (c === '\t') c = ' ';
  if (st.literal) {
    if (c === '\n') {
      c = ' ';
      // overwrite the previous backslash (GRUB: `if (pos > 0) pos--`)
      if (st.pos > 0) {
        st.chars.pop();
        st.src?.pop();
        st.pos -= st.bytes.pop() ?? 0;
      }
      st.continuations.push({
        line: lineNoAfter - 1,
        before: st.chars.length > 0 ? (st.chars[st.chars.length - 1] as string) : '',
        after: index + 1 < text.length ? (text[index + 1] as string) : '',
      });
    }
    st.literal = false;
  }
  if (c === '\\') st.literal = true;

  if (st.comment) {
    if (c === '\n') return 'comment';
    return null;
  }
  if (st.pos === 0) {
    if (c === '#') st.comment = true;
    else if (c === '\n') return 'blank';
    else if (c !== ' ') store(st, c, index, latin1);
    return null;
  }
  if (c === '\n') return 'command';
  if (st.pos < maxBytes) store(st, c, index, latin1);
  else st.truncated = true;
  return null;
}

function store(st: LexState, c: string, index: number, latin1: boolean): void {
  const b = byteLength(c, latin1);
  st.chars.push(c);
  st.bytes.push(b);
  st.src?.push(index);
  st.pos += b;
}

/**
 * Re-reads one command segment and returns, for every character of its GRUB view, the
 * offset (relative to the segment start) of the input character it came from. A segment
 * always starts in GRUB's initial reader state, so it can be re-read on its own.
 */
export function mapSegment(segment: Segment, options: ReadOptions = {}): number[] {
  const latin1 = options.latin1 ?? false;
  const maxBytes = options.maxBytes ?? GRUB_MAX_LINE_BYTES;
  const st = freshState(true);
  const text = segment.raw;
  for (let i = 0; i < text.length; i++) {
    const outcome = step(st, text[i] as string, i, text, 0, latin1, maxBytes);
    if (outcome !== null) break;
  }
  return st.src ?? [];
}
